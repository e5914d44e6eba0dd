/**
 * Reliability: whole workflows in the real engine against moto and a local HTTP server, with
 * faults injected by a real HTTP proxy in front of moto (test/helpers/faultProxy.ts) where moto
 * cannot fail on demand. Each case checks the bucket's end state, what the destination received,
 * and what the status file and callback say.
 */
import type { IDataObject, IRun } from 'n8n-workflow';

import { IMPORT_KEY, idempotencyKey, type ImportMetadata } from '../../lib/importMetadata';
import { S3Store } from '../../lib/s3/store';
import { s3ClientFor, settingsFromCredential } from '../../lib/s3/connection';
import {
	buildWorkflow,
	captureLogs,
	connect,
	execute,
	node,
	outputOf,
	poll,
	pxFlow,
	runError,
	TYPES,
} from '../helpers/engine';
import { startFaultProxy, type FaultProxy } from '../helpers/faultProxy';
import { freePort } from '../helpers/moto';
import { startReceiver, type Receiver } from '../helpers/http';
import { PublishedWorkflow } from '../helpers/published';
import { gzip, motoEndpoint, newBucket, testSettings } from '../helpers/s3';
import { received } from '../helpers/TestDestination.node';

const API_KEY = 'reliability-callback-key-5d1c';
const HEADER = 'id,score';
const rows = (n: number, from = 1) =>
	Array.from({ length: n }, (_, i) => `${from + i},${i}`).join('\n');

let receiver: Receiver;
let proxy: FaultProxy;
beforeEach(async () => {
	receiver = await startReceiver([200]);
	proxy = await startFaultProxy(motoEndpoint());
	received.length = 0;
});
afterEach(async () => {
	await receiver.close();
	await proxy.close();
});

/** Credentials that reach moto through the fault proxy. */
const credentials = (callbackUrl = receiver.url) => ({
	s3InboundAwsApi: testSettings({
		endpoint: proxy.endpoint,
		secretAccessKey: 'reliability-secret-9f8e7d',
	}),
	importStatusCallbackApi: { url: callbackUrl, apiKey: API_KEY },
});

function workflow(bucket: string, staticData: IDataObject = {}) {
	return pxFlow(bucket, staticData, {
		destination: { replaceJson: false },
		statusWriterOptions: { retryDelayMs: 5, timeoutSeconds: 1, maxAttempts: 3 },
	});
}

/** moto directly (not through the proxy), to seed and inspect the bucket. */
async function seed(files: Record<string, string | Buffer>, folder = 'dt=20240101', marker = true) {
	const { bucket, store } = await newBucket('rel');
	for (const [name, body] of Object.entries(files))
		await store.write(
			`px/current/${folder}/${name}`,
			typeof body === 'string' && name.endsWith('.gz') ? gzip(body) : body,
		);
	if (marker) await store.write(`px/current/${folder}/_SUCCESS`, '');
	return { bucket, store };
}

async function runOnce(bucket: string, staticData: IDataObject = {}, creds = credentials()) {
	const wf = workflow(bucket, staticData);
	const data = await poll(wf, 'Trigger', creds);
	if (!data) return undefined;
	return await execute(wf, 'Trigger', data, creds);
}

const keysOf = async (store: S3Store) => (await store.listObjects('')).map((o) => o.key).sort();
const deliveredIds = () => received.flat().map((i) => String(i.json.id));
const MINUTE = 60_000;
let published: PublishedWorkflow[] = [];
afterEach(() => {
	published.forEach((p) => p.dispose());
	published = [];
});
/** The flow as n8n runs it when published: polls through n8n-core's poll executor, time passing on the trigger's clock. */
function publishedFlow(bucket: string, creds = credentials()) {
	const n8n = new PublishedWorkflow((staticData) => workflow(bucket, staticData), 'Trigger', creds);
	published.push(n8n);
	return n8n;
}

describe('S3 faults', () => {
	it('a listing that fails mid-page hands nothing on; the next poll completes the batch once', async () => {
		const { bucket, store } = await seed({
			'a.csv': `${HEADER}\n${rows(3)}\n`,
			'b.csv': `${HEADER}\n${rows(2, 10)}\n`,
		});
		// Small pages, and the second page fails (500 four times: past the SDK's retries).
		const n8n = publishedFlow(bucket);
		const client = s3ClientFor(
			settingsFromCredential(credentials().s3InboundAwsApi as unknown as Record<string, unknown>),
		);
		// The page size is forced through the client, so the listing has several pages.
		client.middlewareStack.add(
			(next) => async (args) => {
				const input = args.input as { MaxKeys?: number; Bucket?: string };
				if (input.Bucket === bucket) input.MaxKeys = 1;
				return await next(args);
			},
			{ step: 'initialize', name: `pageSize-${bucket}` },
		);
		proxy.rules.push({
			method: 'GET',
			query: /continuation-token=/,
			times: 4,
			status: 500,
			code: 'InternalError',
		});
		try {
			// A passing fault: logged, no failed execution, nothing handed on or moved.
			const { result, logs } = await captureLogs(async () => await n8n.poll());
			expect(result).toEqual({ emitted: null });
			expect(logs.join('\n')).toMatch(
				new RegExp(
					`Check failed \\(1 in a row.*(Could not reach S3 to list s3://${bucket}/px/current/|S3 is busy)`,
				),
			);
			expect(await keysOf(store)).toContain('px/current/dt=20240101/_SUCCESS');
			expect(received).toEqual([]);
			// The retry comes a minute later, not after the 15-minute interval.
			n8n.advance(61_000);
			const run = await n8n.pollAndRun();
			expect(runError(run!)).toBeUndefined();
			expect(n8n.failedExecutions).toEqual([]);
		} finally {
			client.middlewareStack.remove(`pageSize-${bucket}`);
		}
		expect(deliveredIds().sort()).toEqual(['1', '10', '11', '2', '3']);
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n5 records were uploaded\n',
		);
	});

	it('a read cut mid-stream that clears is read again from the start: every row once, in one run', async () => {
		const big = `${HEADER}\n${rows(20_000)}\n`;
		const { bucket, store } = await seed({ 'big.csv': big });
		proxy.rules.push({ method: 'GET', path: /big\.csv$/, cutAfterBytes: 5000, times: 2 });
		const run = await runOnce(bucket);
		expect(runError(run!)).toBeUndefined();
		expect(proxy.rules[0].fired).toBe(2);
		expect(deliveredIds()).toEqual(Array.from({ length: 20_000 }, (_, i) => String(i + 1)));
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n20000 records were uploaded\n',
		);
	});

	it('a read cut that lasts is not recorded as a bad file: nothing delivered or moved, and the batch is retried whole after its lease', async () => {
		const big = `${HEADER}\n${rows(20_000)}\n`;
		const { bucket, store } = await seed({ 'big.csv': big });
		proxy.rules.push({ method: 'GET', path: /big\.csv$/, cutAfterBytes: 5000, times: 99 });
		const n8n = publishedFlow(bucket);
		const first = await n8n.pollAndRun();
		expect(runError(first!)).toMatch(/big\.csv/);
		proxy.rules.length = 0;
		expect(received).toEqual([]);
		expect(await store.head('px/processed/20240101/status.txt')).toBeUndefined();
		expect(await store.head('px/current/dt=20240101/big.csv')).toBeDefined();
		n8n.advance(16 * MINUTE);
		await n8n.pollAndRun();
		expect(received.flat()).toHaveLength(20_000);
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n20000 records were uploaded\n',
		);
	}, 30_000);

	it('throttling (503 SlowDown) is retried by the client and the import succeeds in one run', async () => {
		const { bucket, store } = await seed({ 'a.csv': `${HEADER}\n${rows(2)}\n` });
		proxy.rules.push({ method: 'GET', path: /a\.csv$/, times: 2, status: 503, code: 'SlowDown' });
		proxy.rules.push({
			method: 'PUT',
			path: /status\.txt$/,
			times: 1,
			status: 503,
			code: 'SlowDown',
		});
		const run = await runOnce(bucket);
		expect(runError(run!)).toBeUndefined();
		expect(proxy.rules.every((r) => r.fired === r.times)).toBe(true);
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n2 records were uploaded\n',
		);
	});

	it('a delete refused after the copy leaves both copies; the next run completes without re-importing', async () => {
		const { bucket, store } = await seed({ 'a.csv': `${HEADER}\n${rows(2)}\n` });
		proxy.rules.push({
			method: 'DELETE',
			path: /current\/dt=20240101\/a\.csv$/,
			status: 403,
			code: 'AccessDenied',
		});
		const n8n = publishedFlow(bucket);
		const first = await n8n.pollAndRun();
		expect(runError(first!)).toMatch(/Access denied: this identity may not delete s3:\/\/.*a\.csv/);
		expect(await keysOf(store)).toEqual([
			'px/current/dt=20240101/_SUCCESS',
			'px/current/dt=20240101/a.csv',
			'px/processed/20240101/.s3-inbound-batch.json',
			'px/processed/20240101/a.csv',
		]);
		n8n.advance(16 * MINUTE);
		const second = await n8n.pollAndRun();
		expect(outputOf(second!, 'PX Status Writer')[0].json).toMatchObject({
			resumed: true,
			status: 'SUCCESS',
		});
		expect(deliveredIds()).toEqual(['1', '2']);
		expect(await keysOf(store)).toEqual([
			'px/processed/20240101/_SUCCESS',
			'px/processed/20240101/a.csv',
			'px/processed/20240101/status.txt',
		]);
	});

	it('a failed status write is completed by the next run with the same status, one callback decision', async () => {
		const { bucket, store } = await seed({
			'a.csv': `${HEADER}\n${rows(2)}\n`,
			'bad.csv': 'id,nope\n1,2\n',
		});
		proxy.rules.push({
			method: 'PUT',
			path: /status\.txt$/,
			times: 4,
			status: 500,
			code: 'InternalError',
		});
		const n8n = publishedFlow(bucket);
		const first = await n8n.pollAndRun();
		expect(runError(first!)).toMatch(/status\.txt/);
		expect(await store.head('px/processed/20240101/status.txt')).toBeUndefined();
		expect(await store.head('px/current/dt=20240101/_SUCCESS')).toBeDefined();
		n8n.advance(16 * MINUTE);
		await n8n.pollAndRun();
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			"ERROR\nParsing Errors:[\n       bad.csv: Unknown column: 'nope'\n]\n2 records were uploaded\n",
		);
		expect(deliveredIds()).toEqual(['1', '2']);
		expect(receiver.requests).toHaveLength(1);
		expect(JSON.parse(receiver.requests[0].body).success).toBe(false);
	});

	it('an expired token during an import is reported clearly, and the batch is imported by the next run', async () => {
		const { bucket, store } = await seed({ 'a.csv': `${HEADER}\n${rows(2)}\n` });
		proxy.rules.push({
			method: 'GET',
			path: /a\.csv$/,
			status: 400,
			code: 'ExpiredToken',
			times: 99,
		});
		const n8n = publishedFlow(bucket);
		const first = await n8n.pollAndRun();
		expect(runError(first!)).toMatch(/session token expired while trying to read s3:\/\/.*a\.csv/);
		expect(received).toEqual([]);
		expect(await store.head('px/processed/20240101/status.txt')).toBeUndefined();
		proxy.rules.length = 0;
		n8n.advance(16 * MINUTE);
		await n8n.pollAndRun();
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n2 records were uploaded\n',
		);
	});
});

describe('callback faults', () => {
	it.each([
		[
			'down (connection refused)',
			async () => `http://127.0.0.1:${await freePort()}/prd/data-export`,
			/could not reach the endpoint: ECONNREFUSED/,
			3,
		],
		[
			'slow (times out)',
			async () => ((receiver.delayMs = 2500), receiver.url),
			/no answer within 1000 ms/,
			3,
		],
		['401', async () => ((receiver.answers = [401]), receiver.url), /answered 401/, 1],
	])(
		'endpoint %s: reported; status file and data files done, the batch kept open for a later run to send the callback',
		async (_name, setup, error, attempts) => {
			const url = await setup();
			const { bucket, store } = await seed({ 'a.csv': `${HEADER}\n${rows(1)}\n` });
			const run = await runOnce(bucket, {}, credentials(url));
			expect(runError(run!)).toBeUndefined();
			const out = outputOf(run!, 'PX Status Writer')[0].json as {
				callback: {
					delivered: boolean;
					attempts: number;
					error: string;
					pending: { retryAt: string };
				};
			};
			expect(out.callback.delivered).toBe(false);
			expect(out.callback.attempts).toBe(attempts);
			expect(out.callback.error).toMatch(error);
			expect(Date.parse(out.callback.pending.retryAt) - Date.now()).toBeGreaterThan(4 * MINUTE);
			expect(await store.readText('px/processed/20240101/status.txt')).toBe(
				'SUCCESS\n1 records were uploaded\n',
			);
			expect((await keysOf(store)).filter((k) => k.includes('/current/'))).toEqual([
				'px/current/dt=20240101/_SUCCESS',
			]);
			const journal = JSON.parse(
				(await store.readText('px/processed/20240101/.s3-inbound-batch.json'))!,
			) as { pendingCallback: { runs: number; attempts: number } };
			expect(journal.pendingCallback).toMatchObject({ runs: 1, attempts });
		},
	);

	it('a callback endpoint down for an hour hears about the batch from a later run: same body and idempotency key, imported once', async () => {
		const { bucket, store } = await seed({ 'a.csv': `${HEADER}\n${rows(2)}\n` });
		receiver.answers = [503];
		const n8n = publishedFlow(bucket);
		const first = await n8n.pollAndRun();
		expect(outputOf(first!, 'PX Status Writer')[0].json).toMatchObject({
			status: 'SUCCESS',
			callback: { delivered: false, status: 503 },
		});
		// Not handed on before its retry time (5 minutes), even when the lease is up.
		n8n.advance(2 * MINUTE);
		expect((await n8n.poll()).emitted).toBeNull();
		// Still down at the next try: another 10 minutes.
		n8n.advance(16 * MINUTE);
		const second = await n8n.pollAndRun();
		expect(outputOf(second!, 'PX Status Writer')[0].json).toMatchObject({
			resumed: true,
			callback: { delivered: false },
		});
		receiver.answers = [200];
		n8n.advance(61 * MINUTE);
		const third = await n8n.pollAndRun();
		expect(runError(third!)).toBeUndefined();
		expect(outputOf(third!, 'PX Status Writer')[0].json).toMatchObject({
			resumed: true,
			status: 'SUCCESS',
			callback: { delivered: true, status: 200 },
		});
		expect(deliveredIds()).toEqual(['1', '2']);
		expect(await keysOf(store)).toEqual([
			'px/processed/20240101/_SUCCESS',
			'px/processed/20240101/a.csv',
			'px/processed/20240101/status.txt',
		]);
		// Every try sent the same callback, with the key from the credential.
		expect(receiver.requests.length).toBeGreaterThanOrEqual(3);
		expect(
			new Set(
				receiver.requests.map(
					(r) =>
						`${r.body}|${String(r.headers['idempotency-key'])}|${String(r.headers['x-api-key'])}`,
				),
			).size,
		).toBe(1);
		expect(receiver.requests[0].headers['x-api-key']).toBe(API_KEY);
		expect(n8n.failedExecutions).toEqual([]);
	}, 30_000);

	it('a callback never delivered within the retry limit: the batch is closed without it, and the execution fails naming it', async () => {
		const { bucket, store } = await seed({ 'a.csv': `${HEADER}\n${rows(1)}\n` });
		receiver.answers = [500];
		const n8n = new PublishedWorkflow(
			(staticData) =>
				pxFlow(bucket, staticData, {
					destination: { replaceJson: false },
					statusWriterOptions: { retryDelayMs: 5, maxAttempts: 1, callbackRetryHours: 1 },
				}),
			'Trigger',
			credentials(),
		);
		published.push(n8n);
		expect(runError((await n8n.pollAndRun())!)).toBeUndefined();
		let last;
		for (let i = 0; i < 6 && (await store.head('px/current/dt=20240101/_SUCCESS')); i++) {
			n8n.advance(61 * MINUTE);
			last = await n8n.pollAndRun();
		}
		expect(runError(last!)).toMatch(
			/Gave up on the status callback of 1 batch folder: px\/processed\/20240101\/: the status callback was not delivered \(2 attempts in 2 runs since .*; last: the endpoint answered 500/,
		);
		expect(runError(last!)).not.toContain(API_KEY);
		expect(await keysOf(store)).toEqual([
			'px/processed/20240101/_SUCCESS',
			'px/processed/20240101/a.csv',
			'px/processed/20240101/status.txt',
		]);
	}, 30_000);
});

describe('process faults', () => {
	it('a run stopped after the destination got rows but before the status: the next poll re-delivers them with the same idempotency keys, marked as a second attempt', async () => {
		const { bucket, store } = await seed({ 'a.csv': `${HEADER}\n${rows(3)}\n` });
		// The journal cannot be written: the status writer stops before anything is decided.
		proxy.rules.push({
			method: 'PUT',
			path: /\.s3-inbound-batch\.json$/,
			status: 403,
			code: 'AccessDenied',
		});
		const n8n = publishedFlow(bucket);
		const first = await n8n.pollAndRun();
		expect(runError(first!)).toBeDefined();
		expect(await store.head('px/processed/20240101/status.txt')).toBeUndefined();
		const firstKeys = received
			.flat()
			.map((i) => idempotencyKey(i.json[IMPORT_KEY] as ImportMetadata));
		n8n.advance(16 * MINUTE);
		await n8n.pollAndRun();
		const deliveries = received.map((batch) =>
			batch.map((i) => i.json[IMPORT_KEY] as ImportMetadata),
		);
		expect(deliveries).toHaveLength(2);
		expect(deliveries[1].map(idempotencyKey)).toEqual(firstKeys);
		expect(deliveries[0][0].file.batch?.attempt).toBe(1);
		expect(deliveries[1][0].file.batch?.attempt).toBe(2);
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n3 records were uploaded\n',
		);
	});

	it('two overlapping polls hand a folder on once', async () => {
		const { bucket } = await seed({ 'a.csv': `${HEADER}\n${rows(5_000)}\n` });
		const n8n = publishedFlow(bucket);
		const [a, b] = await Promise.all([n8n.poll(), n8n.poll()]);
		const handed = [a.emitted, b.emitted].filter((d) => d !== null);
		expect(handed).toHaveLength(1);
		expect(handed[0]![0].map((i) => (i.json[IMPORT_KEY] as ImportMetadata).file.key)).toEqual([
			'px/current/dt=20240101/a.csv',
		]);
	});
});

describe('one owner per batch', () => {
	it('two executions of the same batch (a run past its lease, a queue backlog): one status, one callback; the other does nothing and says so', async () => {
		const { bucket, store } = await seed({ 'a.csv': `${HEADER}\n${rows(3)}\n` });
		const wf = workflow(bucket, {});
		const data = await poll(wf, 'Trigger', credentials());
		const [first, second] = await Promise.all([
			execute(wf, 'Trigger', data!, credentials()),
			execute(wf, 'Trigger', data!, credentials()),
		]);
		const outputs = [first, second].map((r) => outputOf(r, 'PX Status Writer')[0].json);
		expect(outputs.filter((o) => o.status === 'SUCCESS')).toHaveLength(1);
		expect(outputs.filter((o) => o.skipped === true)).toEqual([
			expect.objectContaining({ reason: expect.stringMatching(/this run did nothing to it/) }),
		]);
		expect(receiver.requests).toHaveLength(1);
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n3 records were uploaded\n',
		);
		// And a third run, after the batch was closed, does nothing either.
		const third = await execute(wf, 'Trigger', data!, credentials());
		expect(outputOf(third, 'PX Status Writer')[0].json).toMatchObject({
			skipped: true,
			reason: expect.stringMatching(/another run completed this batch folder/),
		});
		expect(receiver.requests).toHaveLength(1);
	});

	it('an object that arrives after the marker stays in current/, named in status.txt and the output; only what was decided on moves', async () => {
		const { bucket, store } = await seed({ 'a.csv': `${HEADER}\n${rows(2)}\n` });
		const wf = workflow(bucket, {});
		const data = await poll(wf, 'Trigger', credentials());
		// S3's LastModified has one-second precision: the late file is written in a later second.
		await new Promise((r) => setTimeout(r, 1100));
		await store.write('px/current/dt=20240101/late.csv', `${HEADER}\n${rows(1, 50)}\n`);
		const run = await execute(wf, 'Trigger', data!, credentials());
		expect(outputOf(run, 'PX Status Writer')[0].json).toMatchObject({
			status: 'SUCCESS',
			leftInCurrent: ['px/current/dt=20240101/late.csv'],
		});
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n2 records were uploaded\nLeft in current/ (arrived or changed after the batch was closed; not imported):[\n       late.csv\n]\n',
		);
		expect(await keysOf(store)).toEqual([
			'px/current/dt=20240101/late.csv',
			'px/processed/20240101/_SUCCESS',
			'px/processed/20240101/a.csv',
			'px/processed/20240101/status.txt',
		]);
	});

	it('a stale journal (an earlier upload of the date) is deleted only in the version read: another run’s claim written meanwhile is kept', async () => {
		const { bucket, store } = await seed({ 'a.csv': `${HEADER}\n${rows(2)}\n` });
		const journalKey = 'px/processed/20240101/.s3-inbound-batch.json';
		await store.write(
			journalKey,
			JSON.stringify({
				version: 1,
				markerLastModified: '2023-12-31T00:00:00.000Z',
				attempt: 1,
				decidedAt: 'last year',
			}),
		);
		const wf = workflow(bucket, {});
		const data = await poll(wf, 'Trigger', credentials());
		const marker = await store.head('px/current/dt=20240101/_SUCCESS');
		// Another run's claim lands between this run's read of the stale journal and its delete
		// (written straight to moto from inside the writer's DeleteObject, before it is sent).
		const client = s3ClientFor(
			settingsFromCredential(credentials().s3InboundAwsApi as unknown as Record<string, unknown>),
		);
		let injected = false;
		client.middlewareStack.add(
			(next) => async (args) => {
				const input = args.input as { Bucket?: string; Key?: string };
				if (
					!injected &&
					input.Bucket === bucket &&
					input.Key === journalKey &&
					(args.request as { method?: string })?.method === 'DELETE'
				) {
					injected = true;
					await store.write(
						journalKey,
						JSON.stringify({
							version: 1,
							markerLastModified: marker!.lastModified!.toISOString(),
							attempt: 7,
							decidedAt: 'meanwhile',
						}),
					);
				}
				return await next(args);
			},
			{ step: 'finalizeRequest', name: `claimMeanwhile-${bucket}` },
		);
		let run;
		try {
			run = await execute(wf, 'Trigger', data!, credentials());
		} finally {
			client.middlewareStack.remove(`claimMeanwhile-${bucket}`);
		}
		expect(injected).toBe(true);
		expect(outputOf(run, 'PX Status Writer')[0].json).toMatchObject({
			skipped: true,
			reason: expect.stringMatching(
				/another run \(attempt 7, decided at meanwhile\) owns this batch folder/,
			),
		});
		expect(JSON.parse((await store.readText(journalKey))!)).toMatchObject({ attempt: 7 });
		expect(await store.head('px/current/dt=20240101/_SUCCESS')).toBeDefined();
		expect(receiver.requests).toEqual([]);
	});

	it('a marker written again after the batch was handed on is a new upload: the run does nothing to the folder', async () => {
		const { bucket, store } = await seed({ 'a.csv': `${HEADER}\n${rows(2)}\n` });
		const wf = workflow(bucket, {});
		const data = await poll(wf, 'Trigger', credentials());
		await new Promise((r) => setTimeout(r, 1100));
		await store.write('px/current/dt=20240101/_SUCCESS', '');
		const run = await execute(wf, 'Trigger', data!, credentials());
		expect(outputOf(run, 'PX Status Writer')[0].json).toMatchObject({
			skipped: true,
			reason: expect.stringMatching(/was written again after this batch was handed on/),
		});
		expect(await keysOf(store)).toEqual([
			'px/current/dt=20240101/_SUCCESS',
			'px/current/dt=20240101/a.csv',
		]);
		expect(receiver.requests).toEqual([]);
	});
});

type Expect = { reason: RegExp; delivered?: number };
const badInputs: Array<[string, Record<string, string | Buffer>, Expect]> = [
	['an empty file', { 'a.csv': '' }, { reason: /a\.csv: the file is empty; a header row/ }],
	[
		'a header only',
		{ 'a.csv': 'id,score\n' },
		{ reason: /a\.csv: line 2: the file has a header but no data rows/ },
	],
	[
		'an unterminated quote at the end',
		{ 'a.csv': 'id,score\n1,"2\n' },
		{
			reason: /a\.csv: line 2: a quote opened in the row that starts on this line is never closed/,
		},
	],
	[
		'ragged rows',
		{ 'a.csv': 'id,score\n1,2\n3,4,5\n' },
		{ reason: /a\.csv: line 3: the row has 3 fields but the header has 2/ },
	],
	[
		'a duplicate header',
		{ 'a.csv': 'id,id\n1,2\n' },
		{ reason: /a\.csv: line 1: the header 'id' appears twice/ },
	],
	[
		'an empty header',
		{ 'a.csv': 'id,,score\n1,2,3\n' },
		{ reason: /a\.csv: line 1: column 2 has an empty header name/ },
	],
	[
		'Latin-1 bytes under UTF-8',
		{ 'a.csv': Buffer.from('id,score\n1,2\nJos\xe9,3\n', 'latin1') },
		{ reason: /a\.csv: line 3: bytes that are not valid UTF-8/ },
	],
	[
		'a .csv.gz that is not gzip (binary)',
		{ 'a.csv.gz': Buffer.from([0x50, 0x4b, 0x03, 0x04, 0xff, 0xfe, 0x00, 0x81]) },
		{ reason: /a\.csv\.gz: line 1: bytes that are not valid UTF-8/ },
	],
	[
		'a truncated gzip',
		{ 'a.csv.gz': gzip(`${HEADER}\n${rows(2000)}\n`).subarray(0, 200) },
		{ reason: /a\.csv\.gz: the gzip data is corrupt or truncated/ },
	],
	[
		'a bad number',
		{ 'a.csv': 'id,score\n1,"1,000"\n' },
		{ reason: /a\.csv: Row 1, column 'score': '1,000' is not a number/ },
	],
];

describe('bad input: a clear reason in status.txt and the callback, the batch ERROR, nothing lost', () => {
	it.each(badInputs)('%s', async (_name, files, expected) => {
		const { bucket, store } = await seed({ ...files, 'good.csv': `${HEADER}\n${rows(2, 100)}\n` });
		const before = await keysOf(store);
		await runOnce(bucket);
		const status = (await store.readText('px/processed/20240101/status.txt')) ?? '';
		expect(status.split('\n')[0]).toBe('ERROR');
		expect(status).toMatch(expected.reason);
		expect(status).toContain('2 records were uploaded');
		expect(deliveredIds().sort()).toEqual(['100', '101']);
		// Every object is still there, moved: nothing lost, nothing left under current/.
		expect((await keysOf(store)).filter((k) => k !== 'px/processed/20240101/status.txt')).toEqual(
			before.map((k) => k.replace('current/dt=', 'processed/')).sort(),
		);
		expect(JSON.parse(receiver.requests[0].body)).toMatchObject({
			success: false,
			message: expect.stringMatching(expected.reason),
		});
	});

	it('a BOM and mixed line endings are fine', async () => {
		const { bucket, store } = await seed({ 'a.csv': '\uFEFFid,score\r\n1,2\n3,4\r5,6\r\n' });
		await runOnce(bucket);
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n3 records were uploaded\n',
		);
	});

	it('a 1 MB field and keys with spaces, =, + and unicode are imported and moved', async () => {
		const { bucket, store } = await seed({
			'users + more=1 é.csv': `id,score,blob\n1,2,${'x'.repeat(1024 * 1024)}\n`,
		});
		const wf = buildWorkflow({
			nodes: [
				node('Trigger', TYPES.trigger, {
					mode: 'markerFolders',
					bucketPath: bucket,
					baseFolder: 'px',
				}),
				node('Field Mapper', TYPES.fieldMapper, {
					mode: 'strict',
					fields: {
						field: [{ target: 'id' }, { target: 'score', type: 'number' }, { target: 'blob' }],
					},
				}),
				node('PX Status Writer', TYPES.statusWriter, { sendCallback: false }),
			],
			connections: connect(
				['Trigger', 'Field Mapper'],
				['Field Mapper', 'PX Status Writer', 0, 0],
				['Field Mapper', 'PX Status Writer', 1, 2],
			),
		});
		const run = await execute(
			wf,
			'Trigger',
			(await poll(wf, 'Trigger', credentials()))!,
			credentials(),
		);
		expect(runError(run)).toBeUndefined();
		expect(await keysOf(store)).toEqual([
			'px/processed/20240101/_SUCCESS',
			'px/processed/20240101/status.txt',
			'px/processed/20240101/users + more=1 é.csv',
		]);
	});

	it('350,001 rows: the file is rejected with the limit, its rows never delivered', async () => {
		const { bucket, store } = await seed({
			'big.csv.gz': `${HEADER}\n${rows(350_001)}\n`,
			'good.csv': `${HEADER}\n${rows(1, 1)}\n`,
		});
		await runOnce(bucket);
		expect(await store.readText('px/processed/20240101/status.txt')).toMatch(
			/big\.csv\.gz: Too many rows: the file has 350001 rows; at most 350000 are allowed per file/,
		);
		expect(deliveredIds()).toEqual(['1']);
	});

	it('an invalid date folder (dt=20210230) is closed with ERROR and the reason', async () => {
		const { bucket, store } = await seed({ 'a.csv': `${HEADER}\n${rows(1)}\n` }, 'dt=20210230');
		await runOnce(bucket);
		expect(await store.readText('px/processed/20210230/status.txt')).toMatch(
			/^ERROR\nParsing Errors:\[\n {7}the folder name 'dt=20210230' is not a valid date/,
		);
		expect(received).toEqual([]);
		expect(await keysOf(store)).toEqual([
			'px/processed/20210230/_SUCCESS',
			'px/processed/20210230/a.csv',
			'px/processed/20210230/status.txt',
		]);
	});

	it('a marker with no data files is closed with ERROR; data files with no marker are left alone', async () => {
		const { bucket, store } = await seed({}, 'dt=20240101');
		await store.write('px/current/dt=20240102/a.csv', `${HEADER}\n1,2\n`);
		await runOnce(bucket);
		expect(await store.readText('px/processed/20240101/status.txt')).toMatch(
			/no data files next to the marker/,
		);
		expect(await store.head('px/current/dt=20240102/a.csv')).toBeDefined();
	});

	it('10,000 dt= folders are listed without running out of memory (the listing pages; how long it takes is the bench’s, not a test’s)', async () => {
		const { bucket, store } = await newBucket('many');
		const client = s3ClientFor(testSettings());
		await Promise.all(
			Array.from({ length: 10 }, async (_, worker) => {
				for (let i = worker; i < 10_000; i += 10) {
					const day = new Date(Date.UTC(2000, 0, 1) + i * 86_400_000)
						.toISOString()
						.slice(0, 10)
						.replace(/-/g, '');
					await new S3Store(client, bucket).write(`px/current/dt=${day}/a.csv`, `${HEADER}\n1,2\n`);
				}
			}),
		);
		await store.write('px/current/dt=20400101/_SUCCESS', '');
		await store.write('px/current/dt=20400101/a.csv', `${HEADER}\n1,2\n`);
		const heapBefore = process.memoryUsage().heapUsed;
		const data = await poll(workflow(bucket, {}), 'Trigger', credentials());
		expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);
		expect(data![0]).toHaveLength(1);
		expect((data![0][0].json[IMPORT_KEY] as ImportMetadata).file.batch?.folderName).toBe(
			'dt=20400101',
		);
	}, 300_000);
});

describe('security', () => {
	it('secrets never appear in logs, errors, status files, callback bodies or node output', async () => {
		const secret = credentials().s3InboundAwsApi.secretAccessKey as string;
		const { bucket, store } = await seed({
			'a.csv': `${HEADER}\n${rows(1)}\n`,
			'bad.csv': 'x\n1\n',
		});
		proxy.rules.push({ method: 'DELETE', path: /bad\.csv$/, status: 403, code: 'AccessDenied' });
		const { result: run, logs } = await captureLogs(async () => await runOnce(bucket));
		const outputs = JSON.stringify((run as IRun).data.resultData);
		const objects = await Promise.all((await keysOf(store)).map((k) => store.readText(k)));
		const everything = [outputs, ...logs, ...objects, ...receiver.requests.map((r) => r.body)].join(
			'\n',
		);
		for (const value of [secret, API_KEY]) expect(everything).not.toContain(value);
		expect(everything).toMatch(/Access denied/);
	});

	it('a key with ../ cannot make a move write outside the base folder', async () => {
		const { bucket, store } = await seed({ 'a.csv': `${HEADER}\n${rows(1)}\n` });
		await store.write('px/current/dt=20240101/../../../escape.csv', 'id\n1\n');
		const run = await runOnce(bucket);
		expect(runError(run!)).toMatch(
			/Refusing to move .*\.\.\/.*would leave px\/processed\/20240101\//,
		);
		expect((await keysOf(store)).filter((k) => !k.startsWith('px/'))).toEqual([]);
	});
});
