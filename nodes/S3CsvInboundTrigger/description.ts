import type { IDataObject, INodeProperties, IPollFunctions, ITriggerFunctions } from 'n8n-workflow';

import { importedFilesLeave } from '../../lib/afterImport/plan';
import type { NewFilesOptions } from '../../lib/trigger/run/newFiles';
import type { PollContext } from '../../lib/trigger/pollContext';
import type { StartFrom } from '../../lib/trigger/newFiles';
import { allowBareQuotesOption, ENCODING_OPTIONS } from '../shared/csvOptions';

/**
 * The S3 CSV Inbound Trigger's parameters. The S3 CSV Inbound Event Trigger shows the same modes
 * and options (without the polling trigger's version-1 schedule).
 */
export const triggerProperties: INodeProperties[] = [
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
				description: 'Folders current/dt=YYYYMMDD/ that are ready once they hold a _SUCCESS marker',
			},
			{
				name: 'New Files',
				value: 'newFiles',
				description:
					'Every new or changed file in a folder, handed on once, oldest first (any file type)',
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
		displayOptions: { show: { mode: ['singleFile', 'newFiles'] } },
	},
	{
		displayName: 'Folder',
		name: 'folder',
		type: 'string',
		default: '',
		placeholder: 'incoming/',
		description: 'The folder (key prefix) to watch; empty for the whole bucket',
		displayOptions: { show: { mode: ['newFiles'] } },
	},
	{
		displayName: 'File Pattern',
		name: 'filePattern',
		type: 'string',
		default: '*.csv, *.csv.gz',
		description:
			'Comma-separated name patterns (* for every file: files that are not CSV are handed on too). A pattern with a slash is matched against the path below the folder.',
		displayOptions: { show: { mode: ['newFiles'] } },
	},
	{
		displayName: 'Include Sub-Folders',
		name: 'includeSubFolders',
		type: 'boolean',
		default: false,
		description:
			'Whether files in sub-folders of the folder count too. Off, sub-folders are not listed at all.',
		displayOptions: { show: { mode: ['newFiles'] } },
	},
	{
		displayName: 'Start From',
		name: 'startFrom',
		type: 'options',
		options: [
			{
				name: 'All Files Already There',
				value: 'all',
				description: 'Every file in the folder now is handed on (oldest first), then every new one',
			},
			{
				name: 'Only New Files',
				value: 'new',
				description: 'Files there at the first poll after publishing are left alone',
			},
			{
				name: 'Files Modified Since',
				value: 'modifiedSince',
				description: 'Files last modified at or after a date',
			},
		],
		default: 'all',
		description:
			'Where the backlog begins. Changing it (or the bucket or folder) starts afresh from the new start point.',
		displayOptions: { show: { mode: ['newFiles'] } },
	},
	{
		displayName: 'Modified Since',
		name: 'modifiedSince',
		type: 'dateTime',
		default: '',
		displayOptions: { show: { mode: ['newFiles'], startFrom: ['modifiedSince'] } },
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
		displayName: 'Re-Read Unchanged File Every (Minutes)',
		name: 'reReadMinutes',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description:
			'Imports the file again this long after its last import even when it has not changed (60: hourly, as Staircase does), while Poll Times stay short so that a new upload is imported at the next poll. 0: never.',
		displayOptions: {
			show: {
				mode: ['singleFile'],
				importEveryCheck: [false],
				'@version': [{ _cnd: { gte: 2 } }],
			},
		},
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
					'How long a folder (or, with New Files, a file) handed to a run is kept from other runs; set it longer than your longest run. A folder still in current/ after this is handed on again; so is a file still in the folder when Finish Import moves or deletes imported files (its import failed).',
				displayOptions: { show: { '/mode': ['markerFolders', 'newFiles'] } },
			},
			{
				displayName: 'Max Files per Run',
				name: 'maxFilesPerRun',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 5,
				description:
					'At most this many files are handed to one execution; the rest follow at the next poll, oldest first. Marker folders: no further folder is started once this many data files are handed on; a folder is never split, so a larger folder goes alone.',
				displayOptions: { show: { '/mode': ['markerFolders', 'newFiles'] } },
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
];

/** New Files mode's settings, as both triggers read them (the rest comes with the poll context). */
export function newFilesSettings(
	context: IPollFunctions | ITriggerFunctions,
	options: IDataObject,
): Omit<NewFilesOptions, keyof PollContext> {
	const startFrom = context.getNodeParameter('startFrom', 'all') as StartFrom;
	const since =
		startFrom === 'modifiedSince' ? String(context.getNodeParameter('modifiedSince', '')) : '';
	const sinceMs = since ? Date.parse(since) : Number.NaN;
	if (startFrom === 'modifiedSince' && Number.isNaN(sinceMs))
		throw new Error(
			'Start From is Files Modified Since, but Modified Since is not a date: choose one.',
		);
	return {
		bucket: context.getNodeParameter('bucket') as string,
		folder: context.getNodeParameter('folder', '') as string,
		patterns: String(context.getNodeParameter('filePattern', '*.csv, *.csv.gz'))
			.split(',')
			.map((p) => p.trim())
			.filter(Boolean),
		includeSubFolders: context.getNodeParameter('includeSubFolders', false) as boolean,
		startFrom,
		...(startFrom === 'modifiedSince' ? { since: sinceMs } : {}),
		maxFilesPerRun: Number(options.maxFilesPerRun ?? 5),
		triggerId: `${context.getWorkflow().id ?? ''}/${context.getNode().id}`,
		// Imported files leave the folder (a Finish Import after the trigger moves or deletes them):
		// a file still there after its lease was not imported, and is handed on again.
		leaseMs: importedFilesLeave(
			context.getChildNodes(context.getNode().name, { includeNodeParameters: true }),
		)
			? Number(options.leaseMinutes ?? 60) * 60_000
			: 0,
	};
}
