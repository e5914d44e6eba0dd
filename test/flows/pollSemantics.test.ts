/**
 * The trigger under n8n's own poll machinery (test/helpers/published.ts: n8n-core's
 * PollTriggerExecutor, static data persisted only where n8n persists it), against moto with the
 * fault proxy in front for faults moto cannot produce on demand (500s past the SDK's retries, 403).
 * Time between polls passes on the trigger's clock (Date.now), never by editing its state.
 */
import type { IDataObject } from 'n8n-workflow';

import {
	buildWorkflow,
	captureLogs,
	connect,
	node,
	outputOf,
	pxFlow,
	runError,
	TYPES,
} from '../helpers/engine';
import { startFaultProxy, type FaultProxy } from '../helpers/faultProxy';
import { startReceiver, type Receiver } from '../helpers/http';
import { PublishedWorkflow } from '../helpers/published';
import { motoEndpoint, newBucket, testSettings } from '../helpers/s3';
import { received } from '../helpers/TestDestination.node';

const MINUTE = 60_000;
let receiver: Receiver;
let proxy: FaultProxy;
let published: PublishedWorkflow | undefined;
const others: PublishedWorkflow[] = [];
const track = (p: PublishedWorkflow) => (others.push(p), p);
beforeEach(async () => {
	receiver = await startReceiver([200]);
	proxy = await startFaultProxy(motoEndpoint());
	received.length = 0;
});
afterEach(async () => {
	published?.dispose();
	published = undefined;
	others.splice(0).forEach((p) => p.dispose());
	await receiver.close();
	await proxy.close();
});

const credentials = () => ({
	s3InboundAwsApi: testSettings({ endpoint: proxy.endpoint }),
	importStatusCallbackApi: { url: receiver.url, apiKey: 'poll-semantics-key' },
});

async function seeded() {
	const { bucket, store } = await newBucket('poll');
	await store.write('px/current/dt=20240101/a.csv', 'id,score\n1,5\n2,6\n');
	await store.write('px/current/dt=20240101/_SUCCESS', '');
	return { bucket, store };
}

function publish(
	bucket: string,
	options: {
		durableCursors?: boolean;
		trigger?: IDataObject;
		triggerOptions?: IDataObject;
		triggerVersion?: number;
	} = {},
) {
	published = new PublishedWorkflow(
		(staticData) =>
			pxFlow(bucket, staticData, {
				destination: { replaceJson: false },
				trigger: options.trigger,
				triggerOptions: options.triggerOptions,
				triggerVersion: options.triggerVersion,
				statusWriterOptions: { retryDelayMs: 5 },
			}),
		'Trigger',
		credentials(),
		{ durableCursors: options.durableCursors },
	);
	return published;
}

/** The listing of current/ fails (500 past the SDK's retries) for this many polls. */
const failListings = (polls: number) =>
	proxy.rules.push({
		method: 'GET',
		query: /list-type=2/,
		times: polls * 4,
		status: 500,
		code: 'InternalError',
	});

describe('passing faults stay quiet', () => {
	it('a fault that clears at the next try produces no failed execution, and the batch is imported then', async () => {
		const { bucket, store } = await seeded();
		const n8n = publish(bucket);
		failListings(1);
		const { result: first, logs } = await captureLogs(async () => await n8n.poll());
		expect(first).toEqual({ emitted: null });
		expect(logs.join('\n')).toMatch(
			/Check failed \(1 in a row.*next try at .*Could not reach S3 to list|S3 is busy/,
		);
		// The retry comes a minute later, not after the 15-minute interval.
		n8n.advance(30_000);
		expect((await n8n.poll()).emitted).toBeNull();
		n8n.advance(31_000);
		const run = await n8n.pollAndRun();
		expect(runError(run!)).toBeUndefined();
		expect(outputOf(run!, 'PX Status Writer')[0].json.status).toBe('SUCCESS');
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n2 records were uploaded\n',
		);
		expect(n8n.failedExecutions).toEqual([]);
		expect(n8n.savedState?.failures).toBeUndefined();
	});

	it('a lasting fault produces exactly one failed execution, naming the cause and the next try; imports resume when it clears', async () => {
		const { bucket, store } = await seeded();
		const n8n = publish(bucket);
		failListings(6);
		for (let check = 1; check <= 6; check++) {
			const outcome = await n8n.poll();
			expect(outcome.emitted).toBeNull();
			n8n.advance(16 * MINUTE);
		}
		expect(n8n.failedExecutions).toHaveLength(1);
		const reported = n8n.failedExecutions[0] as Error & { description?: string };
		expect(reported.message).toMatch(
			new RegExp(
				`S3 is busy \\(InternalError\\) while trying to list s3://${bucket}/px/current/|Could not reach S3 to list s3://${bucket}/px/current/`,
			),
		);
		expect(reported.description).toMatch(
			/Failing since .* \(3 checks in a row\)\. The trigger keeps trying \(next at \d{4}-\d\d-\d\dT.*\) and reports this fault once/,
		);
		const run = await n8n.pollAndRun();
		expect(runError(run!)).toBeUndefined();
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n2 records were uploaded\n',
		);
		expect(n8n.failedExecutions).toHaveLength(1);
	});

	it('a fault that needs the user (access denied) is reported at its first check, once', async () => {
		const { bucket } = await seeded();
		const n8n = publish(bucket);
		proxy.rules.push({
			method: 'GET',
			query: /list-type=2/,
			times: 99,
			status: 403,
			code: 'AccessDenied',
		});
		for (let check = 1; check <= 3; check++) {
			await n8n.poll();
			expect(n8n.failedExecutions).toHaveLength(1);
			n8n.advance(16 * MINUTE);
		}
		expect(n8n.failedExecutions[0].message).toMatch(
			new RegExp(`Access denied: this identity may not list s3://${bucket}/px/current/`),
		);
	});

	it('with n8n’s durable poll cursors, a quiet failed check is committed; a thrown one is discarded by n8n', async () => {
		const { bucket } = await seeded();
		const n8n = publish(bucket, { durableCursors: true, triggerOptions: { reportFaultAfter: 2 } });
		failListings(3);
		await n8n.poll();
		expect(n8n.failedExecutions.map((e) => e.message)).toEqual([]);
		expect(n8n.savedState?.failures).toBe(1);
		n8n.advance(16 * MINUTE);
		await n8n.poll();
		expect(n8n.failedExecutions).toHaveLength(1);
		// n8n dropped the reporting poll's state: what the README says about durable cursors.
		expect(n8n.savedState?.failures).toBe(1);
		expect(n8n.savedState?.faultReported).toBeUndefined();
	});
});

describe('state persists only where n8n persists it', () => {
	it('leases saved with the emit survive a restart of n8n: the batch is not handed on twice', async () => {
		const { bucket } = await seeded();
		const n8n = publish(bucket, {
			trigger: { intervalMinutes: 0 },
			triggerOptions: { leaseMinutes: 60 },
		});
		const first = await n8n.poll();
		expect(first.emitted?.[0]).toHaveLength(1);
		n8n.restart();
		n8n.advance(5 * MINUTE);
		// The execution of the first hand-on has not closed the batch yet: the restarted n8n
		// holds the lease it saved with the emit, and hands nothing on.
		expect((await n8n.poll()).emitted).toBeNull();
		// After the lease the batch, still under current/, is handed on again.
		n8n.advance(56 * MINUTE);
		expect((await n8n.poll()).emitted?.[0]).toHaveLength(1);
	});

	it('publishing (a new activation) checks at once; between activations the schedule decides', async () => {
		const { bucket, store } = await newBucket('poll');
		await store.write('in/accounts.csv', 'id,score\n1,2\n');
		const n8n = track(
			new PublishedWorkflow(
				(staticData) => singleFile(bucket, staticData),
				'Trigger',
				credentials(),
			),
		);
		expect((await n8n.poll()).emitted?.[0]).toHaveLength(1);
		await store.write('in/accounts.csv', 'id,score\n1,3\n');
		n8n.advance(5 * MINUTE);
		// The hourly check is not due: the new upload waits...
		expect((await n8n.poll()).emitted).toBeNull();
		// ...unless the workflow is published again (or n8n restarts): n8n builds the trigger anew and
		// its first poll checks at once.
		n8n.restart();
		expect((await n8n.poll()).emitted?.[0]).toHaveLength(1);
		// An unchanged file is not imported again by a publish.
		n8n.restart();
		expect((await n8n.poll()).emitted).toBeNull();
	});

	it('with durable poll cursors there is no activation to tell: the schedule alone decides', async () => {
		const { bucket, store } = await newBucket('poll');
		await store.write('in/accounts.csv', 'id,score\n1,2\n');
		const n8n = track(
			new PublishedWorkflow(
				(staticData) => singleFile(bucket, staticData),
				'Trigger',
				credentials(),
				{ durableCursors: true },
			),
		);
		expect((await n8n.poll()).emitted?.[0]).toHaveLength(1);
		await store.write('in/accounts.csv', 'id,score\n1,3\n');
		n8n.advance(5 * MINUTE);
		expect((await n8n.poll()).emitted).toBeNull();
		n8n.advance(56 * MINUTE);
		expect((await n8n.poll()).emitted?.[0]).toHaveLength(1);
	});

	it('publishing before the first upload: the missing file is no error, and the upload is imported at the next poll', async () => {
		const { bucket, store } = await newBucket('poll');
		const n8n = track(
			new PublishedWorkflow(
				(staticData) => singleFile(bucket, staticData),
				'Trigger',
				credentials(),
			),
		);
		expect((await n8n.poll()).emitted).toBeNull();
		await store.write('in/accounts.csv', 'id,score\n1,2\n');
		n8n.advance(MINUTE);
		const next = await n8n.poll();
		expect(next.emitted?.[0]).toHaveLength(1);
		expect(n8n.failedExecutions).toEqual([]);
	});
});

describe('version 2: n8n’s Poll Times are the one schedule', () => {
	it('every poll checks the file: a new upload is imported at the next poll, an unchanged file is not imported again', async () => {
		const { bucket, store } = await newBucket('poll');
		await store.write('in/accounts.csv', 'id,score\n1,2\n');
		const n8n = track(
			new PublishedWorkflow(
				(staticData) => singleFile(bucket, staticData, 2),
				'Trigger',
				credentials(),
			),
		);
		expect((await n8n.poll()).emitted?.[0]).toHaveLength(1);
		n8n.advance(MINUTE);
		expect((await n8n.poll()).emitted).toBeNull();
		await store.write('in/accounts.csv', 'id,score\n1,3\n');
		n8n.advance(MINUTE);
		// Version 1 would wait for its hourly check here.
		expect((await n8n.poll()).emitted?.[0]).toHaveLength(1);
		expect(n8n.failedExecutions).toEqual([]);
	});

	it('a failed check is retried at the next poll, and Failed Checks Before Error counts polls', async () => {
		const { bucket, store } = await seeded();
		const n8n = publish(bucket, { triggerVersion: 2 });
		failListings(4);
		const { logs } = await captureLogs(async () => {
			for (let poll = 1; poll <= 4; poll++) {
				expect((await n8n.poll()).emitted).toBeNull();
				// Polls every 15 minutes (Poll Times): each one checks again.
				n8n.advance(15 * MINUTE);
			}
		});
		expect(logs.join('\n')).toMatch(
			/Check failed \(1 in a row, since .*\); next try at the next poll; reported as a failed execution if it still fails at check 3/,
		);
		expect(n8n.failedExecutions).toHaveLength(1);
		expect((n8n.failedExecutions[0] as Error & { description?: string }).description).toMatch(
			/\(3 checks in a row\)\. The trigger keeps trying \(next at the next poll\)/,
		);
		expect(n8n.savedState?.retryAt).toBeUndefined();
		const run = await n8n.pollAndRun();
		expect(runError(run!)).toBeUndefined();
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n2 records were uploaded\n',
		);
		expect(n8n.failedExecutions).toHaveLength(1);
	});

	it('a backlog beyond Max Folders per Run follows at the next poll', async () => {
		const { bucket, store } = await newBucket('poll');
		for (const day of ['01', '02', '03']) {
			await store.write(`px/current/dt=202401${day}/a.csv`, 'id,score\n1,5\n');
			await store.write(`px/current/dt=202401${day}/_SUCCESS`, '');
		}
		const n8n = publish(bucket, { triggerVersion: 2, triggerOptions: { maxFolders: 2 } });
		const first = await n8n.pollAndRun();
		expect(runError(first!)).toBeUndefined();
		expect(await store.readText('px/processed/20240102/status.txt')).toMatch(/^SUCCESS/);
		n8n.advance(15 * MINUTE);
		await n8n.pollAndRun();
		expect(await store.readText('px/processed/20240103/status.txt')).toMatch(/^SUCCESS/);
	});
});

function singleFile(bucket: string, staticData: IDataObject, triggerVersion = 1) {
	return buildWorkflow({
		nodes: [
			node(
				'Trigger',
				TYPES.trigger,
				{
					mode: 'singleFile',
					bucket,
					fileKey: 'in/accounts.csv',
					...(triggerVersion === 1 ? { intervalMinutes: 60 } : {}),
				},
				{ typeVersion: triggerVersion },
			),
			node('Field Mapper', TYPES.fieldMapper, { fields: { field: [{ target: 'id' }] } }),
		],
		connections: connect(['Trigger', 'Field Mapper']),
		staticData,
	});
}
