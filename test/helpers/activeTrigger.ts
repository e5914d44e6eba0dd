/**
 * A published workflow whose trigger() node (the S3 CSV Inbound Event Trigger) runs the way n8n
 * 2.41's server runs it: n8n-core's TriggerContext, wired as the server's
 * TriggerExecutionContextFactory wires it — emit saves the workflow's static data (when it
 * changed) and starts an execution; saveFailedExecution records a failed execution. The trigger
 * runs until deactivated (its closeFunction). A restart deactivates it and builds the workflow
 * again from what was saved, as n8n does at start-up.
 */
import { TriggerContext } from 'n8n-core';
import {
	Workflow,
	type IDataObject,
	type INode,
	type INodeExecutionData,
	type INodeType,
	type INodeTypes,
	type IRun,
	type ITriggerResponse,
} from 'n8n-workflow';

import { S3CsvInboundEventTrigger } from '../../nodes/S3CsvInboundEventTrigger/S3CsvInboundEventTrigger.node';
import {
	additionalDataFor,
	connect,
	execute,
	node,
	nodeTypes,
	TYPES,
	type TestCredentials,
} from './engine';

export const EVENT_TRIGGER = 'n8n-nodes-s3-inbound.s3CsvInboundEventTrigger';
const eventTrigger = new S3CsvInboundEventTrigger();

/** The test node types, plus the event trigger. */
export const typesWithEventTrigger: INodeTypes = {
	getByName: (type: string) => (type === EVENT_TRIGGER ? eventTrigger : nodeTypes.getByName(type)),
	getByNameAndVersion: (type: string) =>
		type === EVENT_TRIGGER ? eventTrigger : nodeTypes.getByNameAndVersion(type),
	getKnownTypes: () => ({}),
} as unknown as INodeTypes;

export function eventTriggerNode(parameters: IDataObject): INode {
	return node('Trigger', EVENT_TRIGGER, parameters, {
		credentials: { s3InboundAwsApi: { id: 'aws', name: 'S3 Inbound AWS' } },
	});
}

/** Event trigger → Field Mapper (lenient, every column) → Destination. */
export function eventFlow(
	trigger: IDataObject,
	staticData: IDataObject,
	fieldMapper?: IDataObject,
): Workflow {
	return new Workflow({
		id: 'event-workflow',
		name: 'event workflow',
		nodes: [
			eventTriggerNode(trigger),
			node(
				'Field Mapper',
				TYPES.fieldMapper,
				fieldMapper ?? { mode: 'lenient', options: { keepUnmapped: true } },
			),
			node('Destination', TYPES.destination, { replaceJson: false }),
		],
		connections: connect(['Trigger', 'Field Mapper'], ['Field Mapper', 'Destination']),
		active: true,
		nodeTypes: typesWithEventTrigger,
		staticData,
		settings: { executionOrder: 'v1' },
	});
}

export class ActiveTrigger {
	private stored = '{}';
	private response?: ITriggerResponse;
	private workflow?: Workflow;
	readonly emitted: INodeExecutionData[][][] = [];
	readonly failedExecutions: Error[] = [];
	/** Executions started from what the trigger emitted (when `runExecutions`). */
	readonly runs: IRun[] = [];
	private pending: Array<Promise<unknown>> = [];

	constructor(
		private readonly build: (staticData: IDataObject) => Workflow,
		private readonly credentials: TestCredentials,
		private readonly options: { runExecutions?: boolean } = {},
	) {}

	get savedState(): IDataObject | undefined {
		return (JSON.parse(this.stored) as IDataObject)['node:Trigger'] as IDataObject | undefined;
	}

	/** Publishes: n8n builds the workflow from its database and calls trigger(). */
	async activate(): Promise<void> {
		const workflow = this.build(JSON.parse(this.stored) as IDataObject);
		this.workflow = workflow;
		const triggerNode = workflow.getNode('Trigger') as INode;
		const context = new TriggerContext(
			workflow,
			triggerNode,
			additionalDataFor(this.credentials),
			'trigger',
			'activate',
			(data) => {
				this.emitted.push(data);
				if (workflow.staticData.__dataChanged === true) {
					const copy = JSON.parse(JSON.stringify(workflow.staticData)) as IDataObject;
					delete copy.__dataChanged;
					this.stored = JSON.stringify(copy);
					workflow.staticData.__dataChanged = false;
				}
				if (this.options.runExecutions)
					this.pending.push(
						execute(this.build({}), 'Trigger', data, this.credentials).then((run) =>
							this.runs.push(run),
						),
					);
			},
			(error) => this.failedExecutions.push(error),
			(error) => this.failedExecutions.push(error),
		);
		const type = workflow.nodeTypes.getByNameAndVersion(triggerNode.type) as INodeType;
		this.response = (await type.trigger!.call(context)) ?? undefined;
	}

	/** Unpublishes (closeFunction). */
	async deactivate(): Promise<void> {
		await this.response?.closeFunction?.();
		this.response = undefined;
		await Promise.all(this.pending);
	}

	/** n8n restarts: the trigger stops, and starts again from what n8n saved. */
	async restart(): Promise<void> {
		await this.deactivate();
		await this.activate();
	}

	/** Waits until `count` emits happened (or the timeout). */
	async waitForEmits(count: number, timeoutMs = 15_000): Promise<INodeExecutionData[][][]> {
		const deadline = Date.now() + timeoutMs;
		while (this.emitted.length < count) {
			if (Date.now() > deadline)
				throw new Error(`Timed out waiting for ${count} emits (got ${this.emitted.length})`);
			await new Promise((r) => setTimeout(r, 50));
		}
		await Promise.all(this.pending);
		return this.emitted;
	}

	get live(): Workflow | undefined {
		return this.workflow;
	}
}
