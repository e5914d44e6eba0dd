import {
	BINARY_ENCODING,
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeProperties,
	type INodeTypeDescription,
	type IPairedItemData,
} from 'n8n-workflow';

import { decodeGzipIfNeeded } from '../../lib/csv/decompress';
import type { CsvEncoding } from '../../lib/csv/reader';
import {
	fileLabel,
	IMPORT_KEY,
	importOf,
	isFileToRead,
	type FileReadSettings,
	type ImportFile,
} from '../../lib/importMetadata';
import {
	FieldMapping,
	fieldsFromJson,
	ReasonList,
	type FieldDefinition,
	type FieldType,
} from '../../lib/mapping/fields';
import { mapCsvFile, type MappedFile } from '../../lib/mapping/mapFile';
import { mapLenient, mapStrict, problemJson, rejectedFileJson } from '../../lib/mapping/mapRows';
import { STAIRCASE_ACCOUNT_FIELDS } from '../../lib/mapping/presets';
import { redact } from '../../lib/redact';
import type { S3Store } from '../../lib/s3/store';
import { testS3InboundCredential } from '../shared/credentialTest';
import { s3Access } from '../shared/s3';
import { allowBareQuotesOption, ENCODING_OPTIONS } from '../shared/csvOptions';
import {
	handOnRows,
	withoutImport,
	METADATA_IN_ROWS_OPTION,
	outputProperties,
	rowItems,
	type RowOutput,
} from '../shared/rowOutput';

type Input = 's3Files' | 'binary' | 'rows';

/**
 * One field of a field list (the node's own or a preset's): its target field, source column, type,
 * date format (date types only) and Required, each labelled and on its own line, in n8n's standard
 * fixed-collection layout. n8n's inline layout (one row per field) gives each input about 60 px at
 * the panel's default width (420 px), too narrow to read a field's names; the browser test checks
 * that every target, source and type is shown whole at that width. With n8n's collapsible items
 * (`itemTitle`), each field is titled by its target.
 */
const FIELD_VALUES: INodeProperties[] = [
	{
		displayName: 'Target Field',
		name: 'target',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'target field',
		description: 'The destination field (its API name)',
	},
	{
		displayName: 'Source Column',
		name: 'source',
		type: 'string',
		default: '',
		placeholder: 'same as target',
		description: 'The CSV column; empty means the same as the target field',
	},
	{
		displayName: 'Type',
		name: 'type',
		type: 'options',
		options: [
			{ name: 'Boolean', value: 'boolean' },
			{
				name: 'CRM ID',
				value: 'crmId',
				description:
					'Text checked like a CRM ID: an 18-character Salesforce ID must have a valid checksum',
			},
			{ name: 'Date', value: 'date' },
			{ name: 'Date and Time', value: 'datetime' },
			{ name: 'Number', value: 'number' },
			{ name: 'String', value: 'string' },
			{
				name: 'User Reference (Not Importable)',
				value: 'userReference',
				description:
					'A field that refers to a user, such as the account owner: S3 import cannot fill it, so the node refuses it until you remove it',
			},
		],
		default: 'string',
	},
	{
		displayName: 'Date Format',
		name: 'dateFormat',
		type: 'string',
		default: '',
		placeholder: 'default format',
		description:
			'Java-style pattern for this field; empty uses the Default Date Format below the list',
		displayOptions: { show: { type: ['date', 'datetime'] } },
	},
	{
		displayName: 'Required',
		name: 'required',
		type: 'boolean',
		default: false,
		description: 'Whether every file must have the column and every row a value in it',
	},
	// Before the Type option existed, a switch; kept so that such a field is still refused.
	{ displayName: 'User Reference', name: 'userReference', type: 'hidden', default: false },
];

/** A preset as the field list's rows: filled in, and as editable as any list. */
const presetRows = (fields: readonly FieldDefinition[]) =>
	fields.map((f) => ({
		required: f.required === true,
		target: f.target,
		source: f.source ?? '',
		type: f.userReference ? 'userReference' : f.type,
		dateFormat: f.dateFormat ?? '',
	}));

/** The field definitions a field list (the node's own or a preset's) holds. */
const definitionsOf = (value: { field?: IDataObject[] }): FieldDefinition[] =>
	(value.field ?? []).map((f) => ({
		target: String(f.target ?? '').trim(),
		source: String(f.source ?? '').trim() || undefined,
		type: f.type === 'userReference' ? 'string' : ((f.type as FieldType) ?? 'string'),
		required: f.required === true,
		dateFormat: String(f.dateFormat ?? '').trim() || undefined,
		userReference: f.userReference === true || f.type === 'userReference',
	}));

const INPUT_OPTIONS = [
	{
		name: 'Files From the S3 CSV Inbound Trigger',
		value: 's3Files',
		description:
			'Each item names a file in S3; the node reads it as a stream and outputs its mapped rows',
	},
	{
		name: 'CSV Files in Binary Data',
		value: 'binary',
		description:
			'CSV files (plain or gzipped) from any node: HTTP Request, Read Files from Disk, an email attachment, the S3 node',
	},
	{ name: 'Rows', value: 'rows', description: 'One item per row, from any node' },
];

const list = (value: unknown): string[] =>
	String(value ?? '')
		.split(',')
		.map((v) => v.trim())
		.filter(Boolean);

export class FieldMapper implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Field Mapper',
		name: 'fieldMapper',
		icon: { light: 'file:fieldMapper.svg', dark: 'file:fieldMapper.dark.svg' },
		group: ['transform'],
		version: [1, 2, 3],
		defaultVersion: 3,
		subtitle: '={{$parameter["mode"] === "strict" ? "Strict" : "Lenient"}}',
		description:
			'Maps CSV columns to typed fields, and validates them strictly (marker imports) or leniently (overwrite imports)',
		defaults: { name: 'Field Mapper' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Valid', 'Rejected'],
		credentials: [
			{
				name: 's3InboundAwsApi',
				required: true,
				testedBy: 's3InboundAwsApiTest',
				displayOptions: { show: { input: ['s3Files'] } },
			},
		],
		properties: [
			{
				displayName: 'Input',
				name: 'input',
				type: 'options',
				noDataExpression: true,
				options: INPUT_OPTIONS,
				default: 's3Files',
				displayOptions: { show: { '@version': [{ _cnd: { gte: 2 } }] } },
			},
			{
				displayName: 'Input',
				name: 'input',
				type: 'options',
				noDataExpression: true,
				options: INPUT_OPTIONS,
				default: 'rows',
				displayOptions: { show: { '@version': [1] } },
			},
			{
				displayName: 'Input Binary Field',
				name: 'binaryPropertyName',
				type: 'string',
				default: 'data',
				required: true,
				description: 'The binary field that holds the CSV file',
				displayOptions: { show: { input: ['binary'] } },
			},
			{
				displayName: 'Mode',
				name: 'mode',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Lenient (Overwrite Imports)',
						value: 'lenient',
						description:
							'Unmapped columns are dropped; a row with a bad value is rejected on its own; a date column (yyyy-mm-dd) is kept',
					},
					{
						name: 'Strict (Marker Imports)',
						value: 'strict',
						description:
							'Every column must be known, ID is required, every value must parse: any problem rejects the whole file',
					},
				],
				default: 'lenient',
			},
			{
				displayName: 'Field Definitions From',
				name: 'fieldsFrom',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'This Node', value: 'node' },
					{ name: 'JSON From the Destination’s Attribute List', value: 'json' },
					{ name: 'Both', value: 'both' },
					{
						name: 'Preset: Staircase Account Fields',
						value: 'staircase',
						description:
							'CRM Account ID (the key), Name, Owner, Parent Account, Tier, Revenue, Renewal Date, Journey Stage: filled in below and editable (remove Owner, a user reference)',
					},
				],
				default: 'node',
			},
			{
				displayName: 'Staircase Account Fields',
				name: 'staircaseFields',
				type: 'fixedCollection',
				typeOptions: {
					multipleValues: true,
					sortable: true,
					fixedCollection: { itemTitle: '={{ $collection.item.value.target }}' },
				},
				placeholder: 'Add Field',
				default: { field: presetRows(STAIRCASE_ACCOUNT_FIELDS) },
				description:
					'The account fields of a Staircase integration. Owner is a user reference, which S3 import cannot fill: remove it. Add your own fields here too.',
				displayOptions: { show: { fieldsFrom: ['staircase'] } },
				options: [{ displayName: 'Field', name: 'field', values: FIELD_VALUES }],
			},
			{
				displayName: 'Fields',
				name: 'fields',
				type: 'fixedCollection',
				typeOptions: {
					multipleValues: true,
					sortable: true,
					fixedCollection: { itemTitle: '={{ $collection.item.value.target }}' },
				},
				placeholder: 'Add Field',
				default: {},
				displayOptions: { show: { fieldsFrom: ['node', 'both'] } },
				options: [
					{
						displayName: 'Field',
						name: 'field',
						values: FIELD_VALUES,
					},
				],
			},
			{
				displayName: 'Field Definitions (JSON)',
				name: 'fieldsJson',
				type: 'json',
				default: '[]',
				description:
					'A list of fields, each with a name (apiName, name or target) and a type (string, number, boolean, date, datetime), e.g. from an HTTP Request that fetched the destination’s attributes',
				displayOptions: { show: { fieldsFrom: ['json', 'both'] } },
			},
			{
				displayName: 'Default Date Format',
				name: 'dateFormat',
				type: 'string',
				default: 'yyyy-MM-dd',
				description:
					"Java-style pattern for date fields that have no Date Format of their own, e.g. YYYYMMDD or yyyy-MM-dd'T'HH:mm:ssX. Month is MM; mm is minutes.",
			},
			...outputProperties({ '@version': [{ _cnd: { gte: 3 } }] }),
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					allowBareQuotesOption({ show: { '/input': ['binary'] } }),
					METADATA_IN_ROWS_OPTION,
					{
						displayName: 'Also False',
						name: 'falseValues',
						type: 'string',
						default: '',
						placeholder: 'no, n, 0',
						description: 'Comma-separated spellings accepted as false, besides "false" in any case',
					},
					{
						displayName: 'Also True',
						name: 'trueValues',
						type: 'string',
						default: '',
						placeholder: 'yes, y, 1',
						description: 'Comma-separated spellings accepted as true, besides "true" in any case',
					},
					{
						displayName: 'Delimiter',
						name: 'delimiter',
						type: 'string',
						default: ',',
						description: 'The character between fields of the binary CSV files',
						displayOptions: { show: { '/input': ['binary'] } },
					},
					{
						displayName: 'Encoding',
						name: 'encoding',
						type: 'options',
						options: ENCODING_OPTIONS,
						default: 'utf-8',
						description: 'How the binary CSV files’ bytes are decoded',
						displayOptions: { show: { '/input': ['binary'] } },
					},
					{
						displayName: 'Keep Unmapped Columns',
						name: 'keepUnmapped',
						type: 'boolean',
						default: false,
						description:
							'Whether to keep the columns no field maps, as text. With no fields defined, every column comes through as it is.',
						displayOptions: { show: { '/mode': ['lenient'] } },
					},
					{
						displayName: 'Max Reasons per File',
						name: 'maxReasons',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 20,
						description: 'How many problems to list per file; the rest are counted',
					},
					{
						displayName: 'Max Rows per Binary File',
						name: 'maxRowsPerFile',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 1000000,
						description:
							'A binary file with more rows is refused; protects n8n’s memory (for S3 files the trigger sets this)',
						displayOptions: { show: { '/input': ['binary'] } },
					},
					{
						displayName: 'Max Rows per File',
						name: 'maxRows',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 350000,
						description: 'Strict mode: a file with more rows is rejected',
						displayOptions: { show: { '/mode': ['strict'] } },
					},
					{
						displayName: 'Required Columns',
						name: 'requiredColumns',
						type: 'string',
						default: 'id',
						description:
							'Strict mode: comma-separated columns every file must have and every row must fill, besides the fields marked Required (PX’s mandatory ID column by default)',
						displayOptions: { show: { '/mode': ['strict'] } },
					},
				],
			},
		],
	};

	methods = {
		credentialTest: { s3InboundAwsApiTest: testS3InboundCredential },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		// Parameters do not depend on the item: they are read once, not per row.
		const input = this.getNodeParameter('input', 0, 'rows') as Input;
		const mode = this.getNodeParameter('mode', 0) as 'strict' | 'lenient';
		const fieldsFrom = this.getNodeParameter('fieldsFrom', 0) as
			'node' | 'json' | 'both' | 'staircase';
		const options = this.getNodeParameter('options', 0, {}) as IDataObject;
		const keepUnmapped = mode === 'lenient' && options.keepUnmapped === true;
		// Versions 1 and 2 hand on one item per row with _import in its JSON.
		const output: RowOutput =
			this.getNode().typeVersion >= 3
				? {
						form: this.getNodeParameter('output', 0, 'rows') as RowOutput['form'],
						metadata: options.importMetadataInRows === true ? 'json' : 'item',
						rowsPerBatch: this.getNodeParameter('rowsPerBatch', 0, 1000) as number,
					}
				: { form: 'rows', metadata: 'json', rowsPerBatch: 1000 };
		let mapping: FieldMapping;
		try {
			const definitions: FieldDefinition[] = [];
			if (fieldsFrom === 'staircase') {
				definitions.push(
					...definitionsOf(
						this.getNodeParameter('staircaseFields', 0, {
							field: presetRows(STAIRCASE_ACCOUNT_FIELDS),
						}) as { field?: IDataObject[] },
					),
				);
			}
			if (fieldsFrom === 'node' || fieldsFrom === 'both')
				definitions.push(
					...definitionsOf(this.getNodeParameter('fields', 0, {}) as { field?: IDataObject[] }),
				);
			if (fieldsFrom === 'json' || fieldsFrom === 'both')
				definitions.push(...fieldsFromJson(this.getNodeParameter('fieldsJson', 0, '[]')));
			mapping = new FieldMapping(definitions, {
				mode,
				dateFormat:
					(this.getNodeParameter('dateFormat', 0, 'yyyy-MM-dd') as string) || 'yyyy-MM-dd',
				maxRows: Number(options.maxRows ?? 350_000),
				requiredColumns: mode === 'strict' ? list(options.requiredColumns ?? 'id') : [],
				trueValues: list(options.trueValues),
				falseValues: list(options.falseValues),
				maxReasons: Number(options.maxReasons ?? 20),
				keepUnmapped,
			});
		} catch (error) {
			throw new NodeOperationError(this.getNode(), (error as Error).message, {
				description: 'Fix the field definitions of this node; no row was processed.',
			});
		}
		for (const warning of mapping.warnings) {
			this.logger.warn(warning);
			this.addExecutionHints?.({ message: warning, location: 'outputPane' });
		}

		if (input === 'rows') {
			// Rows of a version 3 Field Mapper keep their import metadata beside their JSON.
			const json = items.map((i) =>
				i[IMPORT_KEY] !== undefined && i.json[IMPORT_KEY] === undefined
					? { ...i.json, [IMPORT_KEY]: i[IMPORT_KEY] }
					: i.json,
			);
			const fileAt = json.findIndex((j) => {
				const meta = importOf(j);
				return meta !== undefined && isFileToRead(meta);
			});
			if (fileAt !== -1) {
				throw new NodeOperationError(
					this.getNode(),
					`Item ${fileAt + 1} is a file from the S3 CSV Inbound Trigger, not a row`,
					{
						itemIndex: fileAt,
						description:
							'Set Input to “Files From the S3 CSV Inbound Trigger” and select the S3 Inbound AWS credential: this node then reads the file.',
					},
				);
			}
			const result =
				mode === 'strict' ? mapStrict(json, mapping) : mapLenient(json, mapping, keepUnmapped);
			const toItems = (rows: typeof result.valid): INodeExecutionData[] =>
				rows.map((r) => ({ json: r.json as IDataObject, pairedItem: { item: r.source } }));
			const valid =
				output.form === 'rows' && output.metadata === 'json'
					? toItems(result.valid)
					: handOnRows(
							result.valid.map((r) => ({
								json: withoutImport(r.json),
								meta: importOf(r.json),
								paired: { item: r.source },
							})),
							output,
						);
			return [valid, toItems(result.rejected)];
		}

		// Files: each is read as a stream and only its mapped rows are kept.
		const valid: INodeExecutionData[] = [];
		const rejected: INodeExecutionData[] = [];
		let secrets: Array<string | undefined> = [];
		let storeFor: ((bucket: string) => S3Store) | undefined;
		if (input === 's3Files') {
			const s3 = s3Access(await this.getCredentials('s3InboundAwsApi'));
			secrets = s3.secrets;
			storeFor = s3.storeFor;
		}
		const binaryCsv: FileReadSettings = {
			delimiter: (options.delimiter as string) || ',',
			encoding: ((options.encoding as string) || 'utf-8') as CsvEncoding,
			maxRows: Number(options.maxRowsPerFile ?? 1_000_000),
			allowBareQuotes: options.allowBareQuotes === true,
		};
		const binaryProperty =
			input === 'binary' ? (this.getNodeParameter('binaryPropertyName', 0, 'data') as string) : '';
		let files = 0;
		let mappedRows = 0;
		let rejectedFiles = 0;
		let rejectedRows = 0;
		for (let i = 0; i < items.length; i++) {
			// One object per file, shared by its rows: it costs memory once.
			const pairedItem: IPairedItemData = { item: i };
			let result: MappedFile;
			try {
				if (input === 's3Files') {
					const meta = importOf(items[i].json);
					if (!meta || meta.row !== 0) {
						throw new NodeOperationError(
							this.getNode(),
							`Item ${i + 1} is ${meta ? 'a row' : 'not a file from the S3 CSV Inbound Trigger'}`,
							{
								itemIndex: i,
								description:
									'Connect the S3 CSV Inbound Trigger to this node, or set Input to Rows (or to CSV Files in Binary Data).',
							},
						);
					}
					if (!isFileToRead(meta)) {
						// A file or batch the trigger could not hand on, or a batch to complete: passed on as it is.
						rejected.push({ json: problemJson(meta) as IDataObject, pairedItem });
						continue;
					}
					const { file } = meta;
					const store = storeFor!(file.bucket);
					result = await mapCsvFile(
						async () => await store.open(file.key, { ifMatch: file.etag }),
						file,
						{
							mapping,
							keepUnmapped,
							csv: file.csv ?? binaryCsv,
						},
					);
				} else {
					const binary = items[i].binary?.[binaryProperty];
					if (!binary) {
						throw new NodeOperationError(
							this.getNode(),
							`Item ${i + 1} has no binary field '${binaryProperty}'`,
							{
								itemIndex: i,
								description:
									'Set Input Binary Field to the field that holds the CSV file (see the input panel’s Binary tab).',
							},
						);
					}
					const file: ImportFile = {
						bucket: '',
						key: binary.fileName ?? `item ${i + 1}`,
						etag: '',
						size: Number(binary.bytes ?? 0),
					};
					result = await mapCsvFile(
						async () => {
							const inMemory = async function* () {
								yield Buffer.from(binary.data, BINARY_ENCODING);
							};
							const bytes = binary.id ? await this.helpers.getBinaryStream(binary.id) : inMemory();
							return await decodeGzipIfNeeded(bytes);
						},
						file,
						{ mapping, keepUnmapped, csv: binaryCsv },
					);
				}
			} catch (error) {
				const e = error as Error & { hint?: string; description?: string };
				const message = redact(e.message, secrets);
				const description = redact(
					e.description ?? e.hint ?? 'The file could not be read; the next run reads it again.',
					secrets,
				);
				if (!this.continueOnFail())
					throw new NodeOperationError(this.getNode(), message, { itemIndex: i, description });
				// Continue On Fail: the file goes to Rejected, saying why, as a file that cannot be
				// parsed does; none of its rows was imported.
				const meta = input === 's3Files' ? importOf(items[i].json) : undefined;
				const file = meta?.row === 0 ? meta.file : undefined;
				const reasons = new ReasonList(1);
				reasons.add(`${message}. ${description}`);
				rejected.push({
					json: rejectedFileJson(
						file ? { ...file, error: `${message}. ${description}` } : undefined,
						reasons,
						0,
					) as IDataObject,
					pairedItem,
				});
				rejectedFiles++;
				continue;
			}
			files++;
			if (result.unreadable !== undefined && mode === 'lenient') {
				const message = redact(`${fileLabel(result.file)}: ${result.unreadable}`, secrets);
				if (!this.continueOnFail()) {
					throw new NodeOperationError(this.getNode(), message, {
						itemIndex: i,
						description:
							'No row of this file was imported. Fix the file and upload it again: the new version is imported at the next check.',
					});
				}
				const reasons = new ReasonList(1);
				reasons.add(message);
				rejected.push({
					json: rejectedFileJson(result.file, reasons, 0) as IDataObject,
					pairedItem,
				});
				rejectedFiles++;
				continue;
			}
			if (mode === 'strict' && result.valid.length === 0) rejectedFiles++;
			else rejectedRows += result.rejected.length;
			mappedRows += result.valid.length;
			const validRows = result.validRows;
			const rowOf = validRows ? (index: number) => validRows[index] : (index: number) => index + 1;
			for (const item of rowItems(result.valid, rowOf, result.file, pairedItem, output))
				valid.push(item);
			for (const json of result.rejected) rejected.push({ json: json as IDataObject, pairedItem });
		}
		const plural = (n: number, word: string) =>
			`${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
		this.addExecutionHints?.({
			message: `${plural(files, 'file')} read: ${plural(mappedRows, 'row')} mapped${output.form === 'batches' ? ` in ${plural(valid.length, 'batch')}`.replace('batchs', 'batches') : ''}, ${plural(rejectedRows, 'row')} and ${plural(rejectedFiles, 'file')} rejected`,
			location: 'outputPane',
		});
		return [valid, rejected];
	}
}
