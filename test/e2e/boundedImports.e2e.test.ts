/**
 * The shipped marker-folder shape in n8n-core's engine: the trigger's files go one by one to a
 * per-file sub-workflow through n8n's own Execute Sub-workflow node (n8n-nodes-base 2.41.1, from
 * the n8n installation), each sub-execution maps one file in batches of rows, hands them to the
 * destination and reports the file's outcome; the parent's PX Status Writer closes the folder after
 * its last file. The reliability guarantees across the executions of one batch.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { IDataObject } from 'n8n-workflow';

import {
	buildWorkflow,
	connect,
	node,
	outputOf,
	registerSubWorkflow,
	runError,
	subExecutions,
	TYPES,
} from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/http';
import { startMoto, type MotoServer } from '../helpers/moto';
import { N8N_TYPES, useN8nNodes } from '../helpers/n8nNodes';
import { PublishedWorkflow } from '../helpers/published';
import { newBucket, testSettings } from '../helpers/s3';
import { received } from '../helpers/TestDestination.node';

let moto: MotoServer;
let receiver: Receiver;
beforeAll(async () => {
	moto = await startMoto();
	process.env.S3_TEST_ENDPOINT = moto.endpoint;
	process.env.N8N_USER_FOLDER = mkdtempSync(join(tmpdir(), 'n8n-s3-inbound-bounded-'));
	process.env.AWS_EC2_METADATA_DISABLED = 'true';
	useN8nNodes();
}, 600_000);
afterAll(async () => await moto?.stop());
beforeEach(async () => {
	receiver = await startReceiver([200]);
	received.length = 0;
	subExecutions.length = 0;
});
afterEach(async () => await receiver.close());

const credentials = () => ({
	s3InboundAwsApi: testSettings(),
	importStatusCallbackApi: { url: receiver.url, apiKey: 'bounded-callback-key' },
});

const HEADER = 'id,score';
const rows = (n: number, prefix: string) =>
	Array.from({ length: n }, (_, i) => `${prefix}${i + 1},${i}`).join('\n');

let subId = 0;
/** The per-file sub-workflow: Field Mapper v3 (strict, batches of 100) → destination → Report File Outcome. */
function fileWorkflow(destination: IDataObject, destinationSettings: object): string {
	const id = `import-one-file-${++subId}`;
	registerSubWorkflow(id, {
		nodes: [
			node(
				'Start',
				N8N_TYPES.executeWorkflowTrigger,
				{ inputSource: 'passthrough' },
				{ typeVersion: 1.1 },
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
					output: 'batches',
					rowsPerBatch: 100,
				},
				{ typeVersion: 3 },
			),
			node('Destination', TYPES.destination, destination, destinationSettings),
			node(
				'Report',
				TYPES.statusWriter,
				{ operation: 'reportFiles' },
				{ typeVersion: 2, credentials: {} },
			),
		],
		connections: connect(
			['Start', 'Field Mapper'],
			['Field Mapper', 'Destination', 0, 0],
			['Field Mapper', 'Report', 1, 2],
			['Destination', 'Report', 0, 0],
			['Destination', 'Report', 1, 1],
		),
	});
	return id;
}

/** The parent: Trigger → Import Each File (n8n's Execute Sub-workflow, once per file) → PX Status Writer. */
function published(bucket: string, subWorkflow: () => string): PublishedWorkflow {
	return new PublishedWorkflow(
		(staticData) =>
			buildWorkflow({
				nodes: [
					node(
						'Trigger',
						TYPES.trigger,
						{
							mode: 'markerFolders',
							bucketPath: bucket,
							baseFolder: 'px',
							options: { leaseMinutes: 15 },
						},
						{ typeVersion: 2 },
					),
					node(
						'Import Each File',
						N8N_TYPES.executeWorkflow,
						{
							source: 'database',
							workflowId: { __rl: true, value: subWorkflow(), mode: 'id' },
							mode: 'each',
							options: { waitForSubWorkflow: true },
						},
						{ typeVersion: 1.3, credentials: {} },
					),
					node('PX Status Writer', TYPES.statusWriter, { sendCallback: true }, { typeVersion: 2 }),
				],
				connections: connect(
					['Trigger', 'Import Each File'],
					['Import Each File', 'PX Status Writer'],
				),
				staticData,
			}),
		'Trigger',
		credentials(),
	);
}

async function seed(files: Record<string, string>) {
	const { bucket, store } = await newBucket('bounded');
	for (const [name, text] of Object.entries(files))
		await store.write(`px/current/dt=20240101/${name}`, text);
	await store.write('px/current/dt=20240101/_SUCCESS', '');
	return { bucket, store };
}

const keysUnder = async (
	store: { listObjects(p: string): Promise<Array<{ key: string }>> },
	prefix: string,
) => (await store.listObjects(prefix)).map((o) => o.key).sort();

describe('one file per execution: a folder of several files', () => {
	it('each file is imported in an execution of its own, holding only that file’s rows; the folder closes once, after its last file', async () => {
		const { bucket, store } = await seed({
			'a.csv': `${HEADER}\n${rows(250, 'a')}\n`,
			'b.csv': `${HEADER}\n${rows(250, 'b')}\n`,
			'c.csv': `${HEADER}\n${rows(120, 'c')}\n`,
		});
		const sub = fileWorkflow({}, { onError: 'continueErrorOutput' });
		const n8n = published(bucket, () => sub);
		let run;
		try {
			run = await n8n.pollAndRun();
		} finally {
			n8n.dispose();
		}
		expect(runError(run!)).toBeUndefined();
		// Three sub-executions, one per file, each holding only its own file's rows.
		expect(subExecutions).toHaveLength(3);
		const held = subExecutions.map(({ run: sub }) =>
			outputOf(sub, 'Field Mapper').map((i) => (i.json.rows as unknown[]).length),
		);
		expect(held).toEqual([
			[100, 100, 50],
			[100, 100, 50],
			[100, 20],
		]);
		// The parent holds one small item per file.
		expect(outputOf(run!, 'Import Each File').map((i) => i.json.delivered)).toEqual([
			250, 250, 120,
		]);
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n620 records were uploaded\n',
		);
		expect(receiver.requests.map((r) => JSON.parse(r.body))).toEqual([
			{ folder_path: 'px/processed/20240101', success: true, message: '620 records were uploaded' },
		]);
		expect(await keysUnder(store, 'px/current/')).toEqual([]);
	});

	it('a strict file with one bad value delivers none of its rows; the other files are imported; one ERROR status names it', async () => {
		const { bucket, store } = await seed({
			'a.csv': `${HEADER}\n${rows(150, 'a')}\n`,
			'b.csv': `${HEADER}\n${rows(150, 'b').replace('b77,76', 'b77,n/a')}\n`,
		});
		const sub = fileWorkflow({}, { onError: 'continueErrorOutput' });
		const n8n = published(bucket, () => sub);
		let run;
		try {
			run = await n8n.pollAndRun();
		} finally {
			n8n.dispose();
		}
		const ids = received
			.flat()
			.flatMap((i) => (i.json.rows as Array<{ id: string }>).map((r) => r.id));
		expect(ids.filter((id) => id.startsWith('b'))).toEqual([]);
		expect(ids.filter((id) => id.startsWith('a'))).toHaveLength(150);
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			"ERROR\nParsing Errors:[\n       b.csv: Row 77, column 'score': 'n/a' is not a number (expected number: digits with an optional '.' decimal point, no thousands separators)\n]\n150 records were uploaded\n",
		);
		// Loudly: PX Status Writer v2 fails the execution for the ERROR batch, once it is closed.
		expect(runError(run!)).toMatch(/^1 batch folder closed with ERROR: px\/processed\/20240101: /);
	});

	it('a file whose import fails (its sub-execution fails) fails the execution loudly and moves nothing; after the lease the folder is handed on again and completes, every row delivered at least once', async () => {
		const { bucket, store } = await seed({
			'a.csv': `${HEADER}\n${rows(120, 'a')}\n`,
			'b.csv': `${HEADER}\n${rows(120, 'b')}\n`,
		});
		// The destination is down for file b (it throws: no error output), then recovers.
		let sub = fileWorkflow({ failWhen: 'id', failValue: 'b1' }, {});
		const n8n = published(bucket, () => sub);
		let second;
		try {
			const first = await n8n.pollAndRun();
			expect(runError(first!)).toMatch(/Error executing workflow with item at index 1/);
			expect(await keysUnder(store, 'px/processed/')).toEqual([]);
			expect(await keysUnder(store, 'px/current/')).toHaveLength(3);
			expect(receiver.requests).toHaveLength(0);
			// Before the lease runs out the folder is not handed on again.
			n8n.advance(5 * 60_000);
			expect((await n8n.poll()).emitted).toBeNull();
			sub = fileWorkflow({}, { onError: 'continueErrorOutput' });
			n8n.advance(11 * 60_000);
			second = await n8n.pollAndRun();
		} finally {
			n8n.dispose();
		}
		expect(runError(second!)).toBeUndefined();
		// At least once: file a came twice (attempt 1 and 2), with the same idempotency key per row.
		const batches = received.flat();
		const ids = batches.flatMap((i) => (i.json.rows as Array<{ id: string }>).map((r) => r.id));
		expect(new Set(ids).size).toBe(240);
		expect(batches.at(-1)!.json._import).toMatchObject({ file: { batch: { attempt: 2 } } });
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n240 records were uploaded\n',
		);
		expect(receiver.requests).toHaveLength(1);
		expect(await keysUnder(store, 'px/current/')).toEqual([]);
	});
});
