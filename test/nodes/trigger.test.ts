import type { IDataObject, INode, INodeExecutionData } from 'n8n-workflow';

import { importOf, isFileToRead } from '../../lib/importMetadata';
import {
	buildWorkflow,
	captureLogs,
	connect,
	execute,
	node,
	outputOf,
	poll,
	runError,
	TYPES,
	type TestCredentials,
} from '../helpers/engine';
import { PublishedWorkflow } from '../helpers/published';
import { gzip, newBucket, testSettings } from '../helpers/s3';

const MINUTE = 60_000;
/** Published workflows of the running test: their clocks are put back after it. */
const publishedInTest: PublishedWorkflow[] = [];
const track = (published: PublishedWorkflow) => (publishedInTest.push(published), published);
afterEach(() => publishedInTest.splice(0).forEach((p) => p.dispose()));

function credentials(): TestCredentials {
	const s = testSettings();
	return { s3InboundAwsApi: { ...s, authentication: 'accessKeys' } as unknown as IDataObject };
}

/** The trigger hands on files; the Field Mapper (lenient, every column kept as text) reads them into rows. */
const READ_ALL = { mode: 'lenient', options: { keepUnmapped: true } };

function singleFileWorkflow(
	bucket: string,
	key: string,
	staticData: IDataObject,
	destinationParams: INode['parameters'] = {},
) {
	return buildWorkflow({
		nodes: [
			node('Trigger', TYPES.trigger, {
				mode: 'singleFile',
				bucket,
				fileKey: key,
				intervalMinutes: 60,
			}),
			node('Field Mapper', TYPES.fieldMapper, READ_ALL),
			node('Destination', TYPES.destination, { replaceJson: false, ...destinationParams }),
		],
		connections: connect(['Trigger', 'Field Mapper'], ['Field Mapper', 'Destination']),
		staticData,
	});
}

function markerWorkflow(bucketPath: string, staticData: IDataObject, options: IDataObject = {}) {
	return buildWorkflow({
		nodes: [
			node('Trigger', TYPES.trigger, {
				mode: 'markerFolders',
				bucketPath,
				baseFolder: 'px',
				intervalMinutes: 15,
				options,
			}),
			node('Field Mapper', TYPES.fieldMapper, {
				mode: 'strict',
				fields: { field: [{ target: 'id' }, { target: 'name' }] },
			}),
			node('Destination', TYPES.destination, { replaceJson: false }),
		],
		connections: connect(['Trigger', 'Field Mapper'], ['Field Mapper', 'Destination']),
		staticData,
	});
}

/** What one file item hands on: never rows, only the file's identity. */
function expectFileItems(data: INodeExecutionData[][] | null, keys: string[]) {
	expect(data).not.toBeNull();
	const metas = data![0].map((i) => importOf(i.json)!);
	expect(metas.map((m) => m.file.key)).toEqual(keys);
	for (const meta of metas) {
		expect(isFileToRead(meta)).toBe(true);
		expect(meta.file.etag).toMatch(/^[0-9a-f]{32}/);
	}
	return metas;
}

describe('S3 CSV Inbound Trigger: single file (overwrite)', () => {
	it('imports an overwritten file once per change, and an unchanged file not again', async () => {
		const { bucket, store } = await newBucket();
		await store.write('in/accounts.csv', 'crm_id,score\n001A,10\n001B,20\n');
		const n8n = track(
			new PublishedWorkflow(
				(sd) => singleFileWorkflow(bucket, 'in/accounts.csv', sd),
				'Trigger',
				credentials(),
			),
		);
		const first = (await n8n.poll()).emitted;
		expectFileItems(first, ['in/accounts.csv']);
		const run = await execute(
			singleFileWorkflow(bucket, 'in/accounts.csv', {}),
			'Trigger',
			first!,
			credentials(),
		);
		const delivered = outputOf(run, 'Destination');
		expect(delivered.map((i) => i.json.crm_id)).toEqual(['001A', '001B']);
		const meta = importOf(delivered[0].json);
		expect(meta?.file.key).toBe('in/accounts.csv');
		expect(meta?.file.bucket).toBe(bucket);
		expect(meta?.file.rows).toBe(2);
		expect(meta?.row).toBe(1);

		// Unchanged: nothing, even when the hour is up.
		n8n.advance(61 * MINUTE);
		expect((await n8n.poll()).emitted).toBeNull();

		// Overwritten with the same LastModified second but new content: the ETag tells.
		await store.write('in/accounts.csv', 'crm_id,score\n001A,11\n');
		n8n.advance(61 * MINUTE);
		const second = (await n8n.poll()).emitted;
		const run2 = await execute(
			singleFileWorkflow(bucket, 'in/accounts.csv', {}),
			'Trigger',
			second!,
			credentials(),
		);
		expect(outputOf(run2, 'Destination').map((i) => i.json.score)).toEqual(['11']);
		n8n.advance(61 * MINUTE);
		expect((await n8n.poll()).emitted).toBeNull();
	});

	it('waits for its interval, but imports at once when the downstream mapping changed (at re-activation)', async () => {
		const { bucket, store } = await newBucket();
		await store.write('a.csv', 'crm_id,score\n1,2\n');
		const staticData: IDataObject = {};
		const v1 = singleFileWorkflow(bucket, 'a.csv', staticData, { failWhen: '' });
		expect(await poll(v1, 'Trigger', credentials())).not.toBeNull();
		// Within the hour, same workflow: nothing.
		expect(await poll(v1, 'Trigger', credentials())).toBeNull();
		// The user saves the active workflow with a changed downstream node: n8n re-activates it,
		// with the same static data, and polls at once.
		const v2 = singleFileWorkflow(bucket, 'a.csv', staticData, {
			failWhen: 'score',
			failValue: '999',
		});
		const again = await poll(v2, 'Trigger', credentials());
		expect(again?.[0]).toHaveLength(1);
		expect(await poll(v2, 'Trigger', credentials())).toBeNull();
	});

	it('a test run shows the file with a sample of rows and leaves the state alone', async () => {
		const { bucket, store } = await newBucket();
		const rows = Array.from({ length: 50 }, (_, i) => `${i},x`).join('\n');
		await store.write('big.csv.gz', gzip(`id,v\n${rows}\n`));
		const staticData: IDataObject = {};
		const workflow = singleFileWorkflow(bucket, 'big.csv.gz', staticData);
		const test = await poll(workflow, 'Trigger', credentials(), 'manual');
		expectFileItems(test, ['big.csv.gz']);
		expect(test![0][0].json.header).toEqual(['id', 'v']);
		expect(test![0][0].json.sample).toHaveLength(10);
		expect((test![0][0].json.sample as IDataObject[])[9]).toEqual({ id: '9', v: 'x' });
		expect(staticData['node:Trigger']).toBeUndefined();
		const real = await poll(workflow, 'Trigger', credentials());
		expect(real![0][0].json.sample).toBeUndefined();
		const run = await execute(workflow, 'Trigger', real!, credentials());
		expect(outputOf(run, 'Destination')).toHaveLength(50);
	});

	it('names the file and line of bad input, delivers none of its rows, and reports a bad version once', async () => {
		const { bucket, store } = await newBucket();
		await store.write('bad.csv', 'a,b\n1,2\n3,4,5\n');
		const n8n = track(
			new PublishedWorkflow(
				(sd) => singleFileWorkflow(bucket, 'bad.csv', sd),
				'Trigger',
				credentials(),
			),
		);
		const run = (await n8n.pollAndRun())!;
		expect(runError(run)).toContain(
			`s3://${bucket}/bad.csv: line 3: the row has 3 fields but the header has 2`,
		);
		expect(outputOf(run, 'Destination')).toEqual([]);
		n8n.advance(61 * MINUTE);
		expect((await n8n.poll()).emitted).toBeNull();
	});

	it('a workflow published before the first upload imports the file at the next poll, not after the interval', async () => {
		const { bucket, store } = await newBucket();
		const staticData: IDataObject = {};
		const workflow = singleFileWorkflow(bucket, 'later.csv', staticData);
		await expect(poll(workflow, 'Trigger', credentials(), 'manual')).rejects.toThrow(
			`No file at s3://${bucket}/later.csv yet`,
		);
		// No error, and the check does not count as done.
		expect(await poll(workflow, 'Trigger', credentials())).toBeNull();
		expect((staticData['node:Trigger'] as IDataObject).lastCheck).toBeUndefined();
		await store.write('later.csv', 'id\n1\n');
		expectFileItems(await poll(workflow, 'Trigger', credentials()), ['later.csv']);
	});

	describe("Staircase's three timings in one trigger (version 2, Poll Times every minute)", () => {
		function staircase(
			bucket: string,
			staticData: IDataObject,
			mapping: { failWhen?: string } = {},
		) {
			return buildWorkflow({
				nodes: [
					node(
						'Trigger',
						TYPES.trigger,
						{ mode: 'singleFile', bucket, fileKey: 'accounts.csv', reReadMinutes: 60 },
						{ typeVersion: 2 },
					),
					node('Field Mapper', TYPES.fieldMapper, READ_ALL),
					node('Destination', TYPES.destination, { replaceJson: false, ...mapping }),
				],
				connections: connect(['Trigger', 'Field Mapper'], ['Field Mapper', 'Destination']),
				staticData,
			});
		}

		/** Polls once a minute for `minutes` minutes; the minutes (from the start) at which it handed the file on. */
		async function minutePolls(n8n: PublishedWorkflow, minutes: number, from = 0) {
			const imported: number[] = [];
			for (let minute = from; minute < from + minutes; minute++) {
				if ((await n8n.poll()).emitted) imported.push(minute);
				n8n.advance(MINUTE);
			}
			return imported;
		}

		it('a new upload at the next poll; an unchanged file re-read after its interval, not before', async () => {
			const { bucket, store } = await newBucket();
			await store.write('accounts.csv', 'crm_id\n1\n');
			const n8n = track(
				new PublishedWorkflow((sd) => staircase(bucket, sd), 'Trigger', credentials()),
			);
			// Minute 0: first import; unchanged until minute 60, re-read then, not before.
			expect(await minutePolls(n8n, 61)).toEqual([0, 60]);
			// A new upload at minute 61 is imported at the next poll, and the hour counts from there.
			await store.write('accounts.csv', 'crm_id\n2\n');
			expect(await minutePolls(n8n, 62, 61)).toEqual([61, 121]);
		});

		it('a mapping change is imported at the next poll where n8n builds each poll from the published workflow (durable poll scheduler), and at re-activation otherwise', async () => {
			const { bucket, store } = await newBucket();
			await store.write('accounts.csv', 'crm_id\n1\n');
			let mapping: { failWhen?: string } = {};
			for (const durableCursors of [true, false]) {
				mapping = {};
				const n8n = track(
					new PublishedWorkflow((sd) => staircase(bucket, sd, mapping), 'Trigger', credentials(), {
						durableCursors,
					}),
				);
				expect(await minutePolls(n8n, 2)).toEqual([0]);
				// The user publishes a changed downstream node (the trigger itself is unchanged).
				mapping = { failWhen: 'crm_id' };
				expect(await minutePolls(n8n, 2, 2)).toEqual(durableCursors ? [2] : []);
				// n8n activates the workflow again (a restart, or unpublish and publish).
				n8n.restart();
				expect(await minutePolls(n8n, 2, 4)).toEqual(durableCursors ? [] : [4]);
			}
		});
	});
});

describe('S3 CSV Inbound Trigger: marker folders', () => {
	async function seed() {
		const { bucket, store } = await newBucket();
		await store.write('sub/px/current/dt=20240103/users.csv.gz', gzip('id,name\n5,e\n'));
		await store.write('sub/px/current/dt=20240103/_SUCCESS', '');
		await store.write('sub/px/current/dt=20240101/b.csv', 'id,name\n3,c\n');
		await store.write('sub/px/current/dt=20240101/a.csv.gz', gzip('id,name\n1,a\n2,b\n'));
		await store.write('sub/px/current/dt=20240101/_SUCCESS', '{"spark":"committer json"}');
		await store.write('sub/px/current/dt=20240102/users.csv.gz', gzip('id,name\n4,d\n'));
		return { bucket, store };
	}

	it('hands ready folders on oldest first, files in name order, each once; unready folders wait', async () => {
		const { bucket } = await seed();
		const n8n = track(
			new PublishedWorkflow((sd) => markerWorkflow(`${bucket}/sub`, sd), 'Trigger', credentials()),
		);
		const data = (await n8n.poll()).emitted;
		expectFileItems(data, [
			'sub/px/current/dt=20240101/a.csv.gz',
			'sub/px/current/dt=20240101/b.csv',
			'sub/px/current/dt=20240103/users.csv.gz',
		]);
		const run = await execute(markerWorkflow(`${bucket}/sub`, {}), 'Trigger', data!, credentials());
		const seen = outputOf(run, 'Destination').map((i) => {
			const meta = importOf(i.json)!;
			return `${meta.file.batch?.folderName}/${meta.file.key.split('/').pop()}#${meta.row}:${String(i.json.id)}`;
		});
		expect(seen).toEqual([
			'dt=20240101/a.csv.gz#1:1',
			'dt=20240101/a.csv.gz#2:2',
			'dt=20240101/b.csv#1:3',
			'dt=20240103/users.csv.gz#1:5',
		]);
		const batch = importOf(data![0][0].json)!.file.batch!;
		expect(batch.processedFolder).toBe('sub/px/processed/20240101/');
		expect(batch.attempt).toBe(1);
		// Within the lease (60 minutes), even once the interval is up, nothing is handed on again.
		n8n.advance(16 * MINUTE);
		expect((await n8n.poll()).emitted).toBeNull();
	});

	it('hands a folder on again once its lease runs out while it is still under current/', async () => {
		const { bucket } = await seed();
		const n8n = track(
			new PublishedWorkflow(
				(sd) => markerWorkflow(`${bucket}/sub`, sd, { leaseMinutes: 30 }),
				'Trigger',
				credentials(),
			),
		);
		await n8n.poll();
		n8n.advance(16 * MINUTE);
		expect((await n8n.poll()).emitted).toBeNull();
		n8n.advance(16 * MINUTE);
		const again = (await n8n.poll()).emitted;
		const batches = new Set(again![0].map((i) => importOf(i.json)!.file.batch!.folderName));
		expect([...batches]).toEqual(['dt=20240101', 'dt=20240103']);
		expect(importOf(again![0][0].json)!.file.batch!.attempt).toBe(2);
	});

	it('drains a backlog at the next polls without waiting for the interval', async () => {
		const { bucket } = await seed();
		const staticData: IDataObject = {};
		const workflow = markerWorkflow(`${bucket}/sub`, staticData, { maxFolders: 1 });
		const first = await poll(workflow, 'Trigger', credentials());
		expect(new Set(first![0].map((i) => importOf(i.json)!.file.batch!.folderName))).toEqual(
			new Set(['dt=20240101']),
		);
		const second = await poll(workflow, 'Trigger', credentials());
		expect(new Set(second![0].map((i) => importOf(i.json)!.file.batch!.folderName))).toEqual(
			new Set(['dt=20240103']),
		);
		expect(await poll(workflow, 'Trigger', credentials())).toBeNull();
	});

	it('a bad file is rejected with the reason when it is read, and the others keep going', async () => {
		const { bucket, store } = await newBucket();
		await store.write(
			'px/current/dt=20240101/a.csv.gz',
			Buffer.from('not gzip at all but named .gz'),
		);
		await store.write('px/current/dt=20240101/b.csv.gz', gzip('id\n1\n').subarray(0, 12));
		await store.write('px/current/dt=20240101/c.csv', 'id\n7\n');
		await store.write('px/current/dt=20240101/_SUCCESS', '');
		const workflow = markerWorkflow(bucket, {});
		const run = await execute(
			workflow,
			'Trigger',
			(await poll(workflow, 'Trigger', credentials()))!,
			credentials(),
		);
		const rejected = outputOf(run, 'Field Mapper', 1).map((i) => [
			String(i.json.key).split('/').pop(),
			(i.json.reasons as string[]).join(),
		]);
		expect(rejected).toEqual([
			['a.csv.gz', expect.stringMatching(/Unknown column: 'not gzip at all but named .gz'/)],
			['b.csv.gz', expect.stringMatching(/gzip data is corrupt or truncated/)],
		]);
		expect(outputOf(run, 'Destination').map((i) => i.json.id)).toEqual(['7']);
	});

	it('a test run with nothing ready says so', async () => {
		const { bucket, store } = await newBucket();
		await store.write('px/current/dt=20240101/a.csv', 'id\n1\n');
		const error = await poll(markerWorkflow(bucket, {}), 'Trigger', credentials(), 'manual').catch(
			(e: Error & { description?: string }) => e,
		);
		expect(error).toMatchObject({
			message: expect.stringMatching(/No ready folder/),
			description: expect.stringMatching(
				/^1 folder has no _SUCCESS marker yet, e\.g\. px\/current\/dt=20240101\//,
			),
		});
	});

	it('reports a folder whose name is not dt=YYYYMMDD once, and leaves it alone', async () => {
		const { bucket, store } = await newBucket();
		await store.write('px/current/daily-2024-01-01/a.csv', 'id\n1\n');
		await store.write('px/current/daily-2024-01-01/_SUCCESS', '');
		const n8n = track(
			new PublishedWorkflow((sd) => markerWorkflow(bucket, sd), 'Trigger', credentials()),
		);
		const first = await captureLogs(async () => await n8n.poll());
		expect(first.result.emitted).toBeNull();
		expect(first.logs).toEqual([
			expect.stringMatching(
				/^warn: Trigger: Marker folders: s3:\/\/.*\/px\/current\/daily-2024-01-01\/ is not processed: the folder name 'daily-2024-01-01' is not dt=YYYYMMDD/,
			),
		]);
		n8n.advance(16 * MINUTE);
		const second = await captureLogs(async () => await n8n.poll());
		expect(second.logs).toEqual([]);
		expect(await store.head('px/current/daily-2024-01-01/a.csv')).toBeDefined();
	});
});
