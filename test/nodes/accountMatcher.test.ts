import type { INode, INodeParameters } from 'n8n-workflow';

import {
	buildWorkflow,
	connect,
	execute,
	node,
	outputOf,
	poll,
	runError,
	TYPES,
} from '../helpers/engine';
import { newBucket, testSettings } from '../helpers/s3';

const credentials = () => ({ s3InboundAwsApi: testSettings() });

const DIRECTORY = [
	{
		id: 'acc-1',
		crmId: 'a0D30000001n7PiEAI',
		name: 'Acme Inc',
		domain: 'acme.co.uk',
		status: 'Active',
		tier: 'Gold',
	},
	{
		id: 'acc-2',
		crmId: '0019000000B98deAAB',
		name: 'Globex LLC',
		domain: 'globex.com',
		status: 'Churned',
		tier: 'Gold',
	},
	{
		id: 'acc-3',
		crmId: '001000000000003AAA',
		name: 'Initech',
		domain: 'initech.com',
		status: 'Prospect',
		tier: 'Silver',
	},
	{
		id: 'acc-4',
		crmId: '001000000000004AAA',
		name: 'Acme, Inc.',
		domain: 'acme-corp.com',
		status: 'Active',
		tier: 'Silver',
	},
];

async function runMatcher(
	csv: string,
	matcher: INodeParameters,
	more: {
		mapper?: INodeParameters;
		mapperSettings?: Partial<INode>;
		matcherSettings?: Partial<INode>;
	} = {},
) {
	const { bucket, store } = await newBucket();
	await store.write('accounts.csv', csv);
	const workflow = buildWorkflow({
		nodes: [
			node('Trigger', TYPES.trigger, { mode: 'singleFile', bucket, fileKey: 'accounts.csv' }),
			// Every column as it is: the Field Mapper reads the file, lenient, keeping unmapped columns.
			node(
				'Field Mapper',
				TYPES.fieldMapper,
				{
					mode: 'lenient',
					options: { keepUnmapped: true },
					...more.mapper,
				},
				more.mapperSettings,
			),
			node('CRM', TYPES.directory, { records: JSON.stringify(DIRECTORY) }),
			node(
				'Account Matcher',
				TYPES.accountMatcher,
				{
					entity: 'account',
					directoryIdField: 'id',
					duplicates: 'rejectAll',
					...matcher,
				},
				more.matcherSettings,
			),
		],
		connections: connect(
			['Trigger', 'Field Mapper'],
			['Field Mapper', 'Account Matcher', 0, 0],
			['Trigger', 'CRM'],
			['CRM', 'Account Matcher', 0, 1],
		),
	});
	const run = await execute(
		workflow,
		'Trigger',
		(await poll(workflow, 'Trigger', credentials()))!,
		credentials(),
	);
	const pick = (output: number) =>
		outputOf(run, 'Account Matcher', output).map(
			(i) => i.json as Record<string, unknown> & { _match: Record<string, unknown> },
		);
	return { run, matched: pick(0), unmatched: pick(1), ambiguous: pick(2) };
}

describe('Account Matcher in the engine', () => {
	it('matches by CRM ID in either Salesforce form and attaches the account id', async () => {
		const { matched, unmatched } = await runMatcher(
			'sfid,health\na0D30000001n7Pi,80\n0019000000b98DEAAB,70\n001XXXXXXXXXXXX,1\n',
			{
				matchingColumn: 'sfid',
				accountMatchingType: 'crmId',
				directoryKeyField: 'crmId',
			},
		);
		expect(matched.map((m) => [m.sfid, m._match.id])).toEqual([
			['a0D30000001n7Pi', 'acc-1'],
			['0019000000b98DEAAB', 'acc-2'],
		]);
		expect(matched[0].health).toBe('80');
		expect(unmatched.map((u) => u._match.reason)).toEqual([
			'no account in the directory has this CRM ID',
		]);
	});

	it('match on rows, then batch: matched rows in batches of N for a bulk destination, each batch naming its file and rows; Unmatched stays one item per row', async () => {
		const rows = Array.from({ length: 5 }, (_, i) => `a0D30000001n7Pi,${i}`).join('\n');
		const { run, unmatched } = await runMatcher(
			`sfid,health\n${rows}\n001XXXXXXXXXXXX,1\n`,
			{
				matchingColumn: 'sfid',
				accountMatchingType: 'crmId',
				directoryKeyField: 'crmId',
				duplicates: 'keepAll',
				output: 'batches',
				rowsPerBatch: 2,
			},
			{ mapperSettings: { typeVersion: 3 } },
		);
		const batches = outputOf(run, 'Account Matcher', 0).map((i) => i.json);
		expect(batches.map((b) => (b.rows as Array<{ health: string }>).map((r) => r.health))).toEqual([
			['0', '1'],
			['2', '3'],
			['4'],
		]);
		expect((batches[0].rows as Array<Record<string, unknown>>)[0]).toEqual({
			sfid: 'a0D30000001n7Pi',
			health: '0',
			_match: expect.objectContaining({ id: 'acc-1' }),
		});
		expect(batches.map((b) => b._import)).toMatchObject([
			{ row: 1, lastRow: 2, rowCount: 2, file: { key: 'accounts.csv' } },
			{ row: 3, lastRow: 4, rowCount: 2 },
			{ row: 5, lastRow: 5, rowCount: 1 },
		]);
		expect(unmatched).toHaveLength(1);
	});

	it('sends an 18-character ID with an impossible checksum to Unmatched, never to another account', async () => {
		// a0D30000001n7PiZZZ would be rebuilt as 'A0d30000001N7pI…', a different record.
		const { matched, unmatched } = await runMatcher('sfid\na0D30000001n7PiZZZ\n', {
			matchingColumn: 'sfid',
			accountMatchingType: 'crmId',
			directoryKeyField: 'crmId',
		});
		expect(matched).toEqual([]);
		expect(unmatched.map((u) => [u.sfid, u._match.reason])).toEqual([
			['a0D30000001n7PiZZZ', 'invalid Salesforce ID checksum'],
		]);
	});

	it('matches by domain from messy values, never by a free-mail domain', async () => {
		const { matched, unmatched } = await runMatcher(
			'site\nhttps://www.Acme.co.uk/about\nsomeone@globex.com\njane@gmail.com\n',
			{
				matchingColumn: 'site',
				accountMatchingType: 'domain',
				directoryKeyField: 'domain',
			},
		);
		expect(matched.map((m) => m._match.id)).toEqual(['acc-1', 'acc-2']);
		expect(unmatched[0]._match.reason).toMatch(/gmail\.com' is a free-mail domain/);
	});

	it('sends rows whose key is shared by several accounts to Ambiguous, with every candidate', async () => {
		const { ambiguous, matched } = await runMatcher('company\n"ACME,  Inc."\nInitech\n', {
			matchingColumn: 'company',
			accountMatchingType: 'name',
			directoryKeyField: 'name',
		});
		expect(ambiguous).toHaveLength(1);
		expect((ambiguous[0]._match.candidates as Array<{ id: string }>).map((c) => c.id)).toEqual([
			'acc-1',
			'acc-4',
		]);
		expect(matched.map((m) => m._match.id)).toEqual(['acc-3']);
	});

	it.each([
		['rejectAll', [], ['acc-1', 'acc-1']],
		['keepFirst', ['10'], ['acc-1']],
		['keepLast', ['30'], ['acc-1']],
	])(
		'applies the duplicates policy %s, and reports the duplicates',
		async (policy, kept, reported) => {
			const { matched, unmatched } = await runMatcher(
				'sfid,score\na0D30000001n7Pi,10\na0D30000001n7PiEAI,20\nA0D30000001N7PIEAI,30\n',
				{
					matchingColumn: 'sfid',
					directoryKeyField: 'crmId',
					duplicates: policy,
				},
			);
			expect(matched.map((m) => m.score)).toEqual(kept);
			expect(unmatched.map((u) => u._match.id)).toEqual(
				reported.length === 2 ? ['acc-1', 'acc-1', 'acc-1'] : ['acc-1', 'acc-1'],
			);
			expect(unmatched.every((u) => String(u._match.reason).startsWith('duplicate:'))).toBe(true);
		},
	);

	it.each([2, 3])(
		'names duplicates by the file’s row: a row the Field Mapper (version %i) rejected before them does not shift the row named',
		async (version) => {
			// File row 2 has a score that is not a number: the Field Mapper rejects it, so rows 3 and 4
			// reach the matcher as its 2nd and 3rd items. The reasons still name file rows 3 and 4.
			const csv =
				'sfid,score\n001000000000003AAA,1\na0D30000001n7Pi,lots\na0D30000001n7Pi,3\na0D30000001n7PiEAI,4\n';
			const mapper = {
				fieldsFrom: 'node',
				fields: { field: [{ target: 'score', type: 'number' }] },
			};
			const kept = await runMatcher(
				csv,
				{ matchingColumn: 'sfid', directoryKeyField: 'crmId', duplicates: 'keepLast' },
				{ mapper, mapperSettings: { typeVersion: version } },
			);
			expect(outputOf(kept.run, 'Field Mapper', 1).map((i) => i.json.row)).toEqual([2]);
			expect(kept.matched.map((m) => m.score)).toEqual([1, 4]);
			expect(kept.unmatched.map((u) => [u.score, u._match.reason])).toEqual([
				[3, 'duplicate: rows 3, 4 are for account acc-1; row 4 was kept'],
			]);
			const rejected = await runMatcher(
				csv,
				{ matchingColumn: 'sfid', directoryKeyField: 'crmId', duplicates: 'rejectAll' },
				{ mapper, mapperSettings: { typeVersion: version } },
			);
			expect(rejected.unmatched.map((u) => u._match.reason)).toEqual([
				'duplicate: rows 3, 4 are all for account acc-1; none was kept (policy: reject all)',
				'duplicate: rows 3, 4 are all for account acc-1; none was kept (policy: reject all)',
			]);
		},
	);

	it('with a date column, keeps one row per account and date', async () => {
		const { matched, unmatched } = await runMatcher(
			'sfid,date,score\na0D30000001n7Pi,2024-03-15,1\na0D30000001n7Pi,2024-03-16,2\na0D30000001n7Pi,2024-03-16,3\n',
			{
				matchingColumn: 'sfid',
				directoryKeyField: 'crmId',
				duplicates: 'keepLast',
			},
		);
		expect(matched.map((m) => [m.date, m.score])).toEqual([
			['2024-03-15', '1'],
			['2024-03-16', '3'],
		]);
		expect(unmatched).toHaveLength(1);
	});

	it('counts duplicates within one batch folder: two days’ folders in one run do not drop each other’s rows', async () => {
		const { bucket, store } = await newBucket();
		for (const day of ['20240101', '20240102']) {
			await store.write(`px/current/dt=${day}/users.csv`, `sfid,score\na0D30000001n7Pi,${day}\n`);
			await store.write(`px/current/dt=${day}/_SUCCESS`, '');
		}
		// Within one folder, two files with the same account are still one batch: a duplicate.
		await store.write(
			'px/current/dt=20240102/z-more.csv',
			'sfid,score\na0D30000001n7PiEAI,again\n',
		);
		const workflow = buildWorkflow({
			nodes: [
				node('Trigger', TYPES.trigger, {
					mode: 'markerFolders',
					bucketPath: bucket,
					baseFolder: 'px',
				}),
				node('Field Mapper', TYPES.fieldMapper, {
					mode: 'lenient',
					options: { keepUnmapped: true },
				}),
				node('CRM', TYPES.directory, { records: JSON.stringify(DIRECTORY) }),
				node('Account Matcher', TYPES.accountMatcher, {
					entity: 'account',
					directoryIdField: 'id',
					duplicates: 'keepFirst',
					matchingColumn: 'sfid',
					directoryKeyField: 'crmId',
				}),
			],
			connections: connect(
				['Trigger', 'Field Mapper'],
				['Field Mapper', 'Account Matcher', 0, 0],
				['Trigger', 'CRM'],
				['CRM', 'Account Matcher', 0, 1],
			),
		});
		const run = await execute(
			workflow,
			'Trigger',
			(await poll(workflow, 'Trigger', credentials()))!,
			credentials(),
		);
		const matched = outputOf(run, 'Account Matcher', 0).map((i) => i.json.score);
		const unmatched = outputOf(run, 'Account Matcher', 1).map((i) => [
			i.json.score,
			(i.json._match as { reason: string }).reason,
		]);
		expect(matched).toEqual(['20240101', '20240102']);
		// The rows come from two files of the folder: each is named by its file and its row.
		expect(unmatched).toEqual([
			[
				'again',
				'duplicate: users.csv row 1, z-more.csv row 1 are for account acc-1; users.csv row 1 was kept',
			],
		]);
	});

	it('leaves churned and prospect accounts out of scope, and applies filters', async () => {
		const csv = 'sfid\na0D30000001n7Pi\n0019000000B98de\n001000000000003AAA\n001000000000004AAA\n';
		const { run, matched, unmatched } = await runMatcher(csv, {
			matchingColumn: 'sfid',
			directoryKeyField: 'crmId',
			excludeStatuses: true,
			statusField: 'status',
			excludedStatuses: 'Churned, Prospect',
			scope: 'filter',
			filters: { filter: [{ field: 'tier', operator: 'equals', value: 'gold' }] },
		});
		expect(matched.map((m) => m._match.id)).toEqual(['acc-1']);
		const hints = run.data.resultData.runData['Account Matcher'][0].hints ?? [];
		expect(hints.map((h) => h.message)).toEqual([
			expect.stringMatching(/^1 of 4 accounts in scope; 1 rows matched/),
		]);
		// Each unmatched row says why: churned, a prospect, or outside the filters.
		expect(unmatched.map((u) => [u.sfid, u._match.reason])).toEqual([
			[
				'0019000000B98de',
				'the account with this CRM ID is left out: its status is Churned (Leave Out by Status)',
			],
			[
				'001000000000003AAA',
				'the account with this CRM ID is left out: its status is Prospect (Leave Out by Status)',
			],
			[
				'001000000000004AAA',
				"the account with this CRM ID is left out: it is outside the account scope (filter: tier equals 'gold'; it has 'Silver')",
			],
		]);
	});

	it('says which column is missing when the matching column is not in the rows', async () => {
		const { run } = await runMatcher('crm,score\n1,2\n', {
			matchingColumn: 'salesforce_id',
			directoryKeyField: 'crmId',
		});
		expect(runError(run)).toMatch(
			/The matching column 'salesforce_id' is not in the rows. Their columns are: crm, score/,
		);
	});

	it.each([
		['continueRegularOutput', 1],
		['continueErrorOutput', 3],
	] as const)(
		'with On Error set to %s, a matching that cannot run sends every row on, with the reason, and the workflow goes on',
		async (onError, output) => {
			const { run } = await runMatcher(
				'crm,score\n1,2\n3,4\n',
				{ matchingColumn: 'salesforce_id', directoryKeyField: 'crmId' },
				{ matcherSettings: { onError } },
			);
			expect(runError(run)).toBeUndefined();
			expect(outputOf(run, 'Account Matcher', 0)).toEqual([]);
			const sent = outputOf(run, 'Account Matcher', output).map((i) => i.json);
			expect(sent.map((j) => j.score)).toEqual(['2', '4']);
			// Unmatched says why in _match, as for any unmatched row; n8n's error output in `error`.
			for (const j of sent)
				expect(output === 1 ? (j._match as { reason: string }).reason : j.error).toMatch(
					/^The matching column 'salesforce_id' is not in the rows/,
				);
		},
	);
});
