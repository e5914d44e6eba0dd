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
import { finishFiles } from './finishFiles';
import { reportFileOutcomes } from './reportFiles';

const FAIL_ON_ERROR_BATCH_DESCRIPTION =
	'Whether the execution fails (red in the executions list, and n8n’s error workflow runs) when a file or batch folder was not imported whole: after a marker folder is closed with ERROR (status file, move, callback), and after a file not imported is left where it is';

/**
 * Finish Import (formerly PX Status Writer; the node type keeps its name, so workflows built with it
 * keep working). Its main operation finishes what an execution imported: each marker folder is
 * closed the PX way (./closeBatches.ts), each other file (New Files, Single File) gets the action
 * after import once all its rows were delivered (./finishFiles.ts). Report File Outcome ends a
 * per-file sub-workflow (./reportFiles.ts). All start from what reached the node (./collect.ts);
 * the decisions are lib/px's and lib/afterImport's.
 */
export class PxStatusWriter implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Finish Import',
		name: 'pxStatusWriter',
		icon: { light: 'file:pxStatusWriter.svg', dark: 'file:pxStatusWriter.dark.svg' },
		group: ['output'],
		version: [1, 2],
		defaultVersion: 2,
		subtitle:
			'={{$parameter["operation"] === "reportFiles" ? "Report file outcome" : ({ move: "Move imported files", delete: "Delete imported files", tag: "Tag imported files" })[$parameter["afterImport"]] ?? ($parameter["sendCallback"] ? "Status file and callback" : "Status file")}}',
		description:
			'After the rows were delivered: keep, move, delete or tag each imported file; close marker folders (status.txt, processed/, callback)',
		defaults: { name: 'Finish Import' },
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
						name: 'Finish Files and Batch Folders',
						value: 'closeBatches',
						action: 'Finish imported files and batch folders',
						description:
							'Per file: when all its rows were delivered, keep, move, delete or tag it; per marker folder: status.txt, move to processed/, callback',
					},
					{
						name: 'Report File Outcome',
						value: 'reportFiles',
						action: 'Report file outcome',
						description:
							'At the end of a per-file sub-workflow: one small item per file, for the parent workflow’s Finish Import',
					},
				],
				default: 'closeBatches',
			},
			{
				displayName:
					'Connect the destination’s output to Imported Rows, its error output (On Error: Continue (using error output)) to Failed Rows, and the Field Mapper’s Rejected output to Rejected. A file is imported when every row reached Imported Rows and none was rejected or failed; only then is the action below carried out. Marker folders get one status.txt and one callback each, and always move to processed/. With one sub-workflow per file (Execute Sub-workflow), connect its output to Imported Rows.',
				name: 'notice',
				type: 'notice',
				default: '',
				displayOptions: { show: { operation: ['closeBatches'] } },
			},
			{
				displayName:
					'Ends a sub-workflow that imports one file: connect the destination’s output to Imported Rows, its error output to Failed Rows, and the Field Mapper’s Rejected output to Rejected. The sub-workflow then returns one item with the file’s outcome, and the parent workflow’s Finish Import finishes the file (or closes the batch folder after its last file).',
				name: 'reportNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { operation: ['reportFiles'] } },
			},
			{
				displayName: 'After Import',
				name: 'afterImport',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Keep File',
						value: 'keep',
						description: 'Leave the file where it is',
					},
					{
						name: 'Move to Folder',
						value: 'move',
						description:
							'Copy it to the folder below, verify the copy, then delete the original. With New Files, a file not imported is handed on again after the trigger’s Lease.',
					},
					{
						name: 'Delete File',
						value: 'delete',
						description:
							'Delete it (only the version imported). With New Files, a file not imported is handed on again after the trigger’s Lease.',
					},
					{
						name: 'Tag File',
						value: 'tag',
						description:
							'Add a tag to it (its other tags are kept), e.g. for a lifecycle rule that expires imported files',
					},
				],
				default: 'keep',
				description:
					'What happens to each file of New Files or Single File once all its rows were delivered. A file not imported whole stays where it is. Marker folders always move to processed/.',
				displayOptions: { show: { operation: ['closeBatches'] } },
			},
			{
				displayName: 'Move To',
				name: 'moveTo',
				type: 'string',
				default: 'processed/{yyyy}{MM}{dd}/',
				placeholder: 'processed/{yyyy}-{MM}-{dd}/',
				description:
					'The folder imported files move to, in the same bucket: {yyyy}, {MM} and {dd} are the day of the move (UTC). Sub-folders below the watched folder are kept; a file of the same name already there is not written over (the new one gets its ETag in its name).',
				displayOptions: { show: { operation: ['closeBatches'], afterImport: ['move'] } },
			},
			{
				displayName: 'Tag Key',
				name: 'tagKey',
				type: 'string',
				default: 'imported',
				displayOptions: { show: { operation: ['closeBatches'], afterImport: ['tag'] } },
			},
			{
				displayName: 'Tag Value',
				name: 'tagValue',
				type: 'string',
				default: 'true',
				displayOptions: { show: { operation: ['closeBatches'], afterImport: ['tag'] } },
			},
			{
				displayName: 'Write Status File',
				name: 'statusFile',
				type: 'boolean',
				default: false,
				description:
					'Whether to write a status file next to each file of New Files or Single File, where it ends up (a.csv.status.txt for a.csv): SUCCESS or ERROR with the reasons, as a marker folder’s status.txt (which is always written)',
				displayOptions: { show: { operation: ['closeBatches'] } },
			},
			{
				displayName: 'Send Status Callback',
				name: 'sendCallback',
				type: 'boolean',
				default: false,
				displayOptions: { show: { operation: ['closeBatches'] } },
				description:
					'Whether to POST {folder_path, success, message} to the endpoint in the Import Status Callback API credential: once per marker folder, and once per file (with file_path: where the file is now)',
			},
			{
				displayName: 'Fail Execution on Failed Import',
				name: 'failOnErrorBatch',
				type: 'boolean',
				default: false,
				description: FAIL_ON_ERROR_BATCH_DESCRIPTION,
				displayOptions: { show: { '@version': [1], operation: ['closeBatches'] } },
			},
			{
				displayName: 'Fail Execution on Failed Import',
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
				`${this.getNode().name}: ${untraced === 1 ? '1 item' : `${untraced} items`} could not be traced to a file.`,
			);
		}
		if (operation === 'reportFiles') return [reportFileOutcomes.call(this, collected)];
		// Marker folders, then files outside them (a workflow has one or the other, by its trigger's mode).
		const folders = await closeBatches.call(this, collected);
		return [[...folders, ...(await finishFiles.call(this, collected))]];
	}
}
