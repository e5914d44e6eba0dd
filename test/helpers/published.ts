/**
 * A published workflow whose trigger is polled the way n8n 2.41's server polls it: through
 * n8n-core's own PollTriggerExecutor (the class the server uses), with a PollContext wired as the
 * server's TriggerExecutionContextFactory wires it, and node static data persisted only where
 * n8n persists it. Nothing else keeps state between polls, so a test fails if the trigger relies
 * on state n8n would drop.
 *
 * Two persistence modes, both n8n's:
 * - default (what `n8n start` does): the poll scheduler keeps the Workflow object it built at
 *   activation; a poll reads and changes that object's static data in memory, including a poll
 *   that throws. It is written to the database only when a poll emits (saveStaticData). A restart
 *   rebuilds the Workflow from the database, so changes never saved are lost.
 * - durable cursors (N8N_POLLER_DURABLE_CURSORS_ENABLED with the scheduler on): every poll starts
 *   from the database; its changes are staged and committed when it emits or returns nothing,
 *   and discarded when it throws.
 */
import { Container } from '@n8n/di';
import { PollContext, PollTriggerExecutor } from 'n8n-core';
import type { IDataObject, INodeExecutionData, IRun, Workflow } from 'n8n-workflow';

import { additionalDataFor, execute, type TestCredentials } from './engine';

export interface PollOutcome {
	/** What the poll emitted (n8n starts an execution with it), or null. */
	emitted: INodeExecutionData[][] | null;
	/** What n8n recorded as a failed trigger execution (and sent to the error workflow). */
	error?: Error;
}

const realNow = Date.now.bind(Date);

export class PublishedWorkflow {
	/** The workflow's static data as n8n's database holds it. */
	private stored = '{}';
	/** Default mode: the Workflow object n8n's poll scheduler keeps between polls. */
	private live?: Workflow;
	/** Every failed trigger execution n8n recorded. */
	readonly failedExecutions: Error[] = [];
	private clockOffsetMs = 0;
	private clockSpy?: jest.SpyInstance<number, []>;

	constructor(
		private readonly build: (staticData: IDataObject) => Workflow,
		private readonly triggerName: string,
		private readonly credentials: TestCredentials,
		private readonly options: { durableCursors?: boolean } = {},
	) {}

	/** The trigger's static data as the database holds it (a copy). */
	get savedState(): IDataObject | undefined {
		return (JSON.parse(this.stored) as IDataObject)[`node:${this.triggerName}`] as
			IDataObject | undefined;
	}

	/** n8n restarts: the scheduler's Workflow object, and whatever it never saved, is gone. */
	restart(): void {
		this.live = undefined;
	}

	/** Moves the clock the trigger sees (Date.now) forward, as time passing between polls would. */
	advance(ms: number): void {
		this.clockOffsetMs += ms;
		this.clockSpy ??= jest
			.spyOn(Date, 'now')
			.mockImplementation(() => realNow() + this.clockOffsetMs);
	}

	/** Puts the real clock back; call in a finally or afterEach. */
	dispose(): void {
		this.clockSpy?.mockRestore();
		this.clockSpy = undefined;
	}

	private save(staticData: IDataObject): void {
		const copy = JSON.parse(JSON.stringify(staticData)) as IDataObject;
		delete copy.__dataChanged;
		this.stored = JSON.stringify(copy);
	}

	/** One scheduled poll, run by n8n-core's PollTriggerExecutor. */
	async poll(): Promise<PollOutcome> {
		const durable = this.options.durableCursors === true;
		const workflow = durable
			? this.build(JSON.parse(this.stored) as IDataObject)
			: (this.live ??= this.build(JSON.parse(this.stored) as IDataObject));
		const node = workflow.getNode(this.triggerName);
		if (!node) throw new Error(`No node named ${this.triggerName}`);
		const outcome: PollOutcome = { emitted: null };
		// Durable cursors: the poll works on a staged copy, committed only on emit or an empty poll.
		let staged: IDataObject | undefined;
		const commit = () => {
			if (!staged) return;
			const all = JSON.parse(this.stored) as IDataObject;
			all[`node:${this.triggerName}`] = staged;
			this.stored = JSON.stringify(all);
		};
		const context = new PollContext(
			workflow,
			node,
			additionalDataFor(this.credentials),
			'trigger',
			'activate',
			(data) => {
				outcome.emitted = data;
				if (durable) commit();
				else if (workflow.staticData.__dataChanged === true) {
					this.save(workflow.staticData);
					workflow.staticData.__dataChanged = false;
				}
			},
			(error) => {
				outcome.error = error;
				this.failedExecutions.push(error);
			},
			async () => {
				if (durable) commit();
			},
			async (run) => {
				if (durable)
					staged = JSON.parse(JSON.stringify(workflow.getStaticData('node', node))) as IDataObject;
				return await run();
			},
			durable ? () => staged as IDataObject : undefined,
		);
		const executor = Container.get(PollTriggerExecutor);
		await executor.create(workflow, node, context, () => true)();
		return outcome;
	}

	/** A poll and, when it emitted, the execution n8n starts with it. */
	async pollAndRun(): Promise<IRun | undefined> {
		const { emitted, error } = await this.poll();
		if (error) throw error;
		if (!emitted) return undefined;
		return await execute(
			this.build(JSON.parse(this.stored) as IDataObject),
			this.triggerName,
			emitted,
			this.credentials,
		);
	}
}
