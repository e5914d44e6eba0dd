import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { testS3InboundCredential, testStatusCallbackCredential } from '../shared/credentialTest';
import { closeBatches } from './closeBatches';
import { collectOutcomes } from './collect';
import { reportFileOutcomes } from './reportFiles';

const FAIL_ON_ERROR_BATCH_DESCRIPTION =
	'Whether an execution that closes a batch with ERROR fails (red in the executions list, and n8n’s error workflow runs) after the status file, the move and the callback are done';

/**
 * Closes marker-folder imports (Close Batch Folders), or reports one file's outcome at the end of a
 * per-file sub-workflow (Report File Outcome). Both start from what reached the node
 * (./collect.ts); the decisions are lib/px's.
 */
export class PxStatusWriter implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'PX Status Writer',
		name: 'pxStatusWriter',
		icon: { light: 'file:pxStatusWriter.svg', dark: 'file:pxStatusWriter.dark.svg' },
		group: ['output'],
		version: [1, 2],
		defaultVersion: 2,
		subtitle:
			'={{$parameter["operation"] === "reportFiles" ? "Report file outcome" : $parameter["sendCallback"] ? "Status file and callback" : "Status file"}}',
		description:
			'Closes marker-folder imports: status.txt, files moved to processed/, status callback',
		defaults: { name: 'PX Status Writer' },
		inputs: [
			{ type: NodeConnectionTypes.Main, displayName: 'Imported Rows' },
			{ type: NodeConnectionTypes.Main, displayName: 'Failed Rows' },
			{ type: NodeConnectionTypes.Main, displayName: 'Rejected' },
		],
		inputNames: ['Imported Rows', 'Failed Rows', 'Rejected'],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 's3InboundAwsApi',
				required: true,
				testedBy: 's3InboundAwsApiTest',
				displayOptions: { show: { operation: ['closeBatches'] } },
			},
			{
				name: 'importStatusCallbackApi',
				required: true,
				testedBy: 'importStatusCallbackApiTest',
				displayOptions: { show: { sendCallback: [true], operation: ['closeBatches'] } },
			},
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Close Batch Folders',
						value: 'closeBatches',
						action: 'Close batch folders',
						description:
							'Decide each batch folder’s status, move its files to processed/, write status.txt and send the callback',
					},
					{
						name: 'Report File Outcome',
						value: 'reportFiles',
						action: 'Report file outcome',
						description:
							'At the end of a per-file sub-workflow: one small item per file, for the parent workflow’s Close Batch Folders',
					},
				],
				default: 'closeBatches',
			},
			{
				displayName:
					'Connect the destination’s output to Imported Rows, its error output (On Error: Continue (using error output)) to Failed Rows, and the Field Mapper’s Rejected output to Rejected. Each batch folder gets one status.txt and one callback. With one sub-workflow per file (Execute Sub-workflow), connect its output to Imported Rows.',
				name: 'notice',
				type: 'notice',
				default: '',
				displayOptions: { show: { operation: ['closeBatches'] } },
			},
			{
				displayName:
					'Ends a sub-workflow that imports one file: connect the destination’s output to Imported Rows, its error output to Failed Rows, and the Field Mapper’s Rejected output to Rejected. The sub-workflow then returns one item with the file’s outcome, and the parent workflow’s PX Status Writer closes the batch folder after its last file.',
				name: 'reportNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { operation: ['reportFiles'] } },
			},
			{
				displayName: 'Send Status Callback',
				name: 'sendCallback',
				type: 'boolean',
				default: false,
				displayOptions: { show: { operation: ['closeBatches'] } },
				description:
					'Whether to POST {folder_path, success, message} to the endpoint in the Import Status Callback API credential',
			},
			{
				displayName: 'Fail Execution on ERROR Batch',
				name: 'failOnErrorBatch',
				type: 'boolean',
				default: false,
				description: FAIL_ON_ERROR_BATCH_DESCRIPTION,
				displayOptions: { show: { '@version': [1], operation: ['closeBatches'] } },
			},
			{
				displayName: 'Fail Execution on ERROR Batch',
				name: 'failOnErrorBatch',
				type: 'boolean',
				default: true,
				description: FAIL_ON_ERROR_BATCH_DESCRIPTION,
				displayOptions: {
					show: { '@version': [{ _cnd: { gte: 2 } }], operation: ['closeBatches'] },
				},
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				displayOptions: { show: { operation: ['closeBatches'] } },
				options: [
					{
						displayName: 'Callback Attempts per Run',
						name: 'maxAttempts',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 10 },
						default: 4,
						description:
							'Network errors, timeouts, 408, 429 and 5xx answers are retried within the run up to this many attempts in all',
					},
					{
						displayName: 'Callback Retry Delay (Ms)',
						name: 'retryDelayMs',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 1000,
						description:
							'The first retry’s delay within a run; it doubles with each retry, up to 30 s',
					},
					{
						displayName: 'Callback Retry Limit (Hours)',
						name: 'callbackRetryHours',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 24,
						description:
							'A callback still not delivered at the end of its run keeps the batch open (its marker stays under current/) and is sent again by later runs, at the trigger’s first check after 5, 10, 20, 40 minutes and then hourly, with the same body and idempotency key. After this long the batch is closed without it and the execution fails, naming the callback. 0 gives up at the end of the first run.',
					},
					{
						displayName: 'Callback Timeout (Seconds)',
						name: 'timeoutSeconds',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 10,
					},
				],
			},
		],
	};

	methods = {
		credentialTest: {
			s3InboundAwsApiTest: testS3InboundCredential,
			importStatusCallbackApiTest: testStatusCallbackCredential,
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0, 'closeBatches') as
			'closeBatches' | 'reportFiles';
		const collected = collectOutcomes.call(this);
		const { untraced } = collected.collector;
		if (untraced > 0) {
			this.logger.warn(
				`PX Status Writer: ${untraced === 1 ? '1 item' : `${untraced} items`} could not be traced to a file of a batch folder.`,
			);
		}
		if (operation === 'reportFiles') return [reportFileOutcomes.call(this, collected)];
		return [await closeBatches.call(this, collected)];
	}
}
