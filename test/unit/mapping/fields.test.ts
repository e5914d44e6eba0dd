import {
	fieldsFromJson,
	MappingConfigError,
	type FieldDefinition,
} from '../../../lib/mapping/fields';

const field = (target: string, more: Partial<FieldDefinition> = {}): FieldDefinition => ({
	target,
	source: target,
	type: 'string',
	required: false,
	...more,
});

describe('fieldsFromJson: an attribute list fetched from the destination becomes field definitions', () => {
	it.each<[string, unknown, FieldDefinition[]]>([
		[
			'a list of {apiName, type}',
			[{ apiName: 'score', type: 'number' }],
			[field('score', { type: 'number' })],
		],
		['JSON text', '[{"name":"score","type":"number"}]', [field('score', { type: 'number' })]],
		['empty text is no fields', '  ', []],
		['the list under attributes', { attributes: [{ name: 'a' }] }, [field('a')]],
		['the list under fields', { fields: [{ name: 'a' }] }, [field('a')]],
		['the list under data', { data: [{ name: 'a' }] }, [field('a')]],
		[
			'one object is a list of one',
			{ name: 'a', type: 'boolean' },
			[field('a', { type: 'boolean' })],
		],
		[
			'the name from apiName, else target, else name, else field',
			[
				{ apiName: 'a', target: 'x', name: 'y' },
				{ target: 'b', name: 'y' },
				{ name: 'c', field: 'y' },
				{ field: 'd' },
			],
			[field('a'), field('b'), field('c'), field('d')],
		],
		['the name trimmed', [{ name: '  a ' }], [field('a')]],
		['no type is text', [{ name: 'a' }], [field('a')]],
		[
			'dataType when there is no type',
			[{ name: 'a', dataType: 'Date' }],
			[field('a', { type: 'date' })],
		],
		[
			'type names in any case and spelling',
			[
				{ name: 'a', type: 'Integer' },
				{ name: 'b', type: 'CURRENCY' },
				{ name: 'c', type: 'bool' },
				{ name: 'd', type: 'Date Time' },
				{ name: 'e', type: 'timestamp' },
				{ name: 'f', type: 'varchar' },
				{ name: 'g', type: 'CRM_ID' },
			],
			[
				field('a', { type: 'number' }),
				field('b', { type: 'number' }),
				field('c', { type: 'boolean' }),
				field('d', { type: 'datetime' }),
				field('e', { type: 'datetime' }),
				field('f', { type: 'string' }),
				field('g', { type: 'crmId' }),
			],
		],
		[
			'a user reference (type user or GSID, or marked so) is kept as one, to be refused with its reason',
			[
				{ name: 'owner', type: 'GSID' },
				{ name: 'csm', type: 'string', referenceType: 'user' },
				{ name: 'am', userReference: true },
			],
			[
				field('owner', { userReference: true }),
				field('csm', { userReference: true }),
				field('am', { userReference: true }),
			],
		],
		[
			'the source column from source, else column, else the name',
			[
				{ name: 'a', source: 'col_a' },
				{ name: 'b', column: 'col_b' },
				{ name: 'c', source: '' },
			],
			[field('a', { source: 'col_a' }), field('b', { source: 'col_b' }), field('c')],
		],
		[
			'required only when it is true; a date format kept when given',
			[
				{ name: 'a', required: true, type: 'date', dateFormat: 'YYYYMMDD' },
				{ name: 'b', required: 'yes', dateFormat: '' },
			],
			[field('a', { required: true, type: 'date', dateFormat: 'YYYYMMDD' }), field('b')],
		],
	])('%s', (_case, input, expected) => {
		expect(fieldsFromJson(input)).toEqual(expected);
	});

	it.each<[string, unknown, string]>([
		['not a list', 42, 'The field definitions JSON must be a list of fields (name and type).'],
		[
			'a field without a name',
			[{ name: 'a' }, { type: 'number' }],
			'Field definition 2 has no name (apiName, name or target).',
		],
		[
			'a type it does not know',
			[{ name: 'a', type: 'picklist' }],
			"Field 'a' has the type 'picklist', which is not one of string, number, boolean, date, datetime, crmId.",
		],
	])('refuses %s, saying why', (_case, input, message) => {
		expect(() => fieldsFromJson(input)).toThrow(new MappingConfigError(message));
	});
});
