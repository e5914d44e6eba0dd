import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import type { CsvEncoding } from '../../lib/csv/reader';
import { redact } from '../../lib/redact';
import { s3ClientFor, secretsOf, settingsFromCredential } from '../../lib/s3/connection';
import { S3Store } from '../../lib/s3/store';
import {
	firstPollOfActivation,
	runMarkerFolders,
	runSingleFile,
	withRetrySchedule,
	type TriggerState,
} from '../../lib/trigger/poll';
import { testS3InboundCredential } from '../shared/credentialTest';
import { allowBareQuotesOption, ENCODING_OPTIONS } from '../shared/csvOptions';

export class S3CsvInboundTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'S3 CSV Inbound Trigger',
		name: 's3CsvInboundTrigger',
		icon: { light: 'file:s3CsvInbound.svg', dark: 'file:s3CsvInbound.dark.svg' },
		group: ['trigger'],
		// Version 2: n8n's Poll Times are the one schedule (version 1 had its own "Check Every").
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{$parameter["mode"] === "markerFolders" ? "Marker folders" : "Single file"}}',
		description:
			'Hands on CSV files (plain or gzipped) from a private S3 bucket, one item per file: one overwritten file, or _SUCCESS marker folders. The Field Mapper reads the rows.',
		defaults: { name: 'S3 CSV Inbound Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 's3InboundAwsApi', required: true, testedBy: 's3InboundAwsApiTest' }],
		properties: [
			{
				displayName:
					'Poll Times above is how often the trigger wakes up: leave it at Every Minute, as a wake-up is one cheap S3 request. <b>Check Every</b> below is the import schedule. Between scheduled checks the trigger still retries a failed check after 1, 2, 4… minutes, drains a backlog, and imports a first upload as soon as it appears.',
				name: 'scheduleNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { '@version': [1] } },
			},
			{
				displayName:
					'Poll Times above is the schedule: each poll looks at S3 (one HEAD request, or one listing) and starts an execution only when there is something to import. Publishing checks at once.',
				name: 'pollNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { '@version': [{ _cnd: { gte: 2 } }] } },
			},
			{
				displayName: 'Mode',
				name: 'mode',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Single File (Overwrite)',
						value: 'singleFile',
						description:
							'One CSV at a fixed path, overwritten by each upload and imported when it changes',
					},
					{
						name: 'Marker Folders',
						value: 'markerFolders',
						description:
							'Folders current/dt=YYYYMMDD/ that are ready once they hold a _SUCCESS marker',
					},
				],
				default: 'singleFile',
			},
			{
				displayName: 'Bucket',
				name: 'bucket',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'my-bucket',
				displayOptions: { show: { mode: ['singleFile'] } },
			},
			{
				displayName: 'File Path',
				name: 'fileKey',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'imports/accounts.csv',
				description: 'The CSV’s key in the bucket (plain or gzipped)',
				displayOptions: { show: { mode: ['singleFile'] } },
			},
			{
				displayName: 'Import on Every Check',
				name: 'importEveryCheck',
				type: 'boolean',
				default: false,
				description: 'Whether to import the file at every check even when it has not changed',
				displayOptions: { show: { mode: ['singleFile'], '@version': [1] } },
			},
			{
				displayName: 'Import at Every Poll',
				name: 'importEveryCheck',
				type: 'boolean',
				default: false,
				description:
					'Whether to import the file at every poll even when it has not changed (with Poll Times at Every Hour, the file is re-read every hour as Staircase does). Off: it is imported when it changes, or when the workflow is published with a changed mapping.',
				displayOptions: { show: { mode: ['singleFile'], '@version': [{ _cnd: { gte: 2 } }] } },
			},
			{
				displayName: 'Check Every (Minutes)',
				name: 'intervalMinutes',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 60,
				description:
					'The import schedule: how often to look at the file (0: at every poll). A file that appears or changes between checks waits for the next check, except a first upload, which is imported at the next poll. After you change the mapping, unpublish and publish the workflow: the file is then imported again at once.',
				displayOptions: { show: { mode: ['singleFile'], '@version': [1] } },
			},
			{
				displayName: 'Bucket',
				name: 'bucketPath',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'my-bucket/sub/folder',
				description: 'The bucket name, optionally followed by sub-folders separated by slashes',
				displayOptions: { show: { mode: ['markerFolders'] } },
			},
			{
				displayName: 'Base Import Folder',
				name: 'baseFolder',
				type: 'string',
				default: '',
				placeholder: 'px-import',
				description:
					'The folder that holds current/ and processed/. Empty for the bucket (and sub-folder) root.',
				displayOptions: { show: { mode: ['markerFolders'] } },
			},
			{
				displayName: 'Marker Name',
				name: 'markerName',
				type: 'string',
				default: '_SUCCESS',
				description: 'The file whose presence makes a folder ready; its content is not read',
				displayOptions: { show: { mode: ['markerFolders'] } },
			},
			{
				displayName: 'Data File Pattern',
				name: 'filePattern',
				type: 'string',
				default: '*.csv.gz, *.csv',
				description:
					'Comma-separated name patterns of the data files; the name before the extension does not matter',
				displayOptions: { show: { mode: ['markerFolders'] } },
			},
			{
				displayName: 'Check Every (Minutes)',
				name: 'intervalMinutes',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 15,
				description:
					'The import schedule: how often to look for ready folders (0: at every poll). A backlog is drained at the next polls without waiting.',
				displayOptions: { show: { mode: ['markerFolders'], '@version': [1] } },
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					allowBareQuotesOption(),
					{
						displayName: 'Delimiter',
						name: 'delimiter',
						type: 'string',
						default: ',',
						description:
							'The character between fields; handed on with each file to the node that reads it',
					},
					{
						displayName: 'Encoding',
						name: 'encoding',
						type: 'options',
						options: ENCODING_OPTIONS,
						default: 'utf-8',
						description:
							'How the files’ bytes are decoded; handed on with each file to the node that reads it',
					},
					{
						displayName: 'Failed Checks Before Error',
						name: 'reportFaultAfter',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 3,
						description:
							'A passing S3 fault (network, throttling, 5xx) is only logged and retried at the next poll (version 1: after 1, 2, 4… minutes); if this many checks in a row fail, it becomes one failed execution (and runs the error workflow), naming the cause and the next try. Faults that need you, such as a missing bucket or denied access, are reported at once.',
					},
					{
						displayName: 'Lease (Minutes)',
						name: 'leaseMinutes',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 60,
						description:
							'How long a folder handed to a run is kept from other runs. A folder still in current/ after this is handed on again.',
						displayOptions: { show: { '/mode': ['markerFolders'] } },
					},
					{
						displayName: 'Max Files per Run',
						name: 'maxFilesPerRun',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 5,
						description:
							'No further folder is started once this many data files are handed to one execution; a folder is never split, so a larger folder goes alone',
						displayOptions: { show: { '/mode': ['markerFolders'] } },
					},
					{
						displayName: 'Max Folders per Run',
						name: 'maxFolders',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 10,
						description:
							'At most this many ready folders go into one execution; the rest follow at the next poll (version 1: without waiting for Check Every)',
						displayOptions: { show: { '/mode': ['markerFolders'] } },
					},
					{
						displayName: 'Max Rows per File',
						name: 'maxRowsPerFile',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 1000000,
						description:
							'A file with more rows is refused by the node that reads it (it is reported as failed); protects n8n’s memory',
					},
					{
						displayName: 'Sample Rows (Test Run)',
						name: 'sampleRows',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 10,
						description:
							'How many rows of the first file “Fetch Test Event” shows next to the files found',
					},
				],
			},
		],
	};

	methods = {
		credentialTest: { s3InboundAwsApiTest: testS3InboundCredential },
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const mode = this.getNodeParameter('mode') as 'singleFile' | 'markerFolders';
		const options = this.getNodeParameter('options', {}) as IDataObject;
		const settings = settingsFromCredential(await this.getCredentials('s3InboundAwsApi'));
		const secrets = secretsOf(settings);
		const manual = this.getMode() === 'manual';
		// A test run reads a sample and leaves the state alone.
		const state = (manual ? {} : this.getWorkflowStaticData('node')) as TriggerState;
		const everyPoll = this.getNode().typeVersion >= 2;
		const intervalMs = everyPoll
			? 0
			: Math.max(0, Number(this.getNodeParameter('intervalMinutes', 15))) * 60_000;
		const read = {
			csv: {
				delimiter: (options.delimiter as string) || ',',
				encoding: ((options.encoding as string) || 'utf-8') as CsvEncoding,
				maxRows: Number(options.maxRowsPerFile ?? 1_000_000),
				allowBareQuotes: options.allowBareQuotes === true,
			},
			sampleRows: manual ? Number(options.sampleRows ?? 10) : undefined,
		};
		const logger = this.logger;
		try {
			const warn = (message: string) =>
				logger.warn(redact(`${this.getNode().name}: ${message}`, secrets));
			const common = {
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
				storeFor: (bucket: string) => new S3Store(s3ClientFor(settings), bucket),
			};
			const result = await withRetrySchedule(common, async () =>
				mode === 'singleFile'
					? await runSingleFile({
							...common,
							bucket: this.getNodeParameter('bucket') as string,
							key: this.getNodeParameter('fileKey') as string,
							importEveryCheck: this.getNodeParameter('importEveryCheck', false) as boolean,
							downstream: this.getChildNodes(this.getNode().name, { includeNodeParameters: true }),
							ownParameters: this.getNode().parameters,
						})
					: await runMarkerFolders({
							...common,
							bucketPath: this.getNodeParameter('bucketPath') as string,
							baseFolder: this.getNodeParameter('baseFolder', '') as string,
							markerName: (this.getNodeParameter('markerName', '_SUCCESS') as string) || '_SUCCESS',
							patterns: String(this.getNodeParameter('filePattern', '*.csv.gz, *.csv')).split(','),
							leaseMs: Number(options.leaseMinutes ?? 60) * 60_000,
							maxFolders: Number(options.maxFolders ?? 10),
							maxFilesPerRun: Number(options.maxFilesPerRun ?? 5),
							budgetMs: this.getPollBudgetMs?.() ?? 5 * 60_000,
						}),
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
