/**
 * The marker-folder flow into a real PostgreSQL through n8n's own Postgres node (n8n-nodes-base
 * 2.41.1, loaded from the n8n installation), in n8n-core's engine, against moto. These are the
 * failures the status writer must close loudly: n8n's Postgres node answers a failed statement for
 * many rows with one error item that names no row.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import type { Postgres } from '../../scripts/lib/postgres';
import {
	buildWorkflow,
	connect,
	execute,
	node,
	nodeTypes,
	outputOf,
	poll,
	runError,
	TYPES,
} from '../helpers/engine';
import { startMoto, type MotoServer } from '../helpers/moto';
import { closeN8nPools, N8N_TYPES, useN8nNodes } from '../helpers/n8nNodes';
import { newBucket, testSettings } from '../helpers/s3';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startPostgres } = require('../../scripts/lib/postgres') as {
	startPostgres: (o?: object) => Promise<Postgres>;
};

/** ~300 KB, shared by every padded row: the rows cost little memory, the one statement too much. */
const BIG = 'x'.repeat(300_000);

/** Adds a long `notes` value to each row, keeping its import metadata and pairing. */
class TestPad implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Test Pad',
		name: 'pad',
		group: ['transform'],
		version: 1,
		description: 'Adds a long notes value to each row',
		defaults: { name: 'Pad' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
	};
	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [
			this.getInputData().map((item, i) => ({
				json: { ...item.json, notes: BIG },
				pairedItem: { item: i },
			})),
		];
	}
}

let moto: MotoServer;
let pg: Postgres;
beforeAll(async () => {
	moto = await startMoto();
	process.env.S3_TEST_ENDPOINT = moto.endpoint;
	process.env.N8N_USER_FOLDER = mkdtempSync(join(tmpdir(), 'n8n-s3-inbound-pg-'));
	process.env.AWS_EC2_METADATA_DISABLED = 'true';
	useN8nNodes();
	nodeTypes.register('test.pad', () => new TestPad());
	pg = await startPostgres({ databases: ['imports'] });
	pg.psql('create table px_rows (id text primary key, score numeric, notes text)');
}, 600_000);
afterAll(async () => {
	closeN8nPools();
	await pg?.stop();
	await moto?.stop();
});

const credentials = () => ({
	s3InboundAwsApi: testSettings(),
	postgres: {
		host: pg.host,
		port: pg.port,
		database: 'imports',
		user: pg.user,
		password: '',
		ssl: 'disable',
	},
});

const HEADER = 'id,score';
const rows = (n: number, prefix: string) =>
	Array.from({ length: n }, (_, i) => `${prefix}${i + 1},${i}`).join('\n');

async function seed(files: Record<string, string>, date = '20240101') {
	const { bucket, store } = await newBucket('pg');
	for (const [name, text] of Object.entries(files))
		await store.write(`px/current/dt=${date}/${name}`, text);
	await store.write(`px/current/dt=${date}/_SUCCESS`, '');
	return { bucket, store };
}

const table = { __rl: true, mode: 'name', value: 'px_rows' };
const schema = { __rl: true, mode: 'list', value: 'public' };
/** n8n's Postgres node, Insert, "Map Automatically", Query Batching Single Query (its defaults). */
const insertAutoMapped = {
	operation: 'insert',
	schema,
	table,
	columns: { mappingMode: 'autoMapInputData', value: {}, matchingColumns: [], schema: [] },
	options: {},
};
/**
 * n8n's Postgres node, Execute Query, one statement per batch item: the rows as one JSON text (the
 * Field Mapper's Rows As: JSON Text, as the example ships), or an array stringified by an expression.
 */
const insertBatches = (queryBatching: string, rowsAs: 'text' | 'array') => ({
	operation: 'executeQuery',
	query: 'insert into px_rows select * from json_populate_recordset(null::px_rows, $1::json)',
	options: {
		queryBatching,
		queryReplacement: rowsAs === 'text' ? '={{ $json.rows }}' : '={{ JSON.stringify($json.rows) }}',
	},
});

/** Trigger → Field Mapper (v3, strict) → [Pad] → Postgres (error output on) → PX Status Writer (v2). */
async function run(
	bucket: string,
	fieldMapper: object,
	postgres: object,
	options: { pad?: boolean } = {},
) {
	const nodes = [
		node(
			'Trigger',
			TYPES.trigger,
			{ mode: 'markerFolders', bucketPath: bucket, baseFolder: 'px', options: {} },
			{ typeVersion: 2 },
		),
		node(
			'Field Mapper',
			TYPES.fieldMapper,
			{
				mode: 'strict',
				fields: {
					field: [
						{ target: 'id', required: true },
						{ target: 'score', type: 'number' },
					],
				},
				...fieldMapper,
			},
			{ typeVersion: 3 },
		),
		...(options.pad ? [node('Pad', 'test.pad', {})] : []),
		node('Insert Rows', N8N_TYPES.postgres, postgres, {
			typeVersion: 2.6,
			onError: 'continueErrorOutput',
			credentials: { postgres: { id: 'pg', name: 'PostgreSQL' } },
		}),
		node('PX Status Writer', TYPES.statusWriter, { sendCallback: false }, { typeVersion: 2 }),
	];
	const workflow = buildWorkflow({
		nodes,
		connections: connect(
			['Trigger', 'Field Mapper'],
			...((options.pad
				? [
						['Field Mapper', 'Pad', 0, 0],
						['Pad', 'Insert Rows', 0, 0],
					]
				: [['Field Mapper', 'Insert Rows', 0, 0]]) as Array<[string, string, number, number]>),
			['Field Mapper', 'PX Status Writer', 1, 2],
			['Insert Rows', 'PX Status Writer', 0, 0],
			['Insert Rows', 'PX Status Writer', 1, 1],
		),
	});
	const data = await poll(workflow, 'Trigger', credentials());
	expect(data).not.toBeNull();
	const result = await execute(workflow, 'Trigger', data!, credentials());
	return { result, error: runError(result) };
}

const count = (where = 'true') => Number(pg.psql(`select count(*) from px_rows where ${where}`));

describe('into PostgreSQL through n8n’s Postgres node', () => {
	it('rows (Field Mapper v3) go into a table whose columns match the fields with Map Automatically; a row whose key already exists fails the one statement, and the batch closes with ERROR quoting PostgreSQL, loudly', async () => {
		const first = await seed({ 'a.csv': `${HEADER}\n${rows(2000, 'r')}\n` });
		const ok = await run(first.bucket, {}, insertAutoMapped);
		expect(ok.error).toBeUndefined();
		expect(count("id like 'r%'")).toBe(2000);
		expect(await first.store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n2000 records were uploaded\n',
		);

		// A re-import after a partial load: one id of the new file is already in the table.
		const second = await seed({ 'b.csv': `${HEADER}\n${rows(1999, 's')}\nr7,1\n` }, '20240102');
		const failed = await run(second.bucket, {}, insertAutoMapped);
		// Insert's one statement is all or nothing: none of the file's rows are in the table.
		expect(count("id like 's%'")).toBe(0);
		const status = await second.store.readText('px/processed/20240102/status.txt');
		expect(status).toMatch(
			/^ERROR\nDestination Errors:\[\n {7}the destination failed without naming a row: "duplicate key value violates unique constraint "px_rows_pkey" \(Key \(id\)=\(r7\) already exists\.\)"\n\]/,
		);
		expect(status).toMatch(/\n0 records were uploaded\n$/);
		// Loudly: the execution fails (PX Status Writer v2's default), naming the folder.
		expect(failed.error).toMatch(
			/^1 batch folder closed with ERROR: px\/processed\/20240102: Destination Errors:\[ the destination failed without naming a row: "duplicate key value/,
		);
		expect((await second.store.listObjects('px/current/')).map((o) => o.key)).toEqual([]);
	});

	it('a statement too big to build (V8’s string limit in n8n’s Postgres node) closes the batch with ERROR quoting it, loudly', async () => {
		const { bucket, store } = await seed({ 'c.csv': `${HEADER}\n${rows(2000, 't')}\n` });
		const { error } = await run(bucket, {}, insertAutoMapped, { pad: true });
		expect(count("id like 't%'")).toBe(0);
		const status = await store.readText('px/processed/20240101/status.txt');
		expect(status).toMatch(
			/^ERROR\nDestination Errors:\[\n {7}the destination failed without naming a row: "Invalid string length/,
		);
		expect(error).toMatch(/^1 batch folder closed with ERROR: .*Invalid string length/);
	});

	it('batches of rows as JSON text (one statement per 500 rows): the rows land in bulk; a batch with a key that exists fails alone, named by its rows', async () => {
		pg.psql("insert into px_rows values ('u1234', 0, null)");
		const { bucket, store } = await seed({ 'd.csv': `${HEADER}\n${rows(2000, 'u')}\n` });
		const { result, error } = await run(
			bucket,
			{ output: 'batches', rowsPerBatch: 500, rowsAs: 'text' },
			insertBatches('independently', 'text'),
		);
		expect(outputOf(result, 'Field Mapper')).toHaveLength(4);
		// Rows 1001-1500 hold u1234: that statement fails; the other three land.
		expect(count("id like 'u%'")).toBe(1 + 1500);
		expect(await store.readText('px/processed/20240101/status.txt')).toMatch(
			/^ERROR\nDestination Errors:\[\n {7}d\.csv rows 1001-1500: Key \(id\)=\(u1234\) already exists\.\n\]\n1500 records were uploaded\n$/,
		);
		expect(error).toMatch(/^1 batch folder closed with ERROR/);
	});

	it('batches of rows as arrays in one Single Query statement: its one error names no row, and the batch closes with ERROR quoting it', async () => {
		pg.psql("insert into px_rows values ('v999', 0, null)");
		const { bucket, store } = await seed({ 'e.csv': `${HEADER}\n${rows(2000, 'v')}\n` });
		const { error } = await run(
			bucket,
			{ output: 'batches', rowsPerBatch: 500 },
			insertBatches('single', 'array'),
		);
		expect(count("id like 'v%'")).toBe(1);
		expect(await store.readText('px/processed/20240101/status.txt')).toMatch(
			/^ERROR\nDestination Errors:\[\n {7}the destination failed without naming a row: "duplicate key value violates unique constraint "px_rows_pkey" \(Key \(id\)=\(v999\) already exists\.\)"\n\]/,
		);
		expect(error).toMatch(/^1 batch folder closed with ERROR/);
	});
});
