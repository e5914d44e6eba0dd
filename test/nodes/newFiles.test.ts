/**
 * New Files mode through n8n-core's poll machinery (test/helpers/published.ts) against moto, with
 * the Field Mapper reading what it hands on. The decisions are tabled in
 * test/unit/trigger/newFiles.test.ts.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { importOf, isFileToRead } from '../../lib/importMetadata';
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
import { PublishedWorkflow } from '../helpers/published';
import { gzip, newBucket, testSettings } from '../helpers/s3';

const MINUTE = 60_000;
const publishedInTest: PublishedWorkflow[] = [];
const track = (p: PublishedWorkflow) => (publishedInTest.push(p), p);
afterEach(() => publishedInTest.splice(0).forEach((p) => p.dispose()));

function credentials(): TestCredentials {
	return { s3InboundAwsApi: testSettings() as unknown as IDataObject };
}

function newFilesWorkflow(bucket: string, staticData: IDataObject, trigger: IDataObject = {}) {
	return buildWorkflow({
		nodes: [
			node(
				'Trigger',
				TYPES.trigger,
				{ mode: 'newFiles', bucket, folder: 'incoming', ...trigger },
				{ typeVersion: 2 },
			),
			node('Field Mapper', TYPES.fieldMapper, {
				mode: 'lenient',
				options: { keepUnmapped: true },
			}),
			node('Destination', TYPES.destination, { replaceJson: false }),
		],
		connections: connect(['Trigger', 'Field Mapper'], ['Field Mapper', 'Destination']),
		staticData,
	});
}

const keysOf = (data: INodeExecutionData[][] | null) =>
	(data?.[0] ?? []).map((i) => importOf(i.json)!.file.key);

describe('S3 CSV Inbound Trigger: New Files (n8n poll machinery, moto)', () => {
	it('hands on each file once across polls and a restart of n8n; the Field Mapper reads them', async () => {
		const { bucket, store } = await newBucket('newfiles');
		await store.write('incoming/a.csv', 'id,v\n1,a\n');
		await store.write('incoming/b.csv.gz', gzip('id,v\n2,b\n'));
		await store.write('incoming/notes.txt', 'not imported');
		await store.write('incoming/sub/c.csv', 'id,v\n3,c\n');
		const n8n = track(
			new PublishedWorkflow(
				(sd) => newFilesWorkflow(bucket, sd, { options: { maxFilesPerRun: 1 } }),
				'Trigger',
				credentials(),
			),
		);
		const first = (await n8n.poll()).emitted;
		expect(keysOf(first)).toEqual(['incoming/a.csv']);
		const meta = importOf(first![0][0].json)!;
		expect(isFileToRead(meta)).toBe(true);
		expect(meta.file).toMatchObject({
			bucket,
			key: 'incoming/a.csv',
			origin: { mode: 'newFiles', folder: 'incoming/' },
		});
		expect(first![0][0].json).toMatchObject({ bucket, key: 'incoming/a.csv', fileName: 'a.csv' });
		const run = await execute(newFilesWorkflow(bucket, {}), 'Trigger', first!, credentials());
		expect(runError(run)).toBeUndefined();
		expect(outputOf(run, 'Destination').map((i) => i.json.v)).toEqual(['a']);

		// n8n restarts: only what it saved when the poll emitted survives.
		n8n.restart();
		expect(keysOf((await n8n.poll()).emitted)).toEqual(['incoming/b.csv.gz']);
		n8n.restart();
		await store.write('incoming/d.csv', 'id,v\n4,d\n');
		expect(keysOf((await n8n.poll()).emitted)).toEqual(['incoming/d.csv']);
		n8n.advance(MINUTE);
		expect((await n8n.poll()).emitted).toBeNull();
		// The state n8n saved is small.
		expect(JSON.stringify(n8n.savedState).length).toBeLessThan(400);
	});

	it('a file overwritten with new bytes is handed on again, in its new version', async () => {
		const { bucket, store } = await newBucket('newfiles');
		await store.write('incoming/a.csv', 'id\n1\n');
		const n8n = track(
			new PublishedWorkflow((sd) => newFilesWorkflow(bucket, sd), 'Trigger', credentials()),
		);
		const first = importOf((await n8n.poll()).emitted![0][0].json)!.file.etag;
		await store.write('incoming/a.csv', 'id\n1\n');
		expect((await n8n.poll()).emitted).toBeNull();
		await store.write('incoming/a.csv', 'id\n2\n');
		const again = (await n8n.poll()).emitted;
		expect(keysOf(again)).toEqual(['incoming/a.csv']);
		expect(importOf(again![0][0].json)!.file.etag).not.toBe(first);
	});

	it('files that are not CSV are handed on too (pattern *), naming bucket, key and ETag; sub-folders when asked', async () => {
		const { bucket, store } = await newBucket('newfiles');
		await store.write('incoming/scan.pdf', Buffer.from('%PDF-1.4 binary'));
		await store.write('incoming/2024/05/data.json', '{"a":1}');
		const n8n = track(
			new PublishedWorkflow(
				(sd) => newFilesWorkflow(bucket, sd, { filePattern: '*', includeSubFolders: true }),
				'Trigger',
				credentials(),
			),
		);
		const items = (await n8n.poll()).emitted![0].map((i) => i.json);
		// (Oldest first is the decision table's; these two may share a second or not.)
		expect(items.map((i) => [i.key, i.fileName]).sort()).toEqual([
			['incoming/2024/05/data.json', 'data.json'],
			['incoming/scan.pdf', 'scan.pdf'],
		]);
		for (const item of items) {
			expect(item.bucket).toBe(bucket);
			expect(item.etag).toMatch(/^[0-9a-f]{32}$/);
		}
	});

	it('only new files: what is there at the first poll stays, what comes later is handed on', async () => {
		const { bucket, store } = await newBucket('newfiles');
		await store.write('incoming/old.csv', 'id\n1\n');
		const n8n = track(
			new PublishedWorkflow(
				(sd) => newFilesWorkflow(bucket, sd, { startFrom: 'new' }),
				'Trigger',
				credentials(),
			),
		);
		expect((await n8n.poll()).emitted).toBeNull();
		await store.write('incoming/new.csv', 'id\n2\n');
		expect(keysOf((await n8n.poll()).emitted)).toEqual(['incoming/new.csv']);
	});

	it('two overlapping polls hand each file on once', async () => {
		const { bucket, store } = await newBucket('newfiles');
		for (let i = 0; i < 6; i++) await store.write(`incoming/f${i}.csv`, `id\n${i}\n`);
		const staticData: IDataObject = {};
		const workflow = newFilesWorkflow(bucket, staticData, { options: { maxFilesPerRun: 4 } });
		const [a, b] = await Promise.all([
			poll(workflow, 'Trigger', credentials()),
			poll(workflow, 'Trigger', credentials()),
		]);
		const handed = [...keysOf(a), ...keysOf(b)];
		expect(handed.sort()).toEqual(Array.from({ length: 6 }, (_, i) => `incoming/f${i}.csv`));
	});

	it('Fetch Test Event shows the files found, the first with a sample, and leaves the state alone', async () => {
		const { bucket, store } = await newBucket('newfiles');
		await store.write('incoming/a.csv', 'id,v\n1,x\n2,y\n');
		const staticData: IDataObject = {};
		const workflow = newFilesWorkflow(bucket, staticData, { startFrom: 'new' });
		const test = await poll(workflow, 'Trigger', credentials(), 'manual');
		expect(keysOf(test)).toEqual(['incoming/a.csv']);
		expect(test![0][0].json.header).toEqual(['id', 'v']);
		expect(test![0][0].json.sample).toEqual([
			{ id: '1', v: 'x' },
			{ id: '2', v: 'y' },
		]);
		expect(staticData['node:Trigger']).toBeUndefined();
		const empty = newFilesWorkflow(bucket, {}, { folder: 'nothing-here' });
		await expect(poll(empty, 'Trigger', credentials(), 'manual')).rejects.toThrow(
			`No file matching *.csv, *.csv.gz in s3://${bucket}/nothing-here/`,
		);
	});

	it('with durable poll cursors (each poll from the database) each file is handed on once too', async () => {
		const { bucket, store } = await newBucket('newfiles');
		await store.write('incoming/a.csv', 'id\n1\n');
		const n8n = track(
			new PublishedWorkflow(
				(sd) => newFilesWorkflow(bucket, sd, { startFrom: 'new' }),
				'Trigger',
				credentials(),
				{
					durableCursors: true,
				},
			),
		);
		expect((await n8n.poll()).emitted).toBeNull();
		await store.write('incoming/b.csv', 'id\n2\n');
		expect(keysOf((await n8n.poll()).emitted)).toEqual(['incoming/b.csv']);
		expect((await n8n.poll()).emitted).toBeNull();
	});
});
