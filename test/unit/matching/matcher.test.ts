import { importOf, type ImportBatch, type ImportFile } from '../../../lib/importMetadata';
import {
	indexDirectory,
	matchRows,
	MissingMatchingColumnError,
	rowNames,
	type DirectoryRecord,
	type MatcherOptions,
} from '../../../lib/matching/matcher';

const DIRECTORY: DirectoryRecord[] = [
	{ id: 'acc-1', crmId: 'a0D30000001n7PiEAI', name: 'Acme Inc', status: 'Active', tier: 'Gold' },
	{ id: 'acc-2', crmId: '0019000000B98deAAB', name: 'Globex', status: 'Churned', tier: 'Gold' },
	{ id: 'acc-3', crmId: '001000000000003AAA', name: 'Initech', status: 'Prospect', tier: 'Silver' },
	{
		id: 'acc-4',
		crmId: '001000000000004AAA',
		name: 'Acme, Inc.',
		status: 'Active',
		tier: 'Silver',
	},
];

const OPTIONS: MatcherOptions = {
	entity: 'account',
	matchingType: 'crmId',
	matchingColumn: 'sfid',
	directoryKeyField: 'crmId',
	directoryIdField: 'id',
	duplicates: 'rejectAll',
	scope: { filters: [], excludedStatuses: [] },
	dateColumn: 'date',
};

const file = (key: string, batch?: Partial<ImportBatch>): ImportFile => ({
	bucket: 'b',
	key,
	etag: `etag-${key}`,
	size: 1,
	...(batch
		? { batch: { folder: 'px/current/dt=20240101/', bucket: 'b', ...batch } as ImportBatch }
		: {}),
});
const ACCOUNTS = file('accounts.csv');
const USERS = file('px/current/dt=20240101/users.csv', {});
const MORE = file('px/current/dt=20240101/more.csv', {});
const fromFile = (f: ImportFile, row: number, sfid: string, more: object = {}) => ({
	sfid,
	...more,
	_import: { file: f, row },
});

describe('indexDirectory: accounts out of scope are left out with the reason (by normalised key: a Salesforce ID as its 15-character form); a key shared by records with different ids is ambiguous', () => {
	it.each<
		[
			string,
			Partial<MatcherOptions>,
			{ inScope: number; leftOut: Record<string, string>; ambiguous: string[] },
		]
	>([
		['all accounts', {}, { inScope: 4, leftOut: {}, ambiguous: [] }],
		[
			'Leave Out by Status: churned and prospect accounts, compared without case',
			{
				scope: { filters: [], statusField: 'status', excludedStatuses: ['churned', ' PROSPECT '] },
			},
			{
				inScope: 2,
				leftOut: {
					'sf:0019000000B98de': 'its status is Churned (Leave Out by Status)',
					'sf:001000000000003': 'its status is Prospect (Leave Out by Status)',
				},
				ambiguous: [],
			},
		],
		[
			'a filter: every filter must hold',
			{
				scope: {
					filters: [{ field: 'tier', operator: 'equals', value: 'GOLD' }],
					excludedStatuses: [],
				},
			},
			{
				inScope: 2,
				leftOut: {
					'sf:001000000000003':
						"it is outside the account scope (filter: tier equals 'GOLD'; it has 'Silver')",
					'sf:001000000000004':
						"it is outside the account scope (filter: tier equals 'GOLD'; it has 'Silver')",
				},
				ambiguous: [],
			},
		],
		[
			'stakeholders have no account scope',
			{
				entity: 'stakeholder',
				scope: { filters: [{ field: 'tier', operator: 'isEmpty' }], excludedStatuses: [] },
			},
			{ inScope: 4, leftOut: {}, ambiguous: [] },
		],
		[
			'by name: "Acme Inc" and "Acme, Inc." fold to one key held by two accounts',
			{ matchingType: 'name', directoryKeyField: 'name' },
			{ inScope: 4, leftOut: {}, ambiguous: ['acme'] },
		],
	])('%s', (_case, o, expected) => {
		const index = indexDirectory(DIRECTORY, { ...OPTIONS, ...o });
		expect({
			inScope: index.inScope,
			leftOut: Object.fromEntries(index.leftOut),
			ambiguous: [...index.byKey].filter(([, e]) => e.ambiguous).map(([k]) => k),
		}).toEqual(expected);
		expect(index.total).toBe(4);
	});

	it.each<[string, DirectoryRecord[], { keys: string[]; ambiguous: boolean }]>([
		[
			'a record with several values (an array) is found by each',
			[{ id: 'a', domains: ['acme.com', 'acme.co.uk'] }],
			{ keys: ['acme.co.uk', 'acme.com'], ambiguous: false },
		],
		[
			'two records with the same key and the same id are one account, not ambiguous',
			[
				{ id: 'a', domains: 'acme.com' },
				{ id: 'a', domains: 'www.acme.com' },
			],
			{ keys: ['acme.com'], ambiguous: false },
		],
		[
			'two records with the same key and different ids are ambiguous',
			[
				{ id: 'a', domains: 'acme.com' },
				{ id: 'b', domains: 'shop.acme.com' },
			],
			{ keys: ['acme.com'], ambiguous: true },
		],
		[
			'empty and missing values are not keys',
			[{ id: 'a', domains: '' }, { id: 'b' }],
			{ keys: [], ambiguous: false },
		],
	])('%s', (_case, records, expected) => {
		const index = indexDirectory(records, {
			...OPTIONS,
			matchingType: 'domain',
			directoryKeyField: 'domains',
		});
		expect({
			keys: [...index.byKey.keys()].sort(),
			ambiguous: [...index.byKey.values()].some((e) => e.ambiguous),
		}).toEqual(expected);
	});
});

/** Each row's outcome in short: `matched acc-1`, `unmatched: reason`, `ambiguous: reason`. */
function outcomes(rows: Array<Record<string, unknown>>, o: Partial<MatcherOptions> = {}) {
	const options = { ...OPTIONS, ...o };
	const result = matchRows(rows, indexDirectory(DIRECTORY, options), options);
	const out: string[] = Array<string>(rows.length).fill('dropped');
	for (const m of result.matched) out[m.source] = `matched ${String(m.match.id)}`;
	for (const m of result.unmatched) out[m.source] = `unmatched: ${m.match.reason}`;
	for (const m of result.ambiguous) out[m.source] = `ambiguous: ${m.match.reason}`;
	return out;
}

describe('matchRows: each row goes to Matched, Unmatched or Ambiguous, with the reason', () => {
	it.each<[string, Array<Record<string, unknown>>, Partial<MatcherOptions>, string[]]>([
		[
			'a 15-character Salesforce ID matches its 18-character form',
			[{ sfid: 'a0D30000001n7Pi' }, { sfid: '0019000000b98DEAAB' }],
			{},
			['matched acc-1', 'matched acc-2'],
		],
		[
			'a key no account has',
			[{ sfid: '001XXXXXXXXXXXX' }],
			{},
			['unmatched: no account in the directory has this CRM ID'],
		],
		[
			'an invalid key says why',
			[{ sfid: 'a0D30000001n7PiZZZ' }],
			{},
			['unmatched: invalid Salesforce ID checksum'],
		],
		[
			'the account is out of scope: the row says so, with the reason',
			[{ sfid: '0019000000B98de' }],
			{ scope: { filters: [], statusField: 'status', excludedStatuses: ['Churned'] } },
			[
				'unmatched: the account with this CRM ID is left out: its status is Churned (Leave Out by Status)',
			],
		],
		[
			'several accounts share the key',
			[{ company: 'ACME INC' }],
			{ matchingType: 'name', matchingColumn: 'company', directoryKeyField: 'name' },
			['ambiguous: 2 accounts share this key'],
		],
		[
			'stakeholders are named as such',
			[{ sfid: '001XXXXXXXXXXXX' }],
			{ entity: 'stakeholder' },
			['unmatched: no stakeholder in the directory has this CRM ID'],
		],
	])('%s', (_case, rows, o, expected) => {
		expect(outcomes(rows, o)).toEqual(expected);
	});

	it('a matching column that no row has stops the matching, naming the columns there are', () => {
		expect(() => outcomes([{ crm: '1', score: '2', _import: {} }])).toThrow(
			MissingMatchingColumnError,
		);
		expect(() => outcomes([{ crm: '1', score: '2', _import: {} }])).toThrow(
			"The matching column 'sfid' is not in the rows. Their columns are: crm, score.",
		);
	});
});

describe('matchRows: one row per account (and date) within one import (a batch folder, else a file); duplicates are named by the file’s row', () => {
	const a = 'a0D30000001n7Pi';
	it.each<[string, Array<Record<string, unknown>>, Partial<MatcherOptions>, string[]]>([
		[
			'Reject All: every row of the account goes to Unmatched',
			[fromFile(ACCOUNTS, 1, a), fromFile(ACCOUNTS, 2, a)],
			{},
			[
				'unmatched: duplicate: rows 1, 2 are all for account acc-1; none was kept (policy: reject all)',
				'unmatched: duplicate: rows 1, 2 are all for account acc-1; none was kept (policy: reject all)',
			],
		],
		[
			'Keep First',
			[fromFile(ACCOUNTS, 1, a), fromFile(ACCOUNTS, 2, a), fromFile(ACCOUNTS, 3, a)],
			{ duplicates: 'keepFirst' },
			[
				'matched acc-1',
				'unmatched: duplicate: rows 1, 2, 3 are for account acc-1; row 1 was kept',
				'unmatched: duplicate: rows 1, 2, 3 are for account acc-1; row 1 was kept',
			],
		],
		[
			'Keep Last',
			[fromFile(ACCOUNTS, 1, a), fromFile(ACCOUNTS, 2, a)],
			{ duplicates: 'keepLast' },
			['unmatched: duplicate: rows 1, 2 are for account acc-1; row 2 was kept', 'matched acc-1'],
		],
		[
			'Keep All: rows are not one per account',
			[fromFile(ACCOUNTS, 1, a), fromFile(ACCOUNTS, 2, a)],
			{ duplicates: 'keepAll' },
			['matched acc-1', 'matched acc-1'],
		],
		[
			'the file’s rows are named, not the input items: rows dropped before the matcher do not shift them',
			[fromFile(ACCOUNTS, 5, a), fromFile(ACCOUNTS, 6, a)],
			{ duplicates: 'keepLast' },
			['unmatched: duplicate: rows 5, 6 are for account acc-1; row 6 was kept', 'matched acc-1'],
		],
		[
			'rows of two files of one batch folder: named with their file',
			[fromFile(USERS, 4, a), fromFile(MORE, 1, a)],
			{ duplicates: 'keepFirst' },
			[
				'matched acc-1',
				'unmatched: duplicate: users.csv row 4, more.csv row 1 are for account acc-1; users.csv row 4 was kept',
			],
		],
		[
			'two files outside a batch folder are two imports: no duplicate',
			[fromFile(ACCOUNTS, 1, a), fromFile(file('other.csv'), 1, a)],
			{},
			['matched acc-1', 'matched acc-1'],
		],
		[
			'rows without import metadata (from any node) are named by input item',
			[{ sfid: a }, { sfid: '001XXXXXXXXXXXX' }, { sfid: a }],
			{ duplicates: 'keepFirst' },
			[
				'matched acc-1',
				'unmatched: no account in the directory has this CRM ID',
				'unmatched: duplicate: input items 1, 3 are for account acc-1; item 1 was kept',
			],
		],
		[
			'with a date column, one row per account and date',
			[
				fromFile(ACCOUNTS, 1, a, { date: '2024-03-15' }),
				fromFile(ACCOUNTS, 2, a, { date: '2024-03-16' }),
			],
			{},
			['matched acc-1', 'matched acc-1'],
		],
		[
			'more than 10 duplicates are counted, not listed',
			Array.from({ length: 11 }, (_, i) => fromFile(ACCOUNTS, i + 1, a)),
			{ duplicates: 'keepLast' },
			[
				...Array<string>(10).fill(
					'unmatched: duplicate: 11 rows are for account acc-1; row 11 was kept',
				),
				'matched acc-1',
			],
		],
	])('%s', (_case, rows, o, expected) => {
		expect(outcomes(rows, o)).toEqual(expected);
	});
});

describe('rowNames: a row is named by its file’s row, with the file when rows come from several files, else by its input item', () => {
	it.each<[string, Array<Record<string, unknown>>, string, string]>([
		['one file', [fromFile(ACCOUNTS, 4, 'x'), fromFile(ACCOUNTS, 9, 'x')], 'rows 4, 9', 'row 9'],
		['a single row', [fromFile(ACCOUNTS, 4, 'x')], 'row 4', 'row 4'],
		[
			'two files',
			[fromFile(USERS, 4, 'x'), fromFile(MORE, 9, 'x')],
			'users.csv row 4, more.csv row 9',
			'more.csv row 9',
		],
		['no import metadata', [{ sfid: 'x' }, { sfid: 'y' }], 'input items 1, 2', 'item 2'],
		[
			'a whole-file item (row 0) is not a row of the file',
			[fromFile(ACCOUNTS, 0, 'x'), fromFile(ACCOUNTS, 2, 'x')],
			'input items 1, 2',
			'item 2',
		],
	])('%s', (_case, rows, list, last) => {
		const sources = rows.map((_, i) => i);
		const names = rowNames(sources, (i) => importOf(rows[i]));
		expect([names.list, names.of(sources[sources.length - 1])]).toEqual([list, last]);
	});
});
