import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { s3ClientFor, settingsFromCredential } from '../../lib/s3/connection';
import { captureLogs, execute, outputOf, poll, pxFlow, runError } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/http';
import { PublishedWorkflow } from '../helpers/published';
import { gzip, newBucket, testSettings } from '../helpers/s3';
import { received } from '../helpers/TestDestination.node';

const API_KEY = 'px-callback-key-7f3e9a';
const HEADER = 'id,score';

let receiver: Receiver;
beforeEach(async () => {
	receiver = await startReceiver([200]);
	received.length = 0;
});
afterEach(async () => await receiver.close());

const credentials = () => ({
	s3InboundAwsApi: testSettings(),
	importStatusCallbackApi: { url: receiver.url, apiKey: API_KEY },
});

function pxWorkflow(bucket: string, staticData: IDataObject = {}, destination: IDataObject = {}) {
	return pxFlow(bucket, staticData, {
		destination,
		statusWriterOptions: { retryDelayMs: 10, timeoutSeconds: 2 },
	});
}

async function seed(files: Record<string, string>, date = '20240101') {
	const { bucket, store } = await newBucket();
	for (const [name, text] of Object.entries(files))
		await store.write(`px/current/dt=${date}/${name}`, name.endsWith('.gz') ? gzip(text) : text);
	await store.write(`px/current/dt=${date}/_SUCCESS`, '');
	return { bucket, store };
}

async function keys(store: { listObjects(p: string): Promise<Array<{ key: string }>> }) {
	return (await store.listObjects('')).map((o) => o.key).sort();
}

async function runOnce(
	bucket: string,
	staticData: IDataObject = {},
	destination: IDataObject = {},
) {
	const workflow = pxWorkflow(bucket, staticData, destination);
	const data = await poll(workflow, 'Trigger', credentials());
	if (!data) return { run: undefined, out: [] as INodeExecutionData[], workflow };
	const run = await execute(workflow, 'Trigger', data, credentials());
	// The whole batch is seen in one execution of the status writer.
	expect(run.data.resultData.runData['PX Status Writer']).toHaveLength(1);
	return { run, out: outputOf(run, 'PX Status Writer'), workflow };
}

const rows = (n: number, from = 1) =>
	Array.from({ length: n }, (_, i) => `${from + i},${i}`).join('\n');

describe('PX Status Writer in the engine', () => {
	it('all valid: SUCCESS with the count, everything moved, one callback', async () => {
		const { bucket, store } = await seed({
			'a.csv.gz': `${HEADER}\n${rows(3)}\n`,
			'b.csv': `${HEADER}\n${rows(2, 10)}\n`,
		});
		const { out } = await runOnce(bucket);
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n5 records were uploaded\n',
		);
		expect(await keys(store)).toEqual([
			'px/processed/20240101/_SUCCESS',
			'px/processed/20240101/a.csv.gz',
			'px/processed/20240101/b.csv',
			'px/processed/20240101/status.txt',
		]);
		expect(receiver.requests).toHaveLength(1);
		expect(receiver.requests[0].method).toBe('POST');
		expect(receiver.requests[0].headers['x-api-key']).toBe(API_KEY);
		expect(JSON.parse(receiver.requests[0].body)).toEqual({
			folder_path: 'px/processed/20240101',
			success: true,
			message: '5 records were uploaded',
		});
		expect(out.map((o) => o.json.status)).toEqual(['SUCCESS']);
		expect(received.flat()).toHaveLength(5);
	});

	it('one invalid file: ERROR with its reasons; the valid file’s rows still delivered; all moved', async () => {
		const { bucket, store } = await seed({
			'a.csv': `${HEADER}\n${rows(2)}\n`,
			'b.csv': `id,flantana_carteret\n1,x\n`,
		});
		await runOnce(bucket);
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			"ERROR\nParsing Errors:[\n       b.csv: Unknown column: 'flantana_carteret'\n]\n2 records were uploaded\n",
		);
		expect((await keys(store)).filter((k) => k.includes('current/'))).toEqual([]);
		expect(JSON.parse(receiver.requests[0].body).success).toBe(false);
	});

	it('a batch closed with ERROR is visible: a failed execution once everything is done (version 2, the default), or a warning hint (version 1 / option off)', async () => {
		const files = { 'a.csv': `${HEADER}\n${rows(2)}\n`, 'b.csv': `id,flantana_carteret\n1,x\n` };
		for (const version of [1, 2]) {
			const { bucket, store } = await seed(files);
			const workflow = pxFlow(
				bucket,
				{},
				{
					statusWriterOptions: { retryDelayMs: 10, timeoutSeconds: 2 },
					statusWriterVersion: version,
				},
			);
			const run = await execute(
				workflow,
				'Trigger',
				(await poll(workflow, 'Trigger', credentials()))!,
				credentials(),
			);
			const expected =
				"1 batch folder closed with ERROR: px/processed/20240101: Parsing Errors:[ b.csv: Unknown column: 'flantana_carteret' ] 2 records were uploaded";
			if (version === 1) {
				// Succeeds, with a warning hint on the node's output.
				expect(runError(run)).toBeUndefined();
				expect(run.data.resultData.runData['PX Status Writer'][0].hints).toEqual([
					expect.objectContaining({ message: expected, type: 'warning' }),
				]);
			} else
				expect(runError(run)).toMatch(
					new RegExp(
						`^${expected.replace(/[[\]().*+?]/g, '\\$&')} \\(The batch is done: status.txt says ERROR`,
					),
				);
			// Either way the batch is done: status, move and callback.
			expect(
				(await store.readText('px/processed/20240101/status.txt'))?.startsWith('ERROR\n'),
			).toBe(true);
			expect((await keys(store)).filter((k) => k.includes('current/'))).toEqual([]);
		}
		expect(receiver.requests.map((r) => JSON.parse(r.body).success)).toEqual([false, false]);
	});

	it('all rejected: no row reaches the destination, and the batch is still closed with ERROR', async () => {
		const { bucket, store } = await seed({ 'a.csv': 'score\n1\n', 'b.csv.gz': 'not,gzip\n' });
		await store.write(
			'px/current/dt=20240101/b.csv.gz',
			Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01]),
		);
		await runOnce(bucket);
		expect(received).toEqual([]);
		const status = await store.readText('px/processed/20240101/status.txt');
		expect(status).toMatch(
			/^ERROR\nParsing Errors:\[\n {7}a\.csv: Missing required column: 'id',\n {7}b\.csv\.gz: .*gzip data is corrupt or truncated.*\n\]\n0 records were uploaded\n$/,
		);
		expect(receiver.requests).toHaveLength(1);
	});

	it('rows the destination failed on, through its error output, make the batch ERROR and are counted', async () => {
		const { bucket, store } = await seed({ 'a.csv': `${HEADER}\n${rows(4)}\n` });
		const { out } = await runOnce(bucket, {}, { failWhen: 'id', failValue: '3' });
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'ERROR\nDestination Errors:[\n       a.csv row 3: Destination refused row 2\n]\n3 records were uploaded\n',
		);
		expect(out[0].json.counts).toMatchObject({ uploaded: 3, failed: 1 });
	});

	it('retries a callback that answers 500 and 408 (Request Timeout), then delivers it once with a stable idempotency key', async () => {
		receiver.answers = [500, 408, 200];
		const { bucket } = await seed({ 'a.csv': `${HEADER}\n${rows(1)}\n` });
		const { out } = await runOnce(bucket);
		expect(receiver.requests).toHaveLength(3);
		expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
		expect(new Set(receiver.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
		expect(out[0].json.callback).toMatchObject({ delivered: true, attempts: 3, status: 200 });
	});

	it('does not retry a 401, reports it, and still writes the status and moves the files', async () => {
		receiver.answers = [401];
		const { bucket, store } = await seed({ 'a.csv': `${HEADER}\n${rows(1)}\n` });
		const {
			result: { out },
			logs,
		} = await captureLogs(() => runOnce(bucket));
		expect(receiver.requests).toHaveLength(1);
		expect(out[0].json.callback).toMatchObject({ delivered: false, attempts: 1, status: 401 });
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n1 records were uploaded\n',
		);
		// The API key appears nowhere but in the request header.
		const everything = [
			JSON.stringify(out),
			...logs,
			...(await Promise.all((await keys(store)).map((k) => store.readText(k)))),
		].join('\n');
		expect(everything).not.toContain(API_KEY);
		expect(logs.join('\n')).toMatch(
			/status callback for px\/processed\/20240101\/ failed \(1 attempts in 1 runs since .*\): the endpoint answered 401 Unauthorized\. The batch stays open \(its marker under current\/\); a later run sends it again at /,
		);
	});

	it('a move interrupted after the copy is completed by the next run: nothing lost, nothing duplicated, same status', async () => {
		const { bucket, store } = await seed({
			'a.csv': `${HEADER}\n${rows(2)}\n`,
			'b.csv': `${HEADER}\n${rows(2, 5)}\n`,
		});
		// moto cannot be made to fail one DeleteObject, so the shared client's middleware fails the
		// delete of b.csv once, after its copy was made: an injected fault.
		const client = s3ClientFor(
			settingsFromCredential(testSettings() as unknown as Record<string, unknown>),
		);
		let failed = 0;
		client.middlewareStack.add(
			(next, context) => async (args) => {
				const input = args.input as { Key?: string };
				if (
					context.commandName === 'DeleteObjectCommand' &&
					input.Key?.endsWith('current/dt=20240101/b.csv') &&
					failed === 0
				) {
					failed++;
					throw Object.assign(new Error('injected'), {
						name: 'InternalError',
						$metadata: { httpStatusCode: 500 },
					});
				}
				return await next(args);
			},
			{ step: 'initialize', name: 'failOneDelete' },
		);
		const n8n = new PublishedWorkflow(
			(staticData) => pxWorkflow(bucket, staticData),
			'Trigger',
			credentials(),
		);
		let first;
		try {
			first = await n8n.pollAndRun();
		} finally {
			client.middlewareStack.remove('failOneDelete');
		}
		expect(runError(first!)).toMatch(/Could not complete 1 batch folder.*delete s3:\/\/.*b\.csv/);
		expect(await keys(store)).toEqual([
			'px/current/dt=20240101/_SUCCESS',
			'px/current/dt=20240101/b.csv',
			'px/processed/20240101/.s3-inbound-batch.json',
			'px/processed/20240101/a.csv',
			'px/processed/20240101/b.csv',
		]);
		expect(received.flat()).toHaveLength(4);

		// The lease runs out; the next poll hands the folder on to be completed, not re-imported.
		n8n.advance(16 * 60_000);
		let second;
		try {
			second = await n8n.pollAndRun();
		} finally {
			n8n.dispose();
		}
		expect(outputOf(second!, 'PX Status Writer')[0].json).toMatchObject({
			resumed: true,
			status: 'SUCCESS',
			attempt: 2,
		});
		expect(received.flat()).toHaveLength(4);
		expect(await keys(store)).toEqual([
			'px/processed/20240101/_SUCCESS',
			'px/processed/20240101/a.csv',
			'px/processed/20240101/b.csv',
			'px/processed/20240101/status.txt',
		]);
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n4 records were uploaded\n',
		);
		// The callback went once per run that reached it, with the same body and key.
		expect(receiver.requests.length).toBeGreaterThanOrEqual(1);
		expect(
			new Set(receiver.requests.map((r) => `${r.body}|${String(r.headers['idempotency-key'])}`))
				.size,
		).toBe(1);
	});
});

/** Both flows of a test: poll once, run the execution; `px` options as in pxFlow. */
async function runFlow(bucket: string, px: Parameters<typeof pxFlow>[2]) {
	const workflow = pxFlow(
		bucket,
		{},
		{
			statusWriterOptions: { retryDelayMs: 10, timeoutSeconds: 2 },
			statusWriterVersion: 2,
			...px,
		},
	);
	const data = await poll(workflow, 'Trigger', credentials());
	expect(data).not.toBeNull();
	const run = await execute(workflow, 'Trigger', data!, credentials());
	return { run, out: outputOf(run, 'PX Status Writer') };
}

async function seedFolders(folders: Record<string, Record<string, string>>) {
	const { bucket, store } = await newBucket();
	for (const [date, files] of Object.entries(folders)) {
		for (const [name, text] of Object.entries(files))
			await store.write(`px/current/dt=${date}/${name}`, text);
		await store.write(`px/current/dt=${date}/_SUCCESS`, '');
	}
	return { bucket, store };
}

describe('PX Status Writer: every batch handed on closes, or the execution fails', () => {
	it('a destination that fails one call for all rows (one error item naming no row, as n8n’s Postgres node in Single Query mode) makes every batch ERROR, quoting its message, and the execution fails', async () => {
		const { bucket, store } = await seedFolders({
			'20240101': { 'a.csv': `${HEADER}\n${rows(3)}\n` },
			'20240102': { 'b.csv': `${HEADER}\n${rows(2, 10)}\n` },
		});
		const message = 'duplicate key value violates unique constraint "users_pkey"';
		const { run } = await runFlow(bucket, {
			destination: { failWholeCall: message },
			triggerOptions: { maxFolders: 5 },
		});
		for (const date of ['20240101', '20240102']) {
			expect(await store.readText(`px/processed/${date}/status.txt`)).toBe(
				`ERROR\nDestination Errors:[\n       the destination failed without naming a row: "${message}"\n]\n0 records were uploaded\n`,
			);
		}
		expect(receiver.requests.map((r) => JSON.parse(r.body).success)).toEqual([false, false]);
		expect(runError(run)).toMatch(
			/^2 batch folders closed with ERROR: px\/processed\/20240101: .*users_pkey.*; px\/processed\/20240102: /,
		);
	});

	it('a batch none of whose rows reached the status writer is closed with ERROR, next to a batch that succeeded', async () => {
		const { bucket, store } = await seedFolders({
			'20240101': { 'a.csv': `${HEADER}\n${rows(3)}\n` },
			'20240102': { 'b.csv': `${HEADER}\n7,0\n` },
		});
		// The destination hands on nothing for row 7 (as a filter would), the only row of 20240102.
		const { run } = await runFlow(bucket, {
			destination: { dropWhen: 'id', dropValue: '7' },
			triggerOptions: { maxFolders: 5 },
		});
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n3 records were uploaded\n',
		);
		expect(await store.readText('px/processed/20240102/status.txt')).toBe(
			'ERROR\nMissing Rows:[\n       b.csv: none of its rows reached the status writer\n]\n0 records were uploaded\n',
		);
		expect(runError(run)).toMatch(
			/^1 batch folder closed with ERROR: px\/processed\/20240102: Missing Rows:\[ b\.csv: none of its rows reached the status writer \] 0 records were uploaded/,
		);
	});

	it('items that cannot be traced to a file while rows are missing: nothing is closed, the execution fails naming the folder', async () => {
		const { bucket, store } = await seedFolders({
			'20240101': { 'a.csv': `${HEADER}\n${rows(5)}\n` },
		});
		// Two answers for five rows, with no paired items: n8n cannot pair them, nor can the writer.
		const { run, out } = await runFlow(bucket, { destination: { unpaired: 2 } });
		expect(runError(run)).toMatch(
			/^Could not decide the outcome of 1 batch folder: px\/current\/dt=20240101\/: 2 items reached the status writer that could not be traced to a file/,
		);
		expect(out).toEqual([]);
		expect((await keys(store)).filter((k) => k.startsWith('px/processed/'))).toEqual([]);
		expect(receiver.requests).toHaveLength(0);
	});

	it('batches of rows (Field Mapper version 3): counted by their rows, a failed batch fails its rows and names them', async () => {
		const { bucket, store } = await seedFolders({
			'20240101': { 'a.csv': `${HEADER}\n${rows(7)}\n` },
		});
		const { out } = await runFlow(bucket, {
			fieldMapperVersion: 3,
			fieldMapper: { output: 'batches', rowsPerBatch: 3 },
			destination: { failWhen: 'id', failValue: '5' },
			statusWriterVersion: 1,
		});
		// Batches: rows 1-3, 4-6 (holds id 5: refused), 7.
		expect(received.flat()).toHaveLength(3);
		expect(received.flat().map((b) => (b.json.rows as unknown[]).length)).toEqual([3, 3, 1]);
		expect(received.flat()[1].json._import).toMatchObject({ row: 4, lastRow: 6, rowCount: 3 });
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'ERROR\nDestination Errors:[\n       a.csv rows 4-6: Destination refused row 1\n]\n4 records were uploaded\n',
		);
		expect(out[0].json.counts).toMatchObject({ uploaded: 4, failed: 3 });
	});

	it('batches of rows as JSON text: the same items with the rows as one text, counted by their rows', async () => {
		const { bucket, store } = await seedFolders({
			'20240101': { 'a.csv': `${HEADER}\n${rows(7)}\n` },
		});
		const { out } = await runFlow(bucket, {
			fieldMapperVersion: 3,
			fieldMapper: { output: 'batches', rowsPerBatch: 3, rowsAs: 'text' },
			destination: { replaceJson: false },
			statusWriterVersion: 1,
		});
		const batches = received.flat();
		expect(batches.map((b) => typeof b.json.rows)).toEqual(['string', 'string', 'string']);
		expect(JSON.parse(batches[2].json.rows as string)).toEqual([{ id: '7', score: 6 }]);
		expect(batches[1].json._import).toMatchObject({ row: 4, lastRow: 6, rowCount: 3 });
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n7 records were uploaded\n',
		);
		expect(out[0].json.counts).toMatchObject({ uploaded: 7, failed: 0 });
	});

	it('rows of Field Mapper version 3 hold only their fields; the status writer traces them through paired items', async () => {
		const { bucket, store } = await seedFolders({
			'20240101': { 'a.csv': `${HEADER}\n${rows(4)}\n` },
		});
		await runFlow(bucket, { fieldMapperVersion: 3, destination: { replaceJson: false } });
		expect(received.flat().map((i) => i.json)).toEqual([
			{ id: '1', score: 0 },
			{ id: '2', score: 1 },
			{ id: '3', score: 2 },
			{ id: '4', score: 3 },
		]);
		expect(received.flat()[2]._import).toMatchObject({
			row: 3,
			file: { key: 'px/current/dt=20240101/a.csv' },
		});
		expect(await store.readText('px/processed/20240101/status.txt')).toBe(
			'SUCCESS\n4 records were uploaded\n',
		);
	});
});
