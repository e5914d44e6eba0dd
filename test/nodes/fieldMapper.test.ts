import type { IDataObject, INode, INodeParameters } from 'n8n-workflow';

import { importOf } from '../../lib/importMetadata';
import {
	buildWorkflow,
	connect,
	execute,
	node,
	outputOf,
	poll,
	runError,
	TYPES,
	type TestCredentials,
} from '../helpers/engine';
import { gzip, newBucket, testSettings } from '../helpers/s3';

const credentials = (): TestCredentials => ({
	s3InboundAwsApi: testSettings() as unknown as IDataObject,
});

const PX_FIELDS = {
	field: [
		{ target: 'id', type: 'string' },
		{ target: 'score', type: 'number' },
		{ target: 'active', type: 'boolean' },
		{ target: 'signup', type: 'date' },
		{ target: 'seen', type: 'datetime', dateFormat: "yyyy-MM-dd'T'HH:mm:ssX" },
	],
};

async function runStrict(files: Record<string, string | Buffer>, mapper: INodeParameters = {}) {
	const { bucket, store } = await newBucket();
	for (const [name, body] of Object.entries(files))
		await store.write(`px/current/dt=20240101/${name}`, body);
	await store.write('px/current/dt=20240101/_SUCCESS', '');
	const workflow = buildWorkflow({
		nodes: [
			node('Trigger', TYPES.trigger, {
				mode: 'markerFolders',
				bucketPath: bucket,
				baseFolder: 'px',
			}),
			node('Field Mapper', TYPES.fieldMapper, {
				mode: 'strict',
				fields: PX_FIELDS,
				dateFormat: 'YYYYMMDD',
				...mapper,
			}),
		],
		connections: connect(['Trigger', 'Field Mapper']),
	});
	const data = await poll(workflow, 'Trigger', credentials());
	const run = await execute(workflow, 'Trigger', data!, credentials());
	return {
		run,
		valid: outputOf(run, 'Field Mapper', 0),
		rejected: outputOf(run, 'Field Mapper', 1),
	};
}

const HEADER = 'id,score,active,signup,seen';
const GOOD = `${HEADER}\n1,10.5,TRUE,20211225,2021-06-25T13:55:42Z\n2,-3,false,20240229,2021-06-25T13:55:42+02:00\n3,,False,,\n`;

describe('Field Mapper, strict (marker imports)', () => {
	it('passes a valid file whole, with typed values and the import metadata', async () => {
		const { valid, rejected } = await runStrict({ 'users.csv.gz': gzip(GOOD) });
		expect(rejected).toEqual([]);
		expect(valid.map((i) => ({ ...i.json, _import: undefined }))).toEqual([
			{
				id: '1',
				score: 10.5,
				active: true,
				signup: '2021-12-25',
				seen: '2021-06-25T13:55:42.000Z',
				_import: undefined,
			},
			{
				id: '2',
				score: -3,
				active: false,
				signup: '2024-02-29',
				seen: '2021-06-25T11:55:42.000Z',
				_import: undefined,
			},
			{ id: '3', score: null, active: false, signup: null, seen: null, _import: undefined },
		]);
		expect(importOf(valid[0].json)?.file.key).toBe('px/current/dt=20240101/users.csv.gz');
	});

	it.each([
		[
			'an unknown column',
			`${HEADER},flantana_carteret\n1,1,true,20240101,2021-06-25T13:55:42Z,x\n`,
			"Unknown column: 'flantana_carteret'",
		],
		['a missing id', 'score,active\n1,true\n', "Missing required column: 'id'"],
		[
			'a number with a thousands separator',
			`${HEADER}\n1,"1,000",true,20240101,2021-06-25T13:55:42Z\n`,
			"Row 1, column 'score': '1,000' is not a number",
		],
		[
			'a word for a number',
			`${HEADER}\n1,abc,true,20240101,2021-06-25T13:55:42Z\n`,
			"Row 1, column 'score': 'abc' is not a number",
		],
		[
			'a bad boolean',
			`${HEADER}\n1,1,yes,20240101,2021-06-25T13:55:42Z\n`,
			"Row 1, column 'active': 'yes' is not a boolean",
		],
		[
			'a bad date under YYYYMMDD',
			`${HEADER}\n1,1,true,20240230,2021-06-25T13:55:42Z\n`,
			"Row 1, column 'signup': '20240230' is not a date in the format YYYYMMDD",
		],
		[
			'a bad datetime',
			`${HEADER}\n1,1,true,20240101,2021-06-25 13:55:42\n`,
			"Row 1, column 'seen': '2021-06-25 13:55:42' is not a datetime in the format yyyy-MM-dd'T'HH:mm:ssX",
		],
		[
			'an empty id',
			`${HEADER}\n,1,true,20240101,2021-06-25T13:55:42Z\n`,
			"Row 1, column 'id': a value is required",
		],
	])('rejects the whole file for %s', async (_name, csv, reason) => {
		const good = `${HEADER}\n9,1,true,20240101,2021-06-25T13:55:42Z\n`;
		const { valid, rejected } = await runStrict({ 'a.csv': good, 'b.csv': csv });
		expect(valid.map((i) => i.json.id)).toEqual(['9']);
		expect(rejected).toHaveLength(1);
		expect(rejected[0].json.file).toMatch(/\/b\.csv$/);
		expect((rejected[0].json.reasons as string[]).join('\n')).toContain(reason);
	});

	it('rejects a file of 350,001 rows', async () => {
		const rows = Array.from(
			{ length: 350_001 },
			(_, i) => `${i},1,true,20240101,2021-06-25T13:55:42Z`,
		).join('\n');
		const { valid, rejected } = await runStrict({ 'big.csv.gz': gzip(`${HEADER}\n${rows}\n`) });
		expect(valid).toEqual([]);
		expect(rejected[0].json.reasons).toEqual([
			'Too many rows: the file has 350001 rows; at most 350000 are allowed per file',
		]);
	});

	it('lists the first reasons and counts the rest', async () => {
		const rows = Array.from(
			{ length: 30 },
			(_, i) => `${i},x,true,20240101,2021-06-25T13:55:42Z`,
		).join('\n');
		const { rejected } = await runStrict(
			{ 'a.csv': `${HEADER}\n${rows}\n` },
			{ options: { maxReasons: 3 } },
		);
		expect(rejected[0].json.reasons).toEqual([
			"Row 1, column 'score': 'x' is not a number (expected number: digits with an optional '.' decimal point, no thousands separators)",
			"Row 2, column 'score': 'x' is not a number (expected number: digits with an optional '.' decimal point, no thousands separators)",
			"Row 3, column 'score': 'x' is not a number (expected number: digits with an optional '.' decimal point, no thousands separators)",
			'... and 27 more',
		]);
		expect(rejected[0].json.reasonCount).toBe(30);
	});

	it('refuses a user reference field before touching any row', async () => {
		const { run, valid } = await runStrict(
			{ 'a.csv': GOOD },
			{
				fields: {
					field: [...PX_FIELDS.field, { target: 'owner', type: 'string', userReference: true }],
				},
			},
		);
		expect(valid).toEqual([]);
		expect(runError(run)).toMatch(
			/'owner' is a user reference: S3 import does not support user reference fields/,
		);
		// The Type "User Reference (Not Importable)" (the switch above is how older workflows said it).
		const byType = await runStrict(
			{ 'a.csv': GOOD },
			{ fields: { field: [...PX_FIELDS.field, { target: 'owner', type: 'userReference' }] } },
		);
		expect(byType.valid).toEqual([]);
		expect(runError(byType.run)).toMatch(
			/'owner' is a user reference: S3 import does not support user reference fields/,
		);
	});

	it('takes field definitions from JSON, such as an attribute list, and refuses user references there too', async () => {
		const attributes = [
			{ apiName: 'id', type: 'STRING' },
			{ apiName: 'score', type: 'NUMBER' },
			{ apiName: 'active', type: 'BOOLEAN' },
			{ apiName: 'signup', type: 'DATE' },
			{ apiName: 'seen', type: 'DATETIME', dateFormat: "yyyy-MM-dd'T'HH:mm:ssX" },
		];
		const { valid } = await runStrict(
			{ 'a.csv': GOOD },
			{ fieldsFrom: 'json', fieldsJson: JSON.stringify({ attributes }) },
		);
		expect(valid.map((i) => i.json.score)).toEqual([10.5, -3, null]);
		const refused = await runStrict(
			{ 'a.csv': GOOD },
			{
				fieldsFrom: 'json',
				fieldsJson: JSON.stringify([...attributes, { apiName: 'owner', type: 'USER' }]),
			},
		);
		expect(runError(refused.run)).toMatch(/'owner' is a user reference/);
	});
});

describe('Field Mapper, lenient (overwrite imports)', () => {
	it('drops unmapped columns, keeps the date column as history, and rejects only bad rows', async () => {
		const { bucket, store } = await newBucket();
		await store.write(
			'accounts.csv',
			'crm_id,date,health,notes\n001A,2024-03-15,80,x\n001B,2024-03-16,n/a,y\n001C,2024-02-30,70,z\n',
		);
		const workflow = buildWorkflow({
			nodes: [
				node('Trigger', TYPES.trigger, { mode: 'singleFile', bucket, fileKey: 'accounts.csv' }),
				node('Field Mapper', TYPES.fieldMapper, {
					mode: 'lenient',
					fields: {
						field: [
							{ target: 'crmId', source: 'crm_id', type: 'string' },
							{ target: 'healthScore', source: 'health', type: 'number' },
						],
					},
				}),
			],
			connections: connect(['Trigger', 'Field Mapper']),
		});
		const run = await execute(
			workflow,
			'Trigger',
			(await poll(workflow, 'Trigger', credentials()))!,
			credentials(),
		);
		const valid = outputOf(run, 'Field Mapper', 0);
		expect(valid.map(({ json }) => ({ ...json, _import: undefined }))).toEqual([
			{ crmId: '001A', healthScore: 80, date: '2024-03-15', _import: undefined },
		]);
		const rejected = outputOf(run, 'Field Mapper', 1);
		expect(rejected.map((i) => (i.json.reasons as string[]).join())).toEqual([
			expect.stringContaining("accounts.csv: Row 2, column 'health': 'n/a' is not a number"),
			expect.stringContaining(
				"accounts.csv: Row 3, column 'date': '2024-02-30' is not a date in the format yyyy-mm-dd",
			),
		]);
	});
});

describe('Field Mapper, a file it cannot read from S3', () => {
	// The file changes between the trigger's listing and the read: S3 refuses the version listed
	// (If-Match), a failure moto produces for real.
	async function runChangedFile(settings: Partial<INode>) {
		const { bucket, store } = await newBucket();
		await store.write('accounts.csv', 'crm_id\n001A\n');
		const workflow = buildWorkflow({
			nodes: [
				node('Trigger', TYPES.trigger, { mode: 'singleFile', bucket, fileKey: 'accounts.csv' }),
				node(
					'Field Mapper',
					TYPES.fieldMapper,
					{ mode: 'lenient', options: { keepUnmapped: true } },
					settings,
				),
			],
			connections: connect(['Trigger', 'Field Mapper']),
		});
		const data = (await poll(workflow, 'Trigger', credentials()))!;
		await store.write('accounts.csv', 'crm_id\n001B\n');
		return await execute(workflow, 'Trigger', data, credentials());
	}

	it('fails the execution, naming the file, by default', async () => {
		const run = await runChangedFile({});
		expect(runError(run)).toMatch(/accounts\.csv changed while it was being processed/);
	});

	it('with Continue On Fail, sends the file to Rejected with the reason, and the workflow goes on', async () => {
		const run = await runChangedFile({ onError: 'continueRegularOutput' });
		expect(runError(run)).toBeUndefined();
		expect(outputOf(run, 'Field Mapper', 0)).toEqual([]);
		const rejected = outputOf(run, 'Field Mapper', 1).map((i) => i.json);
		expect(rejected).toHaveLength(1);
		expect(rejected[0].key).toBe('accounts.csv');
		expect(rejected[0].reasons).toEqual([
			expect.stringMatching(
				/accounts\.csv changed while it was being processed\. The next run picks up the new version\./,
			),
		]);
		expect(importOf(rejected[0])?.row).toBe(0);
	});
});

describe('Field Mapper, the Staircase account fields preset', () => {
	const { STAIRCASE_ACCOUNT_FIELDS } =
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		require('../../lib/mapping/presets') as typeof import('../../lib/mapping/presets');
	const rowsOf = (omit: string[] = []) => ({
		field: STAIRCASE_ACCOUNT_FIELDS.filter((f) => !omit.includes(f.target)).map((f) => ({
			...f,
			source: f.source ?? '',
			dateFormat: f.dateFormat ?? '',
		})),
	});
	const CSV = [
		'crm_account_id,name,parent_account,tier,revenue,renewal_date,journey_stage,date',
		'a0D30000001n7Pi,Acme,0019000000B98deAAB,Gold,125000.50,2025-03-31,Adoption,2024-03-15',
		'0019000000B98de,Globex,a0D30000001n7PiZZZ,Silver,90000,2025-06-30,Onboarding,2024-03-15',
		',Initech,,Bronze,1,2025-01-01,Renewal,2024-03-15',
	].join('\n');

	async function run(parameters: object) {
		const { bucket, store } = await newBucket();
		await store.write('staircase/accounts.csv', `${CSV}\n`);
		const workflow = buildWorkflow({
			nodes: [
				node('Trigger', TYPES.trigger, {
					mode: 'singleFile',
					bucket,
					fileKey: 'staircase/accounts.csv',
				}),
				node('Field Mapper', TYPES.fieldMapper, {
					mode: 'lenient',
					fieldsFrom: 'staircase',
					...parameters,
				}),
			],
			connections: connect(['Trigger', 'Field Mapper']),
		});
		const r = await execute(
			workflow,
			'Trigger',
			(await poll(workflow, 'Trigger', credentials()))!,
			credentials(),
		);
		return {
			run: r,
			valid: outputOf(r, 'Field Mapper', 0),
			rejected: outputOf(r, 'Field Mapper', 1),
		};
	}

	it('as it comes, it is refused for its Owner field (a user reference), before any row is touched', async () => {
		const { run: r, valid } = await run({});
		expect(runError(r)).toMatch(
			/The field 'owner' is a user reference: S3 import does not support user reference fields/,
		);
		expect(valid).toEqual([]);
	});

	it('edited (Owner removed): typed Tier, Revenue, Renewal Date and Journey Stage; CRM Account ID required; Parent Account checked like a CRM ID', async () => {
		const { valid, rejected } = await run({ staircaseFields: rowsOf(['owner']) });
		expect(valid.map(({ json }) => ({ ...json, _import: undefined }))).toEqual([
			{
				crmAccountId: 'a0D30000001n7Pi',
				name: 'Acme',
				parentAccount: '0019000000B98deAAB',
				tier: 'Gold',
				revenue: 125000.5,
				renewalDate: '2025-03-31',
				journeyStage: 'Adoption',
				date: '2024-03-15',
				_import: undefined,
			},
		]);
		expect(rejected.map((i) => (i.json.reasons as string[]).join(' | '))).toEqual([
			expect.stringContaining(
				"Row 2, column 'parent_account': 'a0D30000001n7PiZZZ' is not a valid CRM ID (invalid Salesforce ID checksum)",
			),
			expect.stringContaining("Row 3, column 'crm_account_id': a value is required"),
		]);
	});
});
