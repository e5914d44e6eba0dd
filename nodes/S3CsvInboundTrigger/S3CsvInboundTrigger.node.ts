import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import { redact } from '../../lib/redact';
import { withRetrySchedule } from '../../lib/trigger/retrySchedule';
import type { PollContext, TriggerState } from '../../lib/trigger/pollContext';
import { firstPollOfActivation } from '../../lib/trigger/v1Schedule';
import { testS3InboundCredential } from '../shared/credentialTest';
import { s3Access } from '../shared/s3';
import { triggerProperties } from './description';
import { modeChecks, readSettings } from './modes';

export class S3CsvInboundTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'S3 CSV Inbound Trigger',
		name: 's3CsvInboundTrigger',
		icon: { light: 'file:s3CsvInbound.svg', dark: 'file:s3CsvInbound.dark.svg' },
		group: ['trigger'],
		// Version 2: n8n's Poll Times are the one schedule (version 1 had its own "Check Every").
		version: [1, 2],
		defaultVersion: 2,
		subtitle:
			'={{$parameter["mode"] === "markerFolders" ? "Marker folders" : $parameter["mode"] === "newFiles" ? "New files" : "Single file"}}',
		description:
			'Hands on files from a private S3 bucket, one item per file: one overwritten CSV, _SUCCESS marker folders, or every new file in a folder. The Field Mapper reads the rows.',
		defaults: { name: 'S3 CSV Inbound Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 's3InboundAwsApi', required: true, testedBy: 's3InboundAwsApiTest' }],
		// A copy: n8n's loader adds Poll Times to a polling node's own list; the shared one stays clean.
		properties: [...triggerProperties],
	};

	methods = {
		credentialTest: { s3InboundAwsApiTest: testS3InboundCredential },
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const options = this.getNodeParameter('options', {}) as IDataObject;
		const { secrets, storeFor } = s3Access(await this.getCredentials('s3InboundAwsApi'));
		const manual = this.getMode() === 'manual';
		// A test run reads a sample and leaves the state alone.
		const state = (manual ? {} : this.getWorkflowStaticData('node')) as TriggerState;
		const everyPoll = this.getNode().typeVersion >= 2;
		const intervalMs = everyPoll
			? 0
			: Math.max(0, Number(this.getNodeParameter('intervalMinutes', 15))) * 60_000;
		const read = readSettings(options, manual);
		const logger = this.logger;
		try {
			const warn = (message: string) =>
				logger.warn(redact(`${this.getNode().name}: ${message}`, secrets));
			const pollContext: PollContext = {
				intervalMs,
				everyPoll,
				manual,
				state,
				now: Date.now(),
				read,
				reportFaultAfter: Number(options.reportFaultAfter ?? 3),
				// Version 1: publishing (or n8n starting) checks at once, not at the next scheduled check.
				// (Version 2 checks at every poll, the activation poll included.)
				activated: !manual && !everyPoll && firstPollOfActivation(state),
				warn,
				storeFor,
			};
			const checks = modeChecks(this, options, {
				reReadEvery: everyPoll,
				budgetMs: this.getPollBudgetMs?.() ?? 5 * 60_000,
			});
			const result = await withRetrySchedule(
				pollContext,
				async () => await checks.check(pollContext),
			);
			if (result.items.length === 0) {
				if (manual) {
					throw new NodeOperationError(
						this.getNode(),
						result.nothingToImport ?? 'Nothing to import',
						{
							description: result.hint,
						},
					);
				}
				return null;
			}
			return [result.items.map((json) => ({ json: json as IDataObject }))];
		} catch (error) {
			const e = error as Error & { hint?: string; description?: string };
			throw new NodeOperationError(this.getNode(), redact(e.message, secrets), {
				description: e.hint ? redact(e.hint, secrets) : e.description,
			});
		}
	}
}
