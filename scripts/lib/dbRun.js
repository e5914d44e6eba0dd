// @ts-check
/**
 * One run of the database benchmark: a marker folder of N files, imported into a PostgreSQL table
 * by ours (the shipped marker-folder example) or by the Code-node pipeline, in a fresh demo
 * set-up (moto, receiver, PostgreSQL, n8n with n8n's default execution saving; queue mode on
 * request), measured from the outside (wall, RSS of n8n's processes) and from n8n's debug log.
 */
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir, loadavg } = require('node:os');
const path = require('node:path');
const { request } = require('node:http');
const { readFileSync } = require('node:fs');

const { startDemo } = require('./demo');
const { treeRss } = require('./measure');
const { LOG_ENV, readLog, executionStages, nodeMs, stageAt } = require('./n8nLog');
const { savedExecutions } = require('./savedData');
const { copyFloor } = require('./copyFloor');
const {
	TABLE,
	tableSql,
	oursFileWorkflow,
	oursParentWorkflow,
	codeFileWorkflow,
	codeParentWorkflow,
} = require('./benchDb');

const DATABASE = 'imports';
const FOLDER_DAY = '20240101';

/**
 * @typedef {{
 *   pipeline: 'ours' | 'code', files: Buffer[], rows: number, queueWorkers?: number,
 *   variant?: import('./benchDb').Variant, floor?: boolean, env?: Record<string, string>,
 *   timeoutMinutes?: number, dump?: boolean,
 * }} RunOptions
 *   `dump`: also the table's rows (and the floor's) as canonical JSON text, to compare pipelines.
 * @typedef {{ label: string, idle: number, peak: number }} ProcessPeak
 * @typedef {{
 *   pipeline: string, files: number, rows: number, queue: boolean,
 *   wallMs: number, doneMs: Record<string, number | undefined>,
 *   idle: number, peak: number, above: number, processes: ProcessPeak[], postgresAbove?: number,
 *   peakDuring: string,
 *   table: { rows: number, distinct: number, dump?: string, floorDump?: string },
 *   executions: Array<{ id: string, role: 'parent' | 'file', status: string, bytes: number, saved: boolean }>,
 *   status?: string, statusFiles?: number, callbacks?: number,
 *   stages: Record<string, number | undefined>, subNodes: Record<string, number>,
 *   floor?: { gunzipMs: number, copyMs: number, rows: number },
 *   load: { before: number[], after: number[] },
 * }} RunResult
 */

/**
 * Samples the summed RSS of several process trees (n8n main and workers, each with its task
 * runner) every 100 ms; the peak of the sum and each tree's own peak.
 * @param {Array<{ label: string, pid: number }>} processes
 */
function treesSampler(processes) {
	const idle = processes.map((p) => treeRss(p.pid));
	const peaks = [...idle];
	let peakSum = idle.reduce((a, b) => a + b, 0);
	let peakAt = Date.now();
	const sample = () => {
		let sum = 0;
		processes.forEach((p, i) => {
			const rss = treeRss(p.pid);
			peaks[i] = Math.max(peaks[i], rss);
			sum += rss;
		});
		if (sum > peakSum) {
			peakSum = sum;
			peakAt = Date.now();
		}
	};
	const timer = setInterval(sample, 100);
	return {
		idle: idle.reduce((a, b) => a + b, 0),
		stop: () => {
			clearInterval(timer);
			sample();
			return {
				peak: peakSum,
				peakAt,
				processes: processes.map((p, i) => ({ label: p.label, idle: idle[i], peak: peaks[i] })),
			};
		},
	};
}

/** The postmaster's pid of a throwaway PostgreSQL. @param {import('./postgres').Postgres} pg */
const postmasterPid = (pg) =>
	Number(readFileSync(path.join(pg.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);

/** POSTs and resolves with the answer however long it takes. @param {string} url */
function post(url) {
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

/**
 * A table's rows as JSON text, ordered by id, numbers as float8 (so that `12.30` from a CSV and
 * `12.3` from JSON compare equal), dates and times as PostgreSQL prints them.
 * @param {string} table
 */
const dumpSql = (table) =>
	`select coalesce(json_agg(json_build_array(id, email, name, account_crm_id, signup_date, last_seen,
		score::float8, active, plan, country, seats, mrr::float8) order by id), '[]') from ${table}`;

const sec = (/** @type {number} */ ms) => (ms / 1000).toFixed(1);

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @param {RunOptions} options
 * @returns {Promise<RunResult>}
 */
async function runDbPipeline(options) {
	const { pipeline, files, rows } = options;
	const totalRows = rows * files.length;
	const userFolder = mkdtempSync(path.join(tmpdir(), `n8n-bench-db-${pipeline}-`));
	const loadBefore = loadavg();
	const demo = await startDemo({
		userFolder,
		quiet: true,
		destination: 'postgres',
		queueWorkers: options.queueWorkers,
		env: { ...LOG_ENV, ...(options.env ?? {}) },
	});
	const workerFolders = (options.queueWorkers ? demo.workers : []).map((w) => w.userFolder);
	try {
		const pg = /** @type {import('./postgres').Postgres} */ (demo.postgres);
		pg.psql(tableSql(TABLE), { database: DATABASE });
		// The demo's own per-file workflow holds the PostgreSQL credential it created.
		const demoFile = await demo.n8n.api('GET', `/workflows/${demo.workflows.markerFile}`);
		const postgresCredential = demoFile.nodes.find(
			(/** @type {any} */ n) => n.credentials?.postgres,
		)?.credentials.postgres.id;
		const base = `bench-${pipeline}`;
		const folder = `${base}/current/dt=${FOLDER_DAY}/`;
		for (let f = 0; f < files.length; f++) await demo.write(`${folder}users-${f}.csv.gz`, files[f]);

		/** @type {{ parent: string, file: string }} */
		let ids;
		/** @type {() => Promise<unknown>} */
		let start;
		if (pipeline === 'ours') {
			await demo.write(`${folder}_SUCCESS`, '');
			/** @type {import('./benchDb').DemoPoints} */
			const at = {
				bucket: demo.bucket,
				receiverUrl: demo.receiver.url,
				s3: demo.credentials.s3,
				callback: demo.credentials.callback,
				postgres: postgresCredential,
			};
			const file = await demo.n8n.api('POST', '/workflows', oursFileWorkflow(at, options.variant));
			await demo.activate(file.id);
			const parent = await demo.n8n.api(
				'POST',
				'/workflows',
				oursParentWorkflow({ ...at, fileWorkflow: file.id }, base),
			);
			ids = { parent: parent.id, file: file.id };
			// Publishing polls at once: the folder is handed on and the import starts.
			start = () => demo.activate(parent.id);
		} else {
			const s3 = await demo.n8n.api('POST', '/credentials', {
				name: 'bench s3',
				type: 's3',
				data: {
					endpoint: demo.moto.endpoint,
					region: 'us-east-1',
					accessKeyId: 'bench',
					secretAccessKey: 'bench-secret',
					forcePathStyle: true,
					ignoreSSLIssues: false,
				},
			});
			const credentials = { s3: s3.id, postgres: postgresCredential };
			const file = await demo.n8n.api(
				'POST',
				'/workflows',
				codeFileWorkflow(credentials, demo.bucket, options.variant),
			);
			await demo.activate(file.id);
			const hook = `bench-code-${Date.now()}`;
			const parent = await demo.n8n.api(
				'POST',
				'/workflows',
				codeParentWorkflow(credentials, demo.bucket, folder, file.id, hook),
			);
			await demo.activate(parent.id);
			ids = { parent: parent.id, file: file.id };
			// The webhook is registered a moment after publishing (404 until then, with no execution).
			const url = `${demo.n8n.url}/webhook/${hook}`;
			start = async () => {
				for (let tries = 0; ; tries++) {
					const answer = /** @type {{ status: number, body: string }} */ (await post(url));
					if (answer.status !== 404 || tries > 150) return answer;
					await sleep(200);
				}
			};
		}

		await sleep(2000);
		const processes = [
			{ label: options.queueWorkers ? 'main' : 'n8n', pid: /** @type {number} */ (demo.n8n.pid) },
			...demo.workers.map((w, i) => ({
				label: `worker ${i + 1}`,
				pid: /** @type {number} */ (w.pid),
			})),
		];
		const sampler = treesSampler(processes);
		const pgSampler = treesSampler([{ label: 'postgres', pid: postmasterPid(pg) }]);
		const t0 = Date.now();
		/** @type {Record<string, number | undefined>} */
		const done = {};
		/** @type {{ status: number, body: string } | undefined} */
		let answer;
		const started = start().then((a) => {
			if (pipeline === 'code') {
				answer = /** @type {any} */ (a);
				done.answer = Date.now() - t0;
			}
		});
		const statusKey = `${base}/processed/${FOLDER_DAY}/status.txt`;
		const deadline = t0 + (options.timeoutMinutes ?? 30) * 60_000;
		for (;;) {
			if (Date.now() > deadline)
				throw new Error(
					`${pipeline} (${files.length} x ${rows}) did not finish in ${options.timeoutMinutes ?? 30} minutes`,
				);
			if (pipeline === 'ours') {
				if (done.status === undefined && (await demo.read(statusKey)) !== undefined)
					done.status = Date.now() - t0;
				if (done.callback === undefined && demo.receiver.callbacks.length > 0)
					done.callback = Date.now() - t0;
			}
			const finished = [];
			for (const id of [ids.parent, ids.file]) {
				// n8n's main thread may be busy for seconds (saving an execution): a kept-alive
				// connection it closed meanwhile is reset; ask again at the next turn.
				const list = await demo.n8n
					.api('GET', `/executions?workflowId=${id}&limit=100`)
					.catch(() => ({ data: [{ status: 'running' }] }));
				for (const x of list.data ?? [])
					if (!['new', 'running', 'waiting'].includes(x.status)) finished.push(x);
			}
			const parentDone = finished.some((x) => x.workflowId === ids.parent);
			if (parentDone && done.saved === undefined) done.saved = Date.now() - t0;
			const arrived =
				pipeline === 'code'
					? answer !== undefined
					: done.status !== undefined && done.callback !== undefined;
			// Done; or the parent finished and no status or callback came in 15 s (a failed run).
			if (done.saved !== undefined && (arrived || Date.now() - t0 - done.saved > 15_000)) break;
			await sleep(100);
		}
		await started;
		const wallMs = Math.max(...Object.values(done).map((v) => v ?? 0));
		const memory = sampler.stop();
		const pgMemory = pgSampler.stop();
		const loadAfter = loadavg();

		// What arrived: the table, the status files and callbacks (a moment later, for late doubles).
		await sleep(1000);
		const [count, distinct] = pg
			.psql(`select count(*), count(distinct id) from ${TABLE}`, { database: DATABASE })
			.trim()
			.split('|')
			.map(Number);
		const saved = savedExecutions(
			options.queueWorkers ? { postgres: pg, database: 'n8n' } : { userFolder },
		);
		const executions = saved
			.filter((x) => x.workflowId === ids.parent || x.workflowId === ids.file)
			.map((x) => ({
				id: x.id,
				role: /** @type {'parent' | 'file'} */ (x.workflowId === ids.parent ? 'parent' : 'file'),
				status: x.status,
				bytes: x.bytes,
				saved: x.saved,
			}));
		/** @type {Partial<RunResult>} */
		const outcome = {};
		if (pipeline === 'ours') {
			outcome.status = ((await demo.read(statusKey)) ?? '').split('\n')[0];
			outcome.statusFiles = (await demo.keys()).filter(
				(k) => k.startsWith(`${base}/`) && k.endsWith('/status.txt'),
			).length;
			outcome.callbacks = demo.receiver.callbacks.length;
		} else if (answer && answer.status >= 300) {
			throw new Error(`code pipeline answered ${answer.status}: ${answer.body.slice(0, 500)}`);
		}

		// Stages, from n8n's debug log (main instance and workers).
		const xs = executionStages(readLog([userFolder, ...workerFolders]), t0 - 1000);
		const parent = xs.find((x) => x.workflowId === ids.parent);
		const subs = xs.filter((x) => x.workflowId === ids.file);
		const sum = (/** @type {number[]} */ v) => v.reduce((a, b) => a + b, 0);
		const subWall = sum(subs.map((x) => (x.end ?? x.start) - x.start));
		const subSave = sum(subs.map((x) => (x.saveEnd ?? 0) - (x.saveStart ?? 0)));
		/** @type {Record<string, number>} */
		const subNodes = {};
		for (const x of subs)
			for (const n of x.nodes) subNodes[n.name] = (subNodes[n.name] ?? 0) + n.ms;
		const importEach = parent ? nodeMs(parent, 'Import Each File') : undefined;
		const stages = {
			toStart: parent ? parent.start - t0 : undefined,
			subExecutions: subs.length,
			subWall,
			subSave,
			hop: importEach !== undefined ? importEach - subWall - subSave : undefined,
			importEach,
			statusWriter: parent ? nodeMs(parent, 'PX Status Writer') : undefined,
			parentWall: parent?.end !== undefined ? parent.end - parent.start : undefined,
			parentSave:
				parent?.saveEnd !== undefined && parent.saveStart !== undefined
					? parent.saveEnd - parent.saveStart
					: undefined,
		};

		const floor = options.floor
			? copyFloor(pg, files, {
					database: DATABASE,
					table: 'bench_copy',
					createSql: tableSql('bench_copy'),
					rows: totalRows,
				})
			: undefined;
		/** @type {RunResult['table']} */
		const table = { rows: count, distinct };
		if (options.dump) {
			table.dump = pg.psql(dumpSql(TABLE), { database: DATABASE });
			if (floor) table.floorDump = pg.psql(dumpSql('bench_copy'), { database: DATABASE });
		}
		return {
			pipeline,
			files: files.length,
			rows: totalRows,
			queue: Boolean(options.queueWorkers),
			wallMs,
			doneMs: done,
			idle: sampler.idle,
			peak: memory.peak,
			above: memory.peak - sampler.idle,
			processes: memory.processes,
			postgresAbove: pgMemory.peak - pgSampler.idle,
			peakDuring: `${stageAt(xs, memory.peakAt)} (${sec(memory.peakAt - t0)} s)`,
			table,
			executions,
			...outcome,
			stages,
			subNodes,
			floor,
			load: { before: loadBefore, after: loadAfter },
		};
	} catch (error) {
		// What n8n said last, for the reason.
		for (const server of [demo.n8n, ...demo.workers])
			process.stderr.write(`--- n8n log (end) ---\n${server.log().slice(-6000)}\n`);
		throw error;
	} finally {
		await demo.stop();
		for (const folder of [userFolder, ...workerFolders])
			rmSync(folder, { recursive: true, force: true });
	}
}

module.exports = { runDbPipeline, DATABASE };
