#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench`: a 350,000-row import through our nodes and through n8n's built-in nodes, in the
 * same real n8n server (2.41.1, Node 24), one after the other, execution-data saving off for both.
 *
 *   ours:     S3 CSV Inbound Trigger (marker folder) -> Field Mapper (strict, 12 typed fields)
 *             -> Account Matcher (100,000 accounts, CRM ID) -> PX Status Writer
 *   builtin:  Webhook -> S3 (download) -> Compression (gunzip) -> Extract From File (CSV)
 *             -> Edit Fields (the same 12 fields and types)
 *
 * Each pipeline runs 3 times (median). Wall time is measured from the outside (request or
 * publish until done) and from n8n's own record (its debug log's start/finish of the execution);
 * peak RSS is of the whole n8n process tree. Then a size sweep for ours, and a stage breakdown.
 * The last line is the summary the README quotes.
 */
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { request } = require('node:http');
const { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } = require('@aws-sdk/client-s3');

const { startMoto } = require('./lib/moto');
const { startReceiver } = require('./lib/receiver');
const { startN8n, PACKAGE_NAME } = require('./lib/n8n');
const { userCsvGz, directory, FIELDS } = require('./lib/benchData');
const { peakSampler, median, mb, treeRss } = require('./lib/measure');
const { stageBreakdown, printStages } = require('./bench-stages');

const out = (/** @type {string} */ t) => process.stdout.write(`${t}\n`);
const ROWS = Number(process.env.BENCH_ROWS || 350_000);
const RUNS = Number(process.env.BENCH_RUNS || 3);
const BUCKET = 'bench';
const NO_SAVING = { executionOrder: 'v1', saveDataSuccessExecution: 'none', saveDataErrorExecution: 'all', saveManualExecutions: false, saveExecutionProgress: false };

async function main() {
	out(`Benchmark: ${ROWS.toLocaleString('en')} rows x 12 columns, ${RUNS} runs per pipeline, on ${require('node:os').cpus().length} cores.`);
	const stages = await stageBreakdown(ROWS);

	const moto = await startMoto();
	const receiver = await startReceiver({ directory: directory(100_000) });
	const s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench-secret' } });
	await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
	/** @param {string} key @param {Buffer | string} body */
	const put = (key, body) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentLength: Buffer.byteLength(body) }));
	/** @param {string} key */
	const exists = async (key) => {
		try {
			await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
			return true;
		} catch {
			return false;
		}
	};
	/** @param {string} key */
	const getText = async (key) => (await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString()) ?? '';
	const file = userCsvGz(ROWS);
	await put('builtin/users.csv.gz', file);

	// The built-in pipeline is run with n8n's legacy expression engine, its fastest (the default
	// engine did not finish 350,000 rows in 5 minutes on this machine). Ours evaluates no
	// expression per row, so the setting does not matter to it. Every run gets a fresh n8n server
	// (same installation and settings), so that each peak starts from the same idle footprint.
	/** @type {number[]} */
	const idle = [];
	/** @template T @param {(n8n: import('./lib/n8n').N8nServer, creds: { ours: string, generic: string }) => Promise<T>} fn */
	const withFreshN8n = async (fn) => {
		const n8n = await startN8n({
			userFolder: mkdtempSync(path.join(tmpdir(), 'n8n-bench-')),
			quiet: true,
			env: { N8N_EXPRESSION_ENGINE: 'legacy', N8N_LOG_LEVEL: 'debug', N8N_PAYLOAD_SIZE_MAX: '64', EXECUTIONS_TIMEOUT: '-1' },
		});
		try {
			const ours = await n8n.api('POST', '/credentials', {
				name: 'bench s3 inbound',
				type: 's3InboundAwsApi',
				data: { authentication: 'accessKeys', accessKeyId: 'bench', secretAccessKey: 'bench-secret', region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true },
			});
			const generic = await n8n.api('POST', '/credentials', {
				name: 'bench s3',
				type: 's3',
				data: { endpoint: moto.endpoint, region: 'us-east-1', accessKeyId: 'bench', secretAccessKey: 'bench-secret', forcePathStyle: true, ignoreSSLIssues: false },
			});
			await new Promise((r) => setTimeout(r, 2000));
			idle.push(treeRss(/** @type {number} */ (n8n.pid)));
			return await fn(n8n, { ours: ours.id, generic: generic.id });
		} finally {
			if (process.env.BENCH_LOG) require('node:fs').appendFileSync(process.env.BENCH_LOG, n8n.log());
			await n8n.stop();
		}
	};

	/** n8n's own start/finish of an execution, from its debug log, in ms. */
	const n8nMs = (/** @type {import('./lib/n8n').N8nServer} */ n8n, /** @type {number} */ since) => {
		let start;
		let end;
		for (const l of n8n.log().split('\n')) {
			const t = Date.parse(l.slice(0, 24));
			if (!(t >= since)) continue;
			if (/Workflow execution started/.test(l) && start === undefined) start = t;
			if (/Workflow execution finished/.test(l)) end = t;
		}
		return start !== undefined && end !== undefined ? end - start : undefined;
	};

	/** One run of ours on a fresh folder holding `files` files of `rows` rows. */
	const runOurs = (/** @type {string} */ label, /** @type {number} */ rows, /** @type {number} */ files) =>
		withFreshN8n(async (n8n, creds) => {
			const base = `ours-${label}`;
			for (let f = 0; f < files; f++) await put(`${base}/current/dt=20240101/users-${f}.csv.gz`, rows === ROWS && f === 0 ? file : userCsvGz(rows, { seed: 42 + f, startId: f * rows }));
			await put(`${base}/current/dt=20240101/_SUCCESS`, '');
			const workflow = await n8n.api('POST', '/workflows', oursWorkflow(base, creds.ours, receiver.url));
			const sampler = peakSampler(/** @type {number} */ (n8n.pid));
			const started = Date.now();
			await n8n.api('POST', `/workflows/${workflow.id}/publish`, {});
			const deadline = Date.now() + 15 * 60_000;
			while (!(await exists(`${base}/processed/20240101/status.txt`))) {
				if (Date.now() > deadline) throw new Error(`ours (${label}) did not finish in 15 minutes`);
				await new Promise((r) => setTimeout(r, 50));
			}
			const wall = Date.now() - started;
			const peak = sampler.stop();
			const status = (await getText(`${base}/processed/20240101/status.txt`)).split('\n')[0];
			if (status !== 'SUCCESS') throw new Error(`ours (${label}) ended with ${status}`);
			return { wall, n8nMs: n8nMs(n8n, started), peak, rows: rows * files };
		});

	const runBuiltin = () =>
		withFreshN8n(async (n8n, creds) => {
			const workflow = await n8n.api('POST', '/workflows', builtinDefinition(creds.generic));
			await n8n.api('POST', `/workflows/${workflow.id}/publish`, {});
			const sampler = peakSampler(/** @type {number} */ (n8n.pid));
			// Publishing registers the webhook a moment later: until then n8n answers 404 at once.
			let started = Date.now();
			let status = await postAndWait(`${n8n.url}/webhook/bench-builtin`);
			for (let tries = 0; status === 404 && tries < 150; tries++) {
				await new Promise((r) => setTimeout(r, 200));
				started = Date.now();
				status = await postAndWait(`${n8n.url}/webhook/bench-builtin`);
			}
			const wall = Date.now() - started;
			if (status >= 300) throw new Error(`built-in pipeline failed: ${status}`);
			return { wall, n8nMs: n8nMs(n8n, started), peak: sampler.stop(), rows: ROWS };
		});

	try {
		/** @type {Record<string, Array<{wall:number,n8nMs?:number,peak:number,rows:number}>>} */
		const results = { ours: [], builtin: [] };
		for (let i = 0; i < RUNS; i++) {
			results.ours.push(await runOurs(`run${i}`, ROWS, 1));
			out(`  ours run ${i + 1}: ${(results.ours[i].wall / 1000).toFixed(1)} s, peak ${mb(results.ours[i].peak)} MB`);
		}
		for (let i = 0; i < RUNS; i++) {
			results.builtin.push(await runBuiltin());
			out(`  builtin run ${i + 1}: ${(results.builtin[i].wall / 1000).toFixed(1)} s, peak ${mb(results.builtin[i].peak)} MB`);
		}
		/** @type {Array<{label:string, r:{wall:number,n8nMs?:number,peak:number,rows:number}}>} */
		const sweep = [];
		// Each sweep run also starts from a fresh server.
		for (const [label, rows, files] of /** @type {Array<[string, number, number]>} */ ([['50k', 50_000, 1], ['100k', 100_000, 1], ['3x350k', ROWS, 3]])) {
			sweep.push({ label, r: await runOurs(`sweep-${label}`, rows, files) });
			out(`  sweep ${label}: ${(sweep[sweep.length - 1].r.wall / 1000).toFixed(1)} s`);
		}

		const summary = (/** @type {Array<{wall:number,n8nMs?:number,peak:number,rows:number}>} */ runs) => {
			const wall = median(runs.map((r) => r.wall));
			const inside = runs.map((r) => r.n8nMs).filter((v) => v !== undefined);
			return { wall, n8nMs: inside.length ? median(/** @type {number[]} */ (inside)) : undefined, rowsPerSec: Math.round((runs[0].rows / wall) * 1000), peakMb: mb(median(runs.map((r) => r.peak))) };
		};
		const o = summary(results.ours);
		const b = summary(results.builtin);
		out('');
		out(`n8n 2.41.1 on Node 24, the same installation and settings, execution-data saving off, ${RUNS} runs each, median:`);
		out('| pipeline | rows | wall, outside (s) | wall, n8n log (s) | rows/s | peak RSS, n8n tree (MB) |');
		out('|---|---:|---:|---:|---:|---:|');
		const sec = (/** @type {number | undefined} */ ms) => (ms === undefined ? 'n/a' : (ms / 1000).toFixed(1));
		out(`| ours | ${ROWS.toLocaleString('en')} | ${sec(o.wall)} | ${sec(o.n8nMs)} | ${o.rowsPerSec.toLocaleString('en')} | ${o.peakMb} |`);
		out(`| builtin | ${ROWS.toLocaleString('en')} | ${sec(b.wall)} | ${sec(b.n8nMs)} | ${b.rowsPerSec.toLocaleString('en')} | ${b.peakMb} |`);
		out(`(A fresh n8n server for every run; its idle footprint before the run: median ${mb(median(idle))} MB.)`);
		out('\nSize sweep, ours (one run each, fresh server):');
		out('| files x rows | rows | wall (s) | rows/s | peak RSS (MB) |');
		out('|---|---:|---:|---:|---:|');
		for (const { label, r } of [{ label: `1 x ${ROWS / 1000}k (median above)`, r: { wall: o.wall, rows: ROWS, peak: o.peakMb * 1024 * 1024 } }, ...sweep]) {
			out(`| ${label} | ${r.rows.toLocaleString('en')} | ${sec(r.wall)} | ${Math.round((r.rows / r.wall) * 1000).toLocaleString('en')} | ${mb(r.peak)} |`);
		}
		printStages(stages);
		const speed = o.rowsPerSec / b.rowsPerSec;
		const memory = o.peakMb / b.peakMb;
		out('');
		out(`bench: ours ${o.rowsPerSec} rows/s ${o.peakMb} MB; builtin ${b.rowsPerSec} rows/s ${b.peakMb} MB; speed x ${speed.toFixed(1)}; memory x ${memory.toFixed(2)}`);
	} finally {
		await receiver.close();
		s3.destroy();
		await moto.stop();
	}
}

/** POSTs and waits for the answer however long it takes (fetch gives up after 5 minutes). @param {string} url */
function postAndWait(url) {
	return new Promise((resolve, reject) => {
		const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
			res.resume();
			res.on('end', () => resolve(res.statusCode ?? 0));
		});
		req.on('error', reject);
		req.end('{}');
	});
}

/** @param {string} base @param {string} credentialId @param {string} receiverUrl */
function oursWorkflow(base, credentialId, receiverUrl) {
	const cred = { s3InboundAwsApi: { id: credentialId, name: 'bench s3 inbound' } };
	return {
		name: `bench ours ${base}`,
		settings: NO_SAVING,
		nodes: [
			{ id: 'b1', name: 'S3 CSV Inbound Trigger', type: `${PACKAGE_NAME}.s3CsvInboundTrigger`, typeVersion: 1, position: [0, 0], credentials: cred,
				parameters: { pollTimes: { item: [{ mode: 'everyHour' }] }, mode: 'markerFolders', bucketPath: BUCKET, baseFolder: base, intervalMinutes: 60, options: { maxRowsPerRun: 2_000_000 } } },
			{ id: 'b2', name: 'Field Mapper', type: `${PACKAGE_NAME}.fieldMapper`, typeVersion: 1, position: [200, 0],
				parameters: { mode: 'strict', fieldsFrom: 'node', fields: { field: FIELDS }, dateFormat: 'yyyy-MM-dd', options: {} } },
			{ id: 'b3', name: 'Get Accounts', type: 'n8n-nodes-base.httpRequest', typeVersion: 4.2, position: [200, 200], executeOnce: true,
				parameters: { url: `${receiverUrl}/directory`, options: {} } },
			{ id: 'b4', name: 'Account Matcher', type: `${PACKAGE_NAME}.accountMatcher`, typeVersion: 1, position: [400, 0],
				parameters: { entity: 'account', matchingColumn: 'accountCrmId', accountMatchingType: 'crmId', directoryKeyField: 'crmId', directoryIdField: 'id', duplicates: 'keepAll', dateColumn: 'date' } },
			{ id: 'b5', name: 'PX Status Writer', type: `${PACKAGE_NAME}.pxStatusWriter`, typeVersion: 1, position: [600, 0], credentials: cred, parameters: { sendCallback: false, options: {} } },
		],
		connections: {
			'S3 CSV Inbound Trigger': { main: [[{ node: 'Field Mapper', type: 'main', index: 0 }]] },
			'Field Mapper': { main: [[{ node: 'Account Matcher', type: 'main', index: 0 }, { node: 'Get Accounts', type: 'main', index: 0 }], [{ node: 'PX Status Writer', type: 'main', index: 2 }]] },
			'Get Accounts': { main: [[{ node: 'Account Matcher', type: 'main', index: 1 }]] },
			'Account Matcher': { main: [[{ node: 'PX Status Writer', type: 'main', index: 0 }], [], []] },
		},
	};
}

/** @param {string} credentialId */
function builtinDefinition(credentialId) {
	const expression = (/** @type {Record<string, unknown>} */ f) => {
		const source = /** @type {string} */ (f.source ?? f.target);
		if (f.type === 'number') return `={{ Number($json.${source}) }}`;
		if (f.type === 'boolean') return `={{ $json.${source}.toLowerCase() === 'true' }}`;
		if (f.type === 'date') return `={{ DateTime.fromFormat($json.${source}, 'yyyyMMdd', { zone: 'utc' }).toISODate() }}`;
		if (f.type === 'datetime') return `={{ DateTime.fromISO($json.${source}).toUTC().toISO() }}`;
		return `={{ $json.${source} }}`;
	};
	return {
		name: 'bench builtin',
		settings: NO_SAVING,
		nodes: [
			{ id: 'w1', name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0], webhookId: 'bench-builtin',
				parameters: { httpMethod: 'POST', path: 'bench-builtin', responseMode: 'lastNode', responseData: 'noData', options: {} } },
			{ id: 'w2', name: 'S3', type: 'n8n-nodes-base.s3', typeVersion: 1, position: [200, 0], credentials: { s3: { id: credentialId, name: 'bench s3' } },
				parameters: { resource: 'file', operation: 'download', bucketName: BUCKET, fileKey: 'builtin/users.csv.gz', binaryPropertyName: 'data' } },
			{ id: 'w3', name: 'Compression', type: 'n8n-nodes-base.compression', typeVersion: 1.1, position: [400, 0],
				parameters: { operation: 'decompress', binaryPropertyName: 'data', outputPrefix: 'file_' } },
			{ id: 'w4', name: 'Extract From File', type: 'n8n-nodes-base.extractFromFile', typeVersion: 1.1, position: [600, 0],
				parameters: { operation: 'csv', binaryPropertyName: 'file_0', options: {} } },
			{ id: 'w5', name: 'Edit Fields', type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [800, 0],
				parameters: {
					mode: 'manual',
					assignments: {
						assignments: FIELDS.map((f, i) => ({ id: `a${i}`, name: f.target, value: expression(f), type: f.type === 'date' || f.type === 'datetime' ? 'string' : f.type })),
					},
					options: {},
				} },
		],
		connections: {
			Webhook: { main: [[{ node: 'S3', type: 'main', index: 0 }]] },
			S3: { main: [[{ node: 'Compression', type: 'main', index: 0 }]] },
			Compression: { main: [[{ node: 'Extract From File', type: 'main', index: 0 }]] },
			'Extract From File': { main: [[{ node: 'Edit Fields', type: 'main', index: 0 }]] },
		},
	};
}

main().catch((error) => {
	process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
	process.exit(1);
});
