/**
 * The S3 CSV Inbound Event Trigger: S3 event notifications delivered by moto to its own SQS
 * queue (moto 5.2.1 sends them for PutBucketNotificationConfiguration's QueueConfigurations), the
 * trigger run through n8n-core's TriggerContext as n8n's server runs it (test/helpers/activeTrigger.ts).
 */
import type { IDataObject } from 'n8n-workflow';

import { importOf } from '../../lib/importMetadata';
import { EventQueue, sqsClientFor } from '../../lib/sqs/queue';
import { startEventLoop } from '../../lib/trigger/eventLoop';
import { ActiveTrigger, eventFlow } from '../helpers/activeTrigger';
import { outputOf, runError, type TestCredentials } from '../helpers/engine';
import { freePort } from '../helpers/moto';
import { newBucket, testSettings } from '../helpers/s3';
import { newQueue, notifyQueue, type TestQueue } from '../helpers/sqs';

describe('the event trigger’s panel', () => {
	it('shows no Poll Times, even after n8n’s loader added them to the polling trigger', () => {
		/* eslint-disable @typescript-eslint/no-require-imports */
		const { S3CsvInboundTrigger } =
			require('../../nodes/S3CsvInboundTrigger/S3CsvInboundTrigger.node') as typeof import('../../nodes/S3CsvInboundTrigger/S3CsvInboundTrigger.node');
		const { S3CsvInboundEventTrigger } =
			require('../../nodes/S3CsvInboundEventTrigger/S3CsvInboundEventTrigger.node') as typeof import('../../nodes/S3CsvInboundEventTrigger/S3CsvInboundEventTrigger.node');
		/* eslint-enable @typescript-eslint/no-require-imports */
		// What n8n-core's loader does to a polling node (nodes-loader: Poll Times first).
		new S3CsvInboundTrigger().description.properties.unshift({
			displayName: 'Poll Times',
			name: 'pollTimes',
			type: 'fixedCollection',
			default: {},
		});
		const names = new S3CsvInboundEventTrigger().description.properties.map((p) => p.name);
		expect(names).not.toContain('pollTimes');
		expect(names.slice(0, 4)).toEqual(['eventsNotice', 'queueUrl', 'fallbackMinutes', 'mode']);
	});
});

function credentials(): TestCredentials {
	return { s3InboundAwsApi: testSettings() as unknown as IDataObject };
}

const active: ActiveTrigger[] = [];
const start = async (trigger: ActiveTrigger) => {
	active.push(trigger);
	await trigger.activate();
	return trigger;
};
afterEach(async () => {
	for (const t of active.splice(0)) await t.deactivate();
});

const keysOf = (data: IDataObject[][] | { json: IDataObject }[][]) =>
	(data[0] as Array<{ json: IDataObject }>).map((i) => importOf(i.json)!.file.key);

async function eventually<T>(
	probe: () => Promise<T | undefined | false>,
	timeoutMs = 10_000,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value) return value;
		if (Date.now() > deadline) throw new Error('timed out');
		await new Promise((r) => setTimeout(r, 100));
	}
}
const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function watched(prefix = 'incoming/') {
	const { bucket, store } = await newBucket('events');
	const queue = await newQueue();
	await notifyQueue(bucket, queue, prefix);
	return { bucket, store, queue };
}

describe('S3 CSV Inbound Event Trigger (n8n TriggerContext, moto S3 + SQS)', () => {
	it('New Files: what is there at publishing, then each upload within seconds of its event, once; messages deleted after the hand-on; a duplicated event imports nothing more', async () => {
		const { bucket, store, queue } = await watched();
		await store.write('incoming/before.csv', 'id,v\n1,a\n');
		const trigger = await start(
			new ActiveTrigger(
				(sd) =>
					eventFlow({ queueUrl: queue.url, mode: 'newFiles', bucket, folder: 'incoming' }, sd),
				credentials(),
				{ runExecutions: true },
			),
		);
		expect(keysOf((await trigger.waitForEmits(1))[0])).toEqual(['incoming/before.csv']);
		const uploaded = Date.now();
		await store.write('incoming/new file.csv', 'id,v\n2,b\n');
		const emits = await trigger.waitForEmits(2);
		expect(Date.now() - uploaded).toBeLessThan(5000);
		expect(keysOf(emits[1])).toEqual(['incoming/new file.csv']);
		const run = trigger.runs[1];
		expect(runError(run)).toBeUndefined();
		expect(outputOf(run, 'Destination').map((i) => i.json.v)).toEqual(['b']);
		// The s3:TestEvent (sent when the notification was set up) and both events are gone.
		await eventually(async () => (await queue.count()) === 0);
		// The same bytes written again: a second event for the same key and ETag, collapsed.
		await store.write('incoming/new file.csv', 'id,v\n2,b\n');
		await quiet(2500);
		expect(trigger.emitted).toHaveLength(2);
		await eventually(async () => (await queue.count()) === 0);
		// A restart of n8n: nothing is handed on again.
		await trigger.restart();
		await quiet(1500);
		expect(trigger.emitted).toHaveLength(2);
		expect(trigger.failedExecutions).toEqual([]);
	});

	it('New Files: a file whose event never comes (the queue purged, a notification for another folder) is handed on by the fallback listing', async () => {
		// The bucket notifies only for elsewhere/: no event will come for incoming/.
		const { bucket, store, queue } = await watched('elsewhere/');
		const trigger = await start(
			new ActiveTrigger(
				(sd) =>
					eventFlow(
						{
							queueUrl: queue.url,
							mode: 'newFiles',
							bucket,
							folder: 'incoming',
							fallbackMinutes: 0.05,
						},
						sd,
					),
				credentials(),
			),
		);
		await quiet(500);
		await store.write('incoming/lost-event.csv', 'id\n1\n');
		await queue.purge();
		// Listed every 3 s (List Every 0.05 minutes here; at least a minute in the editor).
		expect(keysOf((await trigger.waitForEmits(1, 8000))[0])).toEqual(['incoming/lost-event.csv']);
		await quiet(3500);
		expect(trigger.emitted).toHaveLength(1);
	});

	it('Marker Folders: a folder is handed on within seconds of its marker; data files alone, and a duplicated marker event, hand on nothing', async () => {
		const { bucket, store, queue } = await watched('px/');
		const trigger = await start(
			new ActiveTrigger(
				(sd) =>
					eventFlow(
						{ queueUrl: queue.url, mode: 'markerFolders', bucketPath: bucket, baseFolder: 'px' },
						sd,
						{ mode: 'strict', fields: { field: [{ target: 'id' }] } },
					),
				credentials(),
			),
		);
		await quiet(1000);
		await store.write('px/current/dt=20240101/a.csv', 'id\n1\n');
		await store.write('px/current/dt=20240101/b.csv', 'id\n2\n');
		await quiet(1500);
		expect(trigger.emitted).toEqual([]);
		const marked = Date.now();
		await store.write('px/current/dt=20240101/_SUCCESS', '');
		const emits = await trigger.waitForEmits(1);
		expect(Date.now() - marked).toBeLessThan(5000);
		expect(keysOf(emits[0])).toEqual([
			'px/current/dt=20240101/a.csv',
			'px/current/dt=20240101/b.csv',
		]);
		await queue.send(
			JSON.stringify({
				Records: [
					{
						eventSource: 'aws:s3',
						eventName: 'ObjectCreated:Put',
						s3: { bucket: { name: bucket }, object: { key: 'px/current/dt%3D20240101/_SUCCESS' } },
					},
				],
			}),
		);
		await eventually(async () => (await queue.count()) === 0);
		expect(trigger.emitted).toHaveLength(1);
	});

	it('Single File: the file is handed on when overwritten with new bytes, not when written again unchanged', async () => {
		const { bucket, store, queue } = await watched('staircase/');
		await store.write('staircase/accounts.csv', 'crm_id\n1\n');
		const trigger = await start(
			new ActiveTrigger(
				(sd) =>
					eventFlow(
						{ queueUrl: queue.url, mode: 'singleFile', bucket, fileKey: 'staircase/accounts.csv' },
						sd,
					),
				credentials(),
			),
		);
		await trigger.waitForEmits(1);
		await store.write('staircase/accounts.csv', 'crm_id\n1\n');
		await eventually(async () => (await queue.count()) === 0);
		await quiet(500);
		expect(trigger.emitted).toHaveLength(1);
		await store.write('staircase/accounts.csv', 'crm_id\n2\n');
		await trigger.waitForEmits(2);
	});

	it('a wrong queue URL fails the publishing, saying what to check', async () => {
		const { bucket } = await newBucket('events');
		const trigger = new ActiveTrigger(
			(sd) =>
				eventFlow(
					{
						queueUrl: `${testSettings().endpoint}/123456789012/no-such-queue`,
						mode: 'newFiles',
						bucket,
					},
					sd,
				),
			credentials(),
		);
		await expect(trigger.activate()).rejects.toThrow('No such queue');
	});
});

describe('the event loop: messages are deleted only after their objects were handed on', () => {
	let queue: TestQueue;
	beforeEach(async () => {
		queue = await newQueue('loop');
	});

	it('a hand-on that fails leaves the message in the queue; SQS hands it out again and then it is deleted', async () => {
		const sqs = new EventQueue(sqsClientFor(testSettings(), queue.url), queue.url);
		await queue.send(
			JSON.stringify({
				Records: [
					{
						eventSource: 'aws:s3',
						eventName: 'ObjectCreated:Put',
						s3: { bucket: { name: 'b' }, object: { key: 'k' } },
					},
				],
			}),
		);
		const calls: string[][] = [];
		const warnings: string[] = [];
		const reported: Error[] = [];
		const loop = startEventLoop({
			queue: sqs,
			waitSeconds: 1,
			visibilitySeconds: 2,
			fallbackMs: 3600_000,
			onListing: async () => ({}),
			onObjects: async (objects) => {
				calls.push(objects.map((o) => o.key));
				if (calls.length === 1) throw Object.assign(new Error('S3 is busy'), { transient: true });
				return {};
			},
			warn: (m) => warnings.push(m),
			report: (e) => reported.push(e),
		});
		try {
			await eventually(async () => calls.length >= 1);
			expect(await queue.count()).toBe(1);
			await eventually(async () => calls.length >= 2, 15_000);
			await eventually(async () => (await queue.count()) === 0);
		} finally {
			await loop.stop();
		}
		expect(calls).toEqual([['k'], ['k']]);
		expect(warnings.join('\n')).toMatch(/failed \(1 in a row\): S3 is busy/);
		expect(reported).toEqual([]);
	});

	it('a queue that cannot be reached is reported once (one failed execution), and retried quietly', async () => {
		const port = await freePort();
		const url = `http://127.0.0.1:${port}/123456789012/gone`;
		const reported: Error[] = [];
		const warnings: string[] = [];
		const loop = startEventLoop({
			queue: new EventQueue(sqsClientFor(testSettings(), url), url),
			waitSeconds: 1,
			fallbackMs: 3600_000,
			reportFaultAfter: 2,
			onListing: async () => ({}),
			onObjects: async () => ({}),
			warn: (m) => warnings.push(m),
			report: (e) => reported.push(e),
		});
		try {
			await eventually(async () => reported.length === 1 && warnings.length >= 2, 20_000);
		} finally {
			await loop.stop();
		}
		expect(reported).toHaveLength(1);
		expect(reported[0].message).toMatch(/Could not reach SQS to receive messages from the queue/);
	});
});
