import type { IDataObject, INode } from 'n8n-workflow';

import { importOf } from '../lib/importMetadata';
import { buildWorkflow, captureLogs, connect, execute, node, outputOf, poll, TYPES, type TestCredentials } from './helpers/engine';
import { gzip, newBucket, testSettings } from './helpers/s3';

function credentials(): TestCredentials {
	const s = testSettings();
	return { s3InboundAwsApi: { ...s, authentication: 'accessKeys' } as unknown as IDataObject };
}

function singleFileWorkflow(bucket: string, key: string, staticData: IDataObject, destinationParams: INode['parameters'] = {}) {
	return buildWorkflow({
		nodes: [
			node('Trigger', TYPES.trigger, { mode: 'singleFile', bucket, fileKey: key, intervalMinutes: 60 }),
			node('Destination', TYPES.destination, { replaceJson: false, ...destinationParams }),
		],
		connections: connect(['Trigger', 'Destination']),
		staticData,
	});
}

function markerWorkflow(bucketPath: string, staticData: IDataObject, options: IDataObject = {}) {
	return buildWorkflow({
		nodes: [
			node('Trigger', TYPES.trigger, { mode: 'markerFolders', bucketPath, baseFolder: 'px', intervalMinutes: 15, options }),
			node('Destination', TYPES.destination, { replaceJson: false }),
		],
		connections: connect(['Trigger', 'Destination']),
		staticData,
	});
}

describe('S3 CSV Inbound Trigger: single file (overwrite)', () => {
	it('imports an overwritten file once per change, and an unchanged file not again', async () => {
		const { bucket, store } = await newBucket();
		await store.write('in/accounts.csv', 'crm_id,score\n001A,10\n001B,20\n');
		const staticData: IDataObject = {};
		const workflow = singleFileWorkflow(bucket, 'in/accounts.csv', staticData);

		const first = await poll(workflow, 'Trigger', credentials());
		expect(first?.[0].map((i) => i.json.crm_id)).toEqual(['001A', '001B']);
		const run = await execute(workflow, 'Trigger', first!, credentials());
		const delivered = outputOf(run, 'Destination');
		expect(delivered).toHaveLength(2);
		const meta = importOf(delivered[0].json);
		expect(meta?.file.key).toBe('in/accounts.csv');
		expect(meta?.file.bucket).toBe(bucket);
		expect(meta?.file.rows).toBe(2);
		expect(meta?.row).toBe(1);

		// Unchanged: nothing, even when the hour is up.
		const nodeState = (workflow.staticData as IDataObject)['node:Trigger'] as IDataObject;
		nodeState.lastCheck = 0;
		expect(await poll(workflow, 'Trigger', credentials())).toBeNull();

		// Overwritten with the same LastModified second but new content: the ETag tells.
		await store.write('in/accounts.csv', 'crm_id,score\n001A,11\n');
		nodeState.lastCheck = 0;
		const second = await poll(workflow, 'Trigger', credentials());
		expect(second?.[0].map((i) => i.json.score)).toEqual(['11']);
		nodeState.lastCheck = 0;
		expect(await poll(workflow, 'Trigger', credentials())).toBeNull();
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
		const v2 = singleFileWorkflow(bucket, 'a.csv', staticData, { failWhen: 'score' , failValue: '999'});
		const again = await poll(v2, 'Trigger', credentials());
		expect(again?.[0]).toHaveLength(1);
		expect(await poll(v2, 'Trigger', credentials())).toBeNull();
	});

	it('a test run returns a sample and leaves the state alone', async () => {
		const { bucket, store } = await newBucket();
		const rows = Array.from({ length: 50 }, (_, i) => `${i},x`).join('\n');
		await store.write('big.csv.gz', gzip(`id,v\n${rows}\n`));
		const staticData: IDataObject = {};
		const workflow = singleFileWorkflow(bucket, 'big.csv.gz', staticData);
		const sample = await poll(workflow, 'Trigger', credentials(), 'manual');
		expect(sample?.[0]).toHaveLength(10);
		expect(staticData['node:Trigger']).toBeUndefined();
		const real = await poll(workflow, 'Trigger', credentials());
		expect(real?.[0]).toHaveLength(50);
	});

	it('names the file and line of bad input, and reports a bad version once', async () => {
		const { bucket, store } = await newBucket();
		await store.write('bad.csv', 'a,b\n1,2\n3,4,5\n');
		const workflow = singleFileWorkflow(bucket, 'bad.csv', {});
		await expect(poll(workflow, 'Trigger', credentials())).rejects.toThrow(
			`s3://${bucket}/bad.csv: line 3: the row has 3 fields but the header has 2`,
		);
		((workflow.staticData as IDataObject)['node:Trigger'] as IDataObject).lastCheck = 0;
		expect(await poll(workflow, 'Trigger', credentials())).toBeNull();
		await expect(poll(singleFileWorkflow(bucket, 'missing.csv', {}), 'Trigger', credentials())).rejects.toThrow(
			`No file at s3://${bucket}/missing.csv`,
		);
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
		const staticData: IDataObject = {};
		const workflow = markerWorkflow(`${bucket}/sub`, staticData);
		const data = await poll(workflow, 'Trigger', credentials());
		const seen = data![0].map((i) => {
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
		// Within the lease, even once the interval is up, nothing is handed on again.
		((staticData['node:Trigger'] as IDataObject).lastCheck as number) = 0;
		expect(await poll(workflow, 'Trigger', credentials())).toBeNull();
	});

	it('hands a folder on again once its lease runs out while it is still under current/', async () => {
		const { bucket } = await seed();
		const staticData: IDataObject = {};
		const workflow = markerWorkflow(`${bucket}/sub`, staticData, { leaseMinutes: 1 });
		await poll(workflow, 'Trigger', credentials());
		const state = staticData['node:Trigger'] as { lastCheck: number; marker: { leases: Record<string, { until: number }> } };
		state.lastCheck = 0;
		expect(await poll(workflow, 'Trigger', credentials())).toBeNull();
		for (const lease of Object.values(state.marker.leases)) lease.until = Date.now() - 1;
		state.lastCheck = 0;
		const again = await poll(workflow, 'Trigger', credentials());
		const batches = new Set(again![0].map((i) => importOf(i.json)!.file.batch!.folderName));
		expect([...batches]).toEqual(['dt=20240101', 'dt=20240103']);
		expect(importOf(again![0][0].json)!.file.batch!.attempt).toBe(2);
	});

	it('drains a backlog at the next polls without waiting for the interval', async () => {
		const { bucket } = await seed();
		const staticData: IDataObject = {};
		const workflow = markerWorkflow(`${bucket}/sub`, staticData, { maxFolders: 1 });
		const first = await poll(workflow, 'Trigger', credentials());
		expect(new Set(first![0].map((i) => importOf(i.json)!.file.batch!.folderName))).toEqual(new Set(['dt=20240101']));
		const second = await poll(workflow, 'Trigger', credentials());
		expect(new Set(second![0].map((i) => importOf(i.json)!.file.batch!.folderName))).toEqual(new Set(['dt=20240103']));
		expect(await poll(workflow, 'Trigger', credentials())).toBeNull();
	});

	it('hands on a bad file as a failed file with the reason, and keeps going', async () => {
		const { bucket, store } = await newBucket();
		await store.write('px/current/dt=20240101/a.csv.gz', Buffer.from('not gzip at all but named .gz'));
		await store.write('px/current/dt=20240101/b.csv.gz', gzip('id\n1\n').subarray(0, 12));
		await store.write('px/current/dt=20240101/c.csv', 'id\n7\n');
		await store.write('px/current/dt=20240101/_SUCCESS', '');
		const data = await poll(markerWorkflow(bucket, {}), 'Trigger', credentials());
		const metas = data![0].map((i) => importOf(i.json)!);
		expect(metas.map((m) => [m.file.key.split('/').pop(), m.row, m.file.error ?? null])).toEqual([
			['a.csv.gz', 0, expect.stringMatching(/ragged|fields|header|no data rows/)],
			['b.csv.gz', 0, expect.stringMatching(/gzip data is corrupt or truncated/)],
			['c.csv', 1, null],
		]);
	});

	it('a test run with nothing ready says so', async () => {
		const { bucket, store } = await newBucket();
		await store.write('px/current/dt=20240101/a.csv', 'id\n1\n');
		await expect(poll(markerWorkflow(bucket, {}), 'Trigger', credentials(), 'manual')).rejects.toThrow(/No ready folder/);
	});

	it('reports a folder whose name is not dt=YYYYMMDD once, and leaves it alone', async () => {
		const { bucket, store } = await newBucket();
		await store.write('px/current/daily-2024-01-01/a.csv', 'id\n1\n');
		await store.write('px/current/daily-2024-01-01/_SUCCESS', '');
		const staticData: IDataObject = {};
		const workflow = markerWorkflow(bucket, staticData);
		const first = await captureLogs(async () => await poll(workflow, 'Trigger', credentials()));
		expect(first.result).toBeNull();
		expect(first.logs).toEqual([expect.stringMatching(/^warn: Marker folders: s3:\/\/.*\/px\/current\/daily-2024-01-01\/ is not processed: the folder name 'daily-2024-01-01' is not dt=YYYYMMDD/)]);
		((staticData['node:Trigger'] as IDataObject).lastCheck as number) = 0;
		const second = await captureLogs(async () => await poll(workflow, 'Trigger', credentials()));
		expect(second.logs).toEqual([]);
		expect(await store.head('px/current/daily-2024-01-01/a.csv')).toBeDefined();
	});
});
