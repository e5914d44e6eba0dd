#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench`, in two parts (BENCH_PARTS=map,db by default; one of them to run it alone; and
 * `variants`, not run by default: ours' variants on one file, see scripts/lib/dbBench.js).
 *
 * db: the job users have. A marker folder of 1 x 350,000 and of 5 x 350,000 rows lands in a
 * PostgreSQL table, under n8n's defaults (execution data saved, its default expression engine),
 * each run in a fresh demo set-up (scripts/lib/demo.js: moto, receiver, PostgreSQL, n8n 2.41.1):
 *   ours:  the shipped marker-folder example as the demo sets it up (trigger -> Execute
 *          Sub-workflow per file -> Field Mapper, 1,000 rows per item -> n8n's Postgres node, one
 *          statement per item -> Report File Outcome; the parent's PX Status Writer closes the folder),
 *          its fields and statement edited for the bench's 12-column table (scripts/lib/benchDb.js);
 *   code:  what an expert builds with n8n's built-in nodes, per file in a sub-workflow: S3 ->
 *          Compression -> Extract From File -> Code (the same typed fields, 1,000 rows per item) ->
 *          n8n's Postgres node, the same statement;
 *   floor: gunzip alone and `psql \copy` of the same CSV into the same table, beside each ours run.
 * A 2,000-row sample goes through all three first, and the bench stops unless the three tables
 * hold the same rows. The last line is `bench-db: …`.
 *
 * map: read and map only. A 350,000-row import through our nodes and through n8n's built-in
 * nodes, in the same n8n installation (2.41.1, Node 24), a fresh server per run, execution-data
 * saving off, ending in the `bench: …` line:
 *   ours:        S3 CSV Inbound Trigger (marker folder; hands on the file) -> Field Mapper (reads
 *                it, strict, 12 typed fields) -> PX Status Writer (status.txt, moves)
 *   code:        Webhook -> S3 (download) -> Compression (gunzip) -> Extract From File (CSV)
 *                -> Code node (the same 12 fields, written as an expert would): the baseline
 *   editfields:  the same, with Edit Fields instead of the Code node (one run: it is slow)
 * First a check that the Code node gives exactly ours' output on a sample. Wall time is measured
 * from the outside (request or publish until done) and from n8n's debug log; memory is the peak
 * RSS of the n8n process tree (main process and task runner) above the same server's idle RSS
 * just before the run. Then a size sweep for ours, a per-node breakdown inside the execution, and
 * a stage breakdown in one process.
 */
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { request } = require('node:http');
const {
	CreateBucketCommand,
	GetObjectCommand,
	HeadObjectCommand,
	PutObjectCommand,
	S3Client,
} = require('@aws-sdk/client-s3');

const { startMoto } = require('./lib/moto');
const { startReceiver } = require('./lib/receiver');
const { startN8n, PACKAGE_NAME } = require('./lib/n8n');
const { userCsvGz, FIELDS } = require('./lib/benchData');
const { peakSampler, median, mb, treeRss } = require('./lib/measure');
const { stageBreakdown, printStages } = require('./bench-stages');
const { expertCode } = require('./lib/benchDb');
const { dbBench, dbVariants } = require('./lib/dbBench');

const out = (/** @type {string} */ t) => process.stdout.write(`${t}\n`);
const ROWS = Number(process.env.BENCH_ROWS || 350_000);
const RUNS = Number(process.env.BENCH_RUNS || 3);
const EDIT_FIELDS_RUNS = Number(process.env.BENCH_EDIT_FIELDS_RUNS ?? 1);
const BUCKET = 'bench';
const NO_SAVING = {
	executionOrder: 'v1',
	saveDataSuccessExecution: 'none',
	saveDataErrorExecution: 'all',
	saveManualExecutions: false,
	saveExecutionProgress: false,
};

/** The read-and-map part; prints its tables and returns its `bench:` line. */
async function mapBench() {
	out(
		`Read and map: ${ROWS.toLocaleString('en')} rows x 12 columns, ${RUNS} runs per pipeline, on ${require('node:os').cpus().length} cores.`,
	);
	const stages = await stageBreakdown(ROWS);

	const moto = await startMoto();
	const receiver = await startReceiver({});
	const s3 = new S3Client({
		region: 'us-east-1',
		endpoint: moto.endpoint,
		forcePathStyle: true,
		credentials: { accessKeyId: 'bench', secretAccessKey: 'bench-secret' },
	});
	await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
	/** @param {string} key @param {Buffer | string} body */
	const put = (key, body) =>
		s3.send(
			new PutObjectCommand({
				Bucket: BUCKET,
				Key: key,
				Body: body,
				ContentLength: Buffer.byteLength(body),
			}),
		);
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
	const getText = async (key) =>
		(await (
			await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
		).Body?.transformToString()) ?? '';
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
			env: {
				N8N_EXPRESSION_ENGINE: 'legacy',
				N8N_LOG_LEVEL: 'debug',
				N8N_PAYLOAD_SIZE_MAX: '64',
				EXECUTIONS_TIMEOUT: '-1',
			},
		});
		try {
			const ours = await n8n.api('POST', '/credentials', {
				name: 'bench s3 inbound',
				type: 's3InboundAwsApi',
				data: {
					authentication: 'accessKeys',
					accessKeyId: 'bench',
					secretAccessKey: 'bench-secret',
					region: 'us-east-1',
					endpoint: moto.endpoint,
					forcePathStyle: true,
				},
			});
			const generic = await n8n.api('POST', '/credentials', {
				name: 'bench s3',
				type: 's3',
				data: {
					endpoint: moto.endpoint,
					region: 'us-east-1',
					accessKeyId: 'bench',
					secretAccessKey: 'bench-secret',
					forcePathStyle: true,
					ignoreSSLIssues: false,
				},
			});
			await new Promise((r) => setTimeout(r, 2000));
			idle.push(treeRss(/** @type {number} */ (n8n.pid)));
			return await fn(n8n, { ours: ours.id, generic: generic.id });
		} finally {
			if (process.env.BENCH_LOG)
				require('node:fs').appendFileSync(process.env.BENCH_LOG, n8n.log());
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

	/** Per node: ms from n8n's debug log ("Running node … started" to "… finished"), since `since`. */
	const nodeMs = (
		/** @type {import('./lib/n8n').N8nServer} */ n8n,
		/** @type {number} */ since,
	) => {
		/** @type {Record<string, number>} */
		const started = {};
		/** @type {Record<string, number>} */
		const took = {};
		for (const l of n8n.log().split('\n')) {
			const t = Date.parse(l.slice(0, 24));
			if (!(t >= since)) continue;
			const m = /Running node "(.+)" (started|finished successfully)/.exec(l);
			if (!m) continue;
			if (m[2] === 'started') started[m[1]] = t;
			else if (started[m[1]] !== undefined) took[m[1]] = t - started[m[1]];
		}
		return took;
	};
	/** From publishing to the execution's start: the poll plus n8n's hand-over. */
	const startMs = (
		/** @type {import('./lib/n8n').N8nServer} */ n8n,
		/** @type {number} */ since,
	) => {
		for (const l of n8n.log().split('\n')) {
			const t = Date.parse(l.slice(0, 24));
			if (t >= since && /Workflow execution started/.test(l)) return t - since;
		}
		return undefined;
	};

	/** One run of ours on a fresh folder holding `files` files of `rows` rows. */
	const runOurs = (
		/** @type {string} */ label,
		/** @type {number} */ rows,
		/** @type {number} */ files,
		/** @type {object} */ settings = NO_SAVING,
	) =>
		withFreshN8n(async (n8n, creds) => {
			const base = `ours-${label}`;
			for (let f = 0; f < files; f++)
				await put(
					`${base}/current/dt=20240101/users-${f}.csv.gz`,
					rows === ROWS && f === 0 ? file : userCsvGz(rows, { seed: 42 + f, startId: f * rows }),
				);
			await put(`${base}/current/dt=20240101/_SUCCESS`, '');
			const workflow = await n8n.api(
				'POST',
				'/workflows',
				oursWorkflow(base, creds.ours, settings),
			);
			const idleNow = treeRss(/** @type {number} */ (n8n.pid));
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
			/** @type {any[] | undefined} */
			let mapped;
			if (settings !== NO_SAVING) {
				await new Promise((r) => setTimeout(r, 1000));
				const executions = await n8n.api(
					'GET',
					`/executions?workflowId=${workflow.id}&includeData=true`,
				);
				mapped = executions.data[0]?.data?.resultData?.runData?.[
					'Field Mapper'
				]?.[0]?.data?.main?.[0]?.map((/** @type {any} */ i) => i.json);
			}
			return {
				wall,
				n8nMs: n8nMs(n8n, started),
				peak,
				above: peak - idleNow,
				rows: rows * files,
				startMs: startMs(n8n, started),
				nodes: nodeMs(n8n, started),
				mapped,
			};
		});

	/** One run of a built-in pipeline (webhook-started), `kind` = code or editfields. */
	const runBuiltin = (
		/** @type {'code' | 'editfields'} */ kind,
		/** @type {string} */ key = 'builtin/users.csv.gz',
		/** @type {number} */ rows = ROWS,
		responseData = 'noData',
	) =>
		withFreshN8n(async (n8n, creds) => {
			const workflow = await n8n.api(
				'POST',
				'/workflows',
				builtinDefinition(creds.generic, kind, key, responseData),
			);
			await n8n.api('POST', `/workflows/${workflow.id}/publish`, {});
			const idleNow = treeRss(/** @type {number} */ (n8n.pid));
			const sampler = peakSampler(/** @type {number} */ (n8n.pid));
			// Publishing registers the webhook a moment later: until then n8n answers 404 at once.
			let started = Date.now();
			let answer = await postAndWait(`${n8n.url}/webhook/bench-${kind}`);
			for (let tries = 0; answer.status === 404 && tries < 150; tries++) {
				await new Promise((r) => setTimeout(r, 200));
				started = Date.now();
				answer = await postAndWait(`${n8n.url}/webhook/bench-${kind}`);
			}
			const wall = Date.now() - started;
			const peak = sampler.stop();
			if (answer.status >= 300)
				throw new Error(`${kind} pipeline failed: ${answer.status} ${answer.body.slice(0, 500)}`);
			return {
				wall,
				n8nMs: n8nMs(n8n, started),
				peak,
				above: peak - idleNow,
				rows,
				nodes: nodeMs(n8n, started),
				body: answer.body,
			};
		});

	try {
		// The Code node must produce what ours produces: the same 12 typed fields, row for row.
		const SAMPLE = 2000;
		await put('builtin/sample.csv.gz', userCsvGz(SAMPLE, { seed: 7 }));
		await put('ours-check/current/dt=20240101/users.csv.gz', userCsvGz(SAMPLE, { seed: 7 }));
		await put('ours-check/current/dt=20240101/_SUCCESS', '');
		const oursSample = (await runOurs('check', 0, 0, { executionOrder: 'v1' })).mapped ?? [];
		const codeSample = JSON.parse(
			(await runBuiltin('code', 'builtin/sample.csv.gz', SAMPLE, 'allEntries')).body,
		);
		const strip = (/** @type {any} */ row) =>
			Object.fromEntries(FIELDS.map((f) => [String(f.target), row[String(f.target)]]));
		const differ =
			oursSample.length !== SAMPLE ||
			codeSample.length !== SAMPLE ||
			oursSample.findIndex(
				(/** @type {any} */ r, /** @type {number} */ i) =>
					JSON.stringify(strip(r)) !== JSON.stringify(strip(codeSample[i])),
			);
		if (differ !== -1)
			throw new Error(
				`the Code node's output differs from ours (${oursSample.length} vs ${codeSample.length} rows; first difference at ${differ}): ${JSON.stringify(strip(oursSample[Number(differ)] ?? {}))} vs ${JSON.stringify(strip(codeSample[Number(differ)] ?? {}))}`,
			);
		out(
			`  check: the Code node and ours give the same 12 typed fields on all ${SAMPLE.toLocaleString('en')} rows of a sample`,
		);

		/** @type {Record<string, Array<{wall:number,n8nMs?:number,peak:number,above:number,rows:number,nodes:Record<string,number>,startMs?:number}>>} */
		const results = { ours: [], code: [], editfields: [] };
		for (let i = 0; i < RUNS; i++) {
			results.ours.push(await runOurs(`run${i}`, ROWS, 1));
			out(
				`  ours run ${i + 1}: ${(results.ours[i].wall / 1000).toFixed(1)} s, ${mb(results.ours[i].above)} MB above idle (load ${loadavg()})`,
			);
		}
		for (let i = 0; i < RUNS; i++) {
			results.code.push(await runBuiltin('code'));
			out(
				`  code run ${i + 1}: ${(results.code[i].wall / 1000).toFixed(1)} s, ${mb(results.code[i].above)} MB above idle (load ${loadavg()})`,
			);
		}
		for (let i = 0; i < EDIT_FIELDS_RUNS; i++) {
			results.editfields.push(await runBuiltin('editfields'));
			out(
				`  editfields run ${i + 1}: ${(results.editfields[i].wall / 1000).toFixed(1)} s, ${mb(results.editfields[i].above)} MB above idle (load ${loadavg()})`,
			);
		}
		/** @type {Array<{label:string, r:{wall:number,n8nMs?:number,peak:number,above:number,rows:number,startMs?:number}}>} */
		const sweep = [];
		// Each sweep run also starts from a fresh server.
		for (const [label, rows, files] of /** @type {Array<[string, number, number]>} */ ([
			['50k', 50_000, 1],
			['100k', 100_000, 1],
			[`3x${ROWS / 1000}k`, ROWS, 3],
		])) {
			sweep.push({ label, r: await runOurs(`sweep-${label}`, rows, files) });
			out(
				`  sweep ${label}: ${(sweep[sweep.length - 1].r.wall / 1000).toFixed(1)} s (load ${loadavg()})`,
			);
		}

		const summary = (/** @type {typeof results.ours} */ runs) => {
			const wall = median(runs.map((r) => r.wall));
			const inside = runs.map((r) => r.n8nMs).filter((v) => v !== undefined);
			return {
				wall,
				n8nMs: inside.length ? median(/** @type {number[]} */ (inside)) : undefined,
				rowsPerSec: Math.round((runs[0].rows / wall) * 1000),
				peakMb: mb(median(runs.map((r) => r.peak))),
				aboveMb: mb(median(runs.map((r) => r.above))),
			};
		};
		const o = summary(results.ours);
		const c = summary(results.code);
		const e = summary(results.editfields);
		out('');
		out(
			`n8n 2.41.1 on Node 24, the same installation and settings, a fresh server per run, execution-data saving off; median of ${RUNS} (Edit Fields: ${EDIT_FIELDS_RUNS} run). Machine: ${require('node:os').cpus().length} cores, load average at the end ${loadavg()}.`,
		);
		out(
			'| pipeline | rows | wall, outside (s) | wall, n8n log (s) | rows/s | peak RSS, n8n tree (MB) | peak above idle (MB) |',
		);
		out('|---|---:|---:|---:|---:|---:|---:|');
		const sec = (/** @type {number | undefined} */ ms) =>
			ms === undefined ? 'n/a' : (ms / 1000).toFixed(1);
		for (const [name, r] of /** @type {Array<[string, ReturnType<typeof summary>]>} */ ([
			['ours', o],
			['code (Code node)', c],
			['editfields (Edit Fields)', e],
		])) {
			out(
				`| ${name} | ${ROWS.toLocaleString('en')} | ${sec(r.wall)} | ${sec(r.n8nMs)} | ${r.rowsPerSec.toLocaleString('en')} | ${r.peakMb} | ${r.aboveMb} |`,
			);
		}
		out(
			`(n8n's idle footprint, main process and task runner, before each run: median ${mb(median(idle))} MB.)`,
		);
		out("\nInside the execution, per node (ms, median run; from n8n's debug log):");
		for (const [name, runs] of Object.entries(results)) {
			const mid = [...runs].sort((a, b) => a.wall - b.wall)[Math.floor((runs.length - 1) / 2)];
			out(
				`  ${name}: ${Object.entries(mid.nodes)
					.map(([n, ms]) => `${n} ${ms}`)
					.join(
						', ',
					)}${mid.startMs !== undefined ? `; publish to execution start (poll + hand-over) ${mid.startMs}` : ''}`,
			);
		}
		out('\nSize sweep, ours (one run each, fresh server):');
		out(
			'| files x rows | rows | wall (s) | rows/s | peak above idle (MB) | publish to execution start (ms) |',
		);
		out('|---|---:|---:|---:|---:|---:|');
		const oursMid = [...results.ours].sort((a, b) => a.wall - b.wall)[
			Math.floor((results.ours.length - 1) / 2)
		];
		for (const { label, r } of [
			{ label: `1 x ${ROWS / 1000}k (median above)`, r: oursMid },
			...sweep,
		]) {
			out(
				`| ${label} | ${r.rows.toLocaleString('en')} | ${sec(r.wall)} | ${Math.round((r.rows / r.wall) * 1000).toLocaleString('en')} | ${mb(r.above)} | ${r.startMs ?? 'n/a'} |`,
			);
		}
		printStages(stages);
		const speed = o.rowsPerSec / c.rowsPerSec;
		const memory = o.aboveMb / c.aboveMb;
		return `bench: ours ${o.rowsPerSec} rows/s ${o.aboveMb} MB; code ${c.rowsPerSec} rows/s ${c.aboveMb} MB; editfields ${e.rowsPerSec} rows/s ${e.aboveMb} MB; speed x ${speed.toFixed(1)}; memory x ${memory.toFixed(2)}`;
	} finally {
		await receiver.close();
		s3.destroy();
		await moto.stop();
	}
}

const loadavg = () => require('node:os').loadavg()[0].toFixed(2);

/**
 * POSTs and waits for the answer however long it takes (fetch gives up after 5 minutes).
 * @param {string} url
 * @returns {Promise<{ status: number, body: string }>}
 */
function postAndWait(url) {
	return new Promise((resolve, reject) => {
		const req = request(
			url,
			{ method: 'POST', headers: { 'content-type': 'application/json' } },
			(res) => {
				/** @type {Buffer[]} */
				const chunks = [];
				res.on('data', (c) => chunks.push(c));
				res.on('end', () =>
					resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
				);
			},
		);
		req.on('error', reject);
		req.end('{}');
	});
}

/** @param {string} base @param {string} credentialId @param {object} settings */
function oursWorkflow(base, credentialId, settings) {
	const cred = { s3InboundAwsApi: { id: credentialId, name: 'bench s3 inbound' } };
	return {
		name: `bench ours ${base}`,
		settings,
		nodes: [
			{
				id: 'b1',
				name: 'S3 CSV Inbound Trigger',
				type: `${PACKAGE_NAME}.s3CsvInboundTrigger`,
				typeVersion: 1,
				position: [0, 0],
				credentials: cred,
				parameters: {
					pollTimes: { item: [{ mode: 'everyHour' }] },
					mode: 'markerFolders',
					bucketPath: BUCKET,
					baseFolder: base,
					intervalMinutes: 60,
					options: { maxFilesPerRun: 10 },
				},
			},
			{
				id: 'b2',
				name: 'Field Mapper',
				type: `${PACKAGE_NAME}.fieldMapper`,
				typeVersion: 2,
				position: [200, 0],
				credentials: cred,
				parameters: {
					input: 's3Files',
					mode: 'strict',
					fieldsFrom: 'node',
					fields: { field: FIELDS },
					dateFormat: 'yyyy-MM-dd',
					options: {},
				},
			},
			{
				id: 'b5',
				name: 'PX Status Writer',
				type: `${PACKAGE_NAME}.pxStatusWriter`,
				typeVersion: 1,
				position: [400, 0],
				credentials: cred,
				parameters: { sendCallback: false, options: {} },
			},
		],
		connections: {
			'S3 CSV Inbound Trigger': { main: [[{ node: 'Field Mapper', type: 'main', index: 0 }]] },
			'Field Mapper': {
				main: [
					[{ node: 'PX Status Writer', type: 'main', index: 0 }],
					[{ node: 'PX Status Writer', type: 'main', index: 2 }],
				],
			},
		},
	};
}

/** The Code node for the read-and-map part: the benchmark's typed fields, one item per row. */
const CODE = expertCode({
	names: { account_crm_id: 'accountCrmId', signup_date: 'signupDate', last_seen: 'lastSeen' },
});

/**
 * The built-in pipelines: Webhook -> S3 (download) -> Compression (gunzip) -> Extract From File
 * (CSV) -> the Code node above, or Edit Fields with one expression per field.
 * @param {string} credentialId @param {'code' | 'editfields'} kind @param {string} key @param {string} responseData
 */
function builtinDefinition(credentialId, kind, key, responseData) {
	const expression = (/** @type {Record<string, unknown>} */ f) => {
		const source = /** @type {string} */ (f.source ?? f.target);
		if (f.type === 'number') return `={{ Number($json.${source}) }}`;
		if (f.type === 'boolean') return `={{ $json.${source}.toLowerCase() === 'true' }}`;
		if (f.type === 'date')
			return `={{ DateTime.fromFormat($json.${source}, 'yyyyMMdd', { zone: 'utc' }).toISODate() }}`;
		if (f.type === 'datetime') return `={{ DateTime.fromISO($json.${source}).toUTC().toISO() }}`;
		return `={{ $json.${source} }}`;
	};
	const last =
		kind === 'code'
			? {
					id: 'w5',
					name: 'Code',
					type: 'n8n-nodes-base.code',
					typeVersion: 2,
					position: [800, 0],
					parameters: { mode: 'runOnceForAllItems', language: 'javaScript', jsCode: CODE },
				}
			: {
					id: 'w5',
					name: 'Edit Fields',
					type: 'n8n-nodes-base.set',
					typeVersion: 3.4,
					position: [800, 0],
					parameters: {
						mode: 'manual',
						assignments: {
							assignments: FIELDS.map((f, i) => ({
								id: `a${i}`,
								name: f.target,
								value: expression(f),
								type: f.type === 'date' || f.type === 'datetime' ? 'string' : f.type,
							})),
						},
						options: {},
					},
				};
	return {
		name: `bench ${kind}`,
		settings: NO_SAVING,
		nodes: [
			{
				id: 'w1',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: `bench-${kind}`,
				parameters: {
					httpMethod: 'POST',
					path: `bench-${kind}`,
					responseMode: 'lastNode',
					responseData,
					options: {},
				},
			},
			{
				id: 'w2',
				name: 'S3',
				type: 'n8n-nodes-base.s3',
				typeVersion: 1,
				position: [200, 0],
				credentials: { s3: { id: credentialId, name: 'bench s3' } },
				parameters: {
					resource: 'file',
					operation: 'download',
					bucketName: BUCKET,
					fileKey: key,
					binaryPropertyName: 'data',
				},
			},
			{
				id: 'w3',
				name: 'Compression',
				type: 'n8n-nodes-base.compression',
				typeVersion: 1.1,
				position: [400, 0],
				parameters: { operation: 'decompress', binaryPropertyName: 'data', outputPrefix: 'file_' },
			},
			{
				id: 'w4',
				name: 'Extract From File',
				type: 'n8n-nodes-base.extractFromFile',
				typeVersion: 1.1,
				position: [600, 0],
				parameters: { operation: 'csv', binaryPropertyName: 'file_0', options: {} },
			},
			last,
		],
		connections: {
			Webhook: { main: [[{ node: 'S3', type: 'main', index: 0 }]] },
			S3: { main: [[{ node: 'Compression', type: 'main', index: 0 }]] },
			Compression: { main: [[{ node: 'Extract From File', type: 'main', index: 0 }]] },
			'Extract From File': { main: [[{ node: last.name, type: 'main', index: 0 }]] },
		},
	};
}

async function main() {
	const parts = (process.env.BENCH_PARTS ?? 'map,db').split(',');
	const lines = [];
	if (parts.includes('map')) lines.push(await mapBench());
	if (parts.includes('db')) {
		if (lines.length) out('');
		lines.push(await dbBench());
	}
	if (parts.includes('variants')) {
		out('');
		await dbVariants();
	}
	out('');
	for (const line of lines) out(line);
}

main().catch((error) => {
	process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
	process.exit(1);
});
