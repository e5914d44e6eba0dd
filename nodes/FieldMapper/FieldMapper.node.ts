import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { FieldMapping, fieldsFromJson, type FieldDefinition, type FieldType } from '../../lib/mapping/fields';
import { mapLenient, mapStrict } from '../../lib/mapping/mapRows';

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
		version: 1,
		subtitle: '={{$parameter["mode"] === "strict" ? "Strict" : "Lenient"}}',
		description: 'Maps CSV columns to typed fields, and validates them strictly (marker imports) or leniently (overwrite imports)',
		defaults: { name: 'Field Mapper' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Valid', 'Rejected'],
		properties: [
			{
				displayName: 'Mode',
				name: 'mode',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Lenient (Overwrite Imports)',
						value: 'lenient',
						description: 'Unmapped columns are dropped; a row with a bad value is rejected on its own; a date column (yyyy-mm-dd) is kept',
					},
					{
						name: 'Strict (Marker Imports)',
						value: 'strict',
						description: 'Every column must be known, ID is required, every value must parse: any problem rejects the whole file',
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
					{ name: 'JSON (E.g. the Destination’s Attribute List)', value: 'json' },
					{ name: 'Both', value: 'both' },
				],
				default: 'node',
			},
			{
				displayName: 'Fields',
				name: 'fields',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true, sortable: true },
				placeholder: 'Add Field',
				default: {},
				displayOptions: { show: { fieldsFrom: ['node', 'both'] } },
				options: [
					{
						displayName: 'Field',
						name: 'field',
						values: [
							{
						displayName: 'Date Format',
						name: 'dateFormat',
						type: 'string',
						default: '',
						placeholder: 'yyyy-MM-dd',
						description: 'Java-style pattern for this field;	empty uses the node’s date format',
							},
							{
						displayName: 'Required',
						name: 'required',
						type: 'boolean',
						default: false,
							},
							{
						displayName: 'Source Column',
						name: 'source',
						type: 'string',
						default: '',
						description: 'The CSV column;	empty means the same as the target field',
							},
							{
						displayName: 'Target Field',
						name: 'target',
						type: 'string',
						default: '',
							required:	true,
						description: 'The destination field (its API name)',
							},
							{
						displayName: 'Type',
						name: 'type',
						type: 'options',
						options: [
									{
										name: 'Boolean',
										value: 'boolean',
									},
									{
										name: 'Date',
										value: 'date',
									},
									{
										name: 'Date and Time',
										value: 'datetime',
									},
									{
										name: 'Number',
										value: 'number',
									},
									{
										name: 'String',
										value: 'string',
									},
								],
						default: 'string',
							},
							{
						displayName: 'User Reference',
						name: 'userReference',
						type: 'boolean',
						default: false,
						description: 'Whether the field refers to a user (such as the account owner). S3 import does not support these, so the node refuses them.',
							},
					],
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
				displayName: 'Date Format',
				name: 'dateFormat',
				type: 'string',
				default: 'yyyy-MM-dd',
				description:
					'Java-style pattern for date fields, e.g. YYYYMMDD or yyyy-MM-dd\'T\'HH:mm:ssX. Month is MM; mm is minutes.',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{ displayName: 'Also False', name: 'falseValues', type: 'string', default: '', placeholder: 'no, n, 0', description: 'Comma-separated spellings accepted as false, besides "false" in any case' },
					{ displayName: 'Also True', name: 'trueValues', type: 'string', default: '', placeholder: 'yes, y, 1', description: 'Comma-separated spellings accepted as true, besides "true" in any case' },
					{ displayName: 'Max Reasons per File', name: 'maxReasons', type: 'number', typeOptions: { minValue: 1 }, default: 20, description: 'How many problems to list per file; the rest are counted' },
					{ displayName: 'Max Rows per File', name: 'maxRows', type: 'number', typeOptions: { minValue: 1 }, default: 350000, description: 'Strict mode: a file with more rows is rejected' },
					{ displayName: 'Required Columns', name: 'requiredColumns', type: 'string', default: 'id', description: 'Strict mode: comma-separated columns every file must have' },
				],
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		// Parameters do not depend on the item: they are read once, not per row.
		const mode = this.getNodeParameter('mode', 0) as 'strict' | 'lenient';
		const fieldsFrom = this.getNodeParameter('fieldsFrom', 0) as 'node' | 'json' | 'both';
		const options = this.getNodeParameter('options', 0, {}) as IDataObject;
		let mapping: FieldMapping;
		try {
			const definitions: FieldDefinition[] = [];
			if (fieldsFrom !== 'json') {
				const rows = (this.getNodeParameter('fields', 0, {}) as { field?: IDataObject[] }).field ?? [];
				for (const f of rows) {
					definitions.push({
						target: String(f.target ?? '').trim(),
						source: String(f.source ?? '').trim() || undefined,
						type: (f.type as FieldType) ?? 'string',
						required: f.required === true,
						dateFormat: String(f.dateFormat ?? '').trim() || undefined,
						userReference: f.userReference === true,
					});
				}
			}
			if (fieldsFrom !== 'node') definitions.push(...fieldsFromJson(this.getNodeParameter('fieldsJson', 0, '[]')));
			mapping = new FieldMapping(definitions, {
				mode,
				dateFormat: (this.getNodeParameter('dateFormat', 0, 'yyyy-MM-dd') as string) || 'yyyy-MM-dd',
				maxRows: Number(options.maxRows ?? 350_000),
				requiredColumns: mode === 'strict' ? list(options.requiredColumns ?? 'id') : [],
				trueValues: list(options.trueValues),
				falseValues: list(options.falseValues),
				maxReasons: Number(options.maxReasons ?? 20),
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
		const json = items.map((i) => i.json);
		const result = mode === 'strict' ? mapStrict(json, mapping) : mapLenient(json, mapping);
		const toItems = (rows: typeof result.valid): INodeExecutionData[] =>
			rows.map((r) => ({ json: r.json as IDataObject, pairedItem: { item: r.source } }));
		return [toItems(result.valid), toItems(result.rejected)];
	}
}
