import type { IDataObject, INodeProperties } from 'n8n-workflow';

import type { FieldDefinition, FieldType } from '../../lib/mapping/fields';

/**
 * One field of a field list (the node's own or a preset's): its target field, source column, type,
 * date format (date types only) and Required, each labelled and on its own line, in n8n's standard
 * fixed-collection layout. n8n's inline layout (one row per field) gives each input about 60 px at
 * the panel's default width (420 px), too narrow to read a field's names; the browser test checks
 * that every target, source and type is shown whole at that width. With n8n's collapsible items
 * (`itemTitle`), each field is titled by its target.
 */
export const FIELD_VALUES: INodeProperties[] = [
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
export const presetRows = (fields: readonly FieldDefinition[]) =>
	fields.map((f) => ({
		required: f.required === true,
		target: f.target,
		source: f.source ?? '',
		type: f.userReference ? 'userReference' : f.type,
		dateFormat: f.dateFormat ?? '',
	}));

/** The field definitions a field list (the node's own or a preset's) holds. */
export const definitionsOf = (value: { field?: IDataObject[] }): FieldDefinition[] =>
	(value.field ?? []).map((f) => ({
		target: String(f.target ?? '').trim(),
		source: String(f.source ?? '').trim() || undefined,
		type: f.type === 'userReference' ? 'string' : ((f.type as FieldType) ?? 'string'),
		required: f.required === true,
		dateFormat: String(f.dateFormat ?? '').trim() || undefined,
		userReference: f.userReference === true || f.type === 'userReference',
	}));
