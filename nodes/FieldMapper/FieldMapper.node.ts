import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { FieldMapping, fieldsFromJson, type FieldDefinition } from '../../lib/mapping/fields';
import { STAIRCASE_ACCOUNT_FIELDS } from '../../lib/mapping/presets';
import { testS3InboundCredential } from '../shared/credentialTest';
import { allowBareQuotesOption, ENCODING_OPTIONS } from '../shared/csvOptions';
import {
	METADATA_IN_ROWS_OPTION,
	outputProperties,
	rowOutputOf,
	type RowOutput,
} from '../shared/rowOutput';
import { definitionsOf, FIELD_VALUES, presetRows } from './fieldList';
import { mapFileItems } from './mapFileItems';
import { mapRowItems } from './mapRowItems';

type Input = 's3Files' | 'binary' | 'rows';

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
				? rowOutputOf(
						(name, fallback) => this.getNodeParameter(name, 0, fallback),
						options.importMetadataInRows === true ? 'json' : 'item',
					)
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
				strictMaxRows: Number(options.maxRows ?? 350_000),
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

		if (input === 'rows')
			return mapRowItems.call(this, items, { mode, mapping, keepUnmapped, output });
		const { valid, rejected, counts } = await mapFileItems.call(this, items, {
			input,
			mode,
			mapping,
			keepUnmapped,
			output,
			options,
		});
		const { files, mappedRows, rejectedRows, rejectedFiles } = counts;
		const plural = (n: number, word: string) =>
			`${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
		this.addExecutionHints?.({
			message: `${plural(files, 'file')} read: ${plural(mappedRows, 'row')} mapped${output.form === 'batches' ? ` in ${plural(valid.length, 'batch')}`.replace('batchs', 'batches') : ''}, ${plural(rejectedRows, 'row')} and ${plural(rejectedFiles, 'file')} rejected`,
			location: 'outputPane',
		});
		return [valid, rejected];
	}
}
