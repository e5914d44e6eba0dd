import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type INodeProperties,
	type INodeType,
	type INodeTypeDescription,
	type ITriggerFunctions,
	type ITriggerResponse,
} from 'n8n-workflow';

import { redact } from '../../lib/redact';
import { checkQueueUrl, EventQueue, sqsClientFor } from '../../lib/sqs/queue';
import { startEventLoop } from '../../lib/trigger/eventLoop';
import { withRetrySchedule } from '../../lib/trigger/retrySchedule';
import type { PollContext, TriggerState } from '../../lib/trigger/pollContext';
import { triggerProperties } from '../S3CsvInboundTrigger/description';
import { modeChecks, readSettings } from '../S3CsvInboundTrigger/modes';
import { testS3InboundCredential } from '../shared/credentialTest';
import { s3Access } from '../shared/s3';

/** The polling trigger's own schedule parameters (version 1's Check Every, Poll Times notices) have no place here. */
const POLL_ONLY = new Set([
	'pollTimes',
	'scheduleNotice',
	'pollNotice',
	'importEveryCheck',
	'intervalMinutes',
]);

/** The polling trigger's mode parameters, without its version conditions (this node has one version). */
function modeProperties(): INodeProperties[] {
	return triggerProperties
		.filter((p) => !POLL_ONLY.has(p.name))
		.map((p) => {
			const show = p.displayOptions?.show;
			if (!show) return p;
			const rest = Object.fromEntries(
				Object.entries(show).filter(([k]) => k !== '@version' && k !== 'importEveryCheck'),
			);
			return { ...p, displayOptions: { ...p.displayOptions, show: rest } };
		});
}

/**
 * Starts within seconds of an upload: it long-polls an SQS queue that receives the bucket's S3
 * event notifications, and hands on what the chosen mode imports (new files, a marker folder when
 * its marker arrives, the single file when it is overwritten). It also lists every few minutes, so
 * a lost event costs minutes, not data.
 *
 * A second node rather than a mode of the S3 CSV Inbound Trigger: that one is a polling trigger
 * (n8n calls its poll() at Poll Times, at least a minute apart, and the node cannot wait between
 * polls); waiting on a queue needs a node that runs for as long as the workflow is active
 * (trigger(), like n8n's RabbitMQ, MQTT and Kafka triggers). n8n tells the two kinds apart by the
 * node type, not by a parameter.
 */
export class S3CsvInboundEventTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'S3 CSV Inbound Event Trigger',
		name: 's3CsvInboundEventTrigger',
		icon: { light: 'file:s3CsvInboundEvent.svg', dark: 'file:s3CsvInboundEvent.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle:
			'={{($parameter["mode"] === "markerFolders" ? "Marker folders" : $parameter["mode"] === "newFiles" ? "New files" : "Single file") + " · S3 events"}}',
		description:
			'Hands on S3 files within seconds of their upload, from S3 event notifications in an SQS queue; lists every few minutes as well, so a lost event costs minutes, not data',
		defaults: { name: 'S3 CSV Inbound Event Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 's3InboundAwsApi', required: true, testedBy: 's3InboundAwsApiTest' }],
		properties: [
			{
				displayName:
					'Send the bucket’s <b>s3:ObjectCreated:*</b> notifications to an SQS queue used by this trigger alone (see the README for the notification and queue policy). Each event is handed on within seconds; the trigger also lists every few minutes.',
				name: 'eventsNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Queue URL',
				name: 'queueUrl',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'https://sqs.eu-west-1.amazonaws.com/123456789012/s3-imports',
				description:
					'The SQS queue that receives the bucket’s event notifications (Details → URL in the SQS console). Same credential as S3.',
			},
			{
				displayName: 'List Every (Minutes)',
				name: 'fallbackMinutes',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 15,
				description:
					'Also lists (or looks at the single file) this often, and at publishing: an event that never came (a purged queue, a notification set up late) costs at most this long, not data',
			},
			...modeProperties(),
		],
	};

	methods = {
		credentialTest: { s3InboundAwsApiTest: testS3InboundCredential },
	};

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		const options = this.getNodeParameter('options', {}) as IDataObject;
		const { settings, secrets, storeFor } = s3Access(await this.getCredentials('s3InboundAwsApi'));
		const manual = this.getMode() === 'manual';
		const node = this.getNode();
		const nodeError = (error: unknown) => {
			const e = error as Error & { hint?: string; description?: string };
			return new NodeOperationError(node, redact(e.message, secrets), {
				description: e.hint ? redact(e.hint, secrets) : e.description,
			});
		};
		const checks = modeChecks(this, options, { reReadEvery: true, budgetMs: 5 * 60_000 });
		const state = (manual ? {} : this.getWorkflowStaticData('node')) as TriggerState;
		const warn = (message: string) => this.logger.warn(redact(`${node.name}: ${message}`, secrets));
		const pollContext = (): PollContext => ({
			intervalMs: 0,
			everyPoll: true,
			manual,
			state,
			now: Date.now(),
			read: readSettings(options, manual),
			reportFaultAfter: Number(options.reportFaultAfter ?? 3),
			warn,
			storeFor,
		});
		const emit = (items: Array<Record<string, unknown>>) =>
			this.emit([items.map((json) => ({ json: json as IDataObject }))]);

		if (manual) {
			// A test shows what a listing finds now, like the polling trigger's Fetch Test Event; the
			// queue is left alone (receiving would hide its messages from the active workflow).
			return {
				manualTriggerFunction: async () => {
					let result;
					try {
						result = await checks.check(pollContext());
					} catch (error) {
						throw nodeError(error);
					}
					if (result.items.length === 0)
						throw new NodeOperationError(node, result.nothingToImport ?? 'Nothing to import', {
							description: result.hint,
						});
					emit(result.items);
				},
			};
		}

		let queueUrl: string;
		let queue: EventQueue;
		try {
			queueUrl = checkQueueUrl(this.getNodeParameter('queueUrl') as string);
			queue = new EventQueue(sqsClientFor(settings, queueUrl), queueUrl);
			// A wrong URL or a missing permission fails the publishing, with what to do.
			await queue.check();
		} catch (error) {
			if ((error as { transient?: boolean }).transient !== true) throw nodeError(error);
			warn(
				`The queue could not be reached at publishing; the trigger keeps trying: ${(error as Error).message}`,
			);
			queueUrl = this.getNodeParameter('queueUrl') as string;
			queue = new EventQueue(sqsClientFor(settings, queueUrl), queueUrl);
		}

		const report = (error: Error) => {
			const failure = nodeError(error);
			if (typeof this.saveFailedExecution === 'function') this.saveFailedExecution(failure);
			else this.logger.error(failure.message);
		};
		const loop = startEventLoop({
			queue,
			// The editor asks for at least a minute; fractions (tests) are taken as they are.
			fallbackMs: Math.max(0.05, Number(this.getNodeParameter('fallbackMinutes', 15))) * 60_000,
			reportFaultAfter: Number(options.reportFaultAfter ?? 3),
			warn,
			debug: (message) => this.logger.debug(`${node.name}: ${message}`),
			report,
			onObjects: async (objects) => {
				const runs = await checks.onEvents(pollContext(), objects);
				for (const run of runs) if (run.items.length > 0) emit(run.items);
				return { backlog: runs.some((r) => r.backlog) };
			},
			onListing: async () => {
				const context = pollContext();
				const result = await withRetrySchedule(context, async () => await checks.check(context));
				if (result.items.length > 0) emit(result.items);
				return { backlog: result.backlog };
			},
		});
		return { closeFunction: async () => await loop.stop() };
	}
}
