// @ts-check
/**
 * The database part of `npm run bench`: publish -> every row in a PostgreSQL table, under n8n's
 * defaults, for 1 x 350,000 and 5 x 350,000 rows in one marker folder: ours (the shipped example),
 * the Code-node pipeline in its best form, and the floor (`gunzip`, `psql \copy`). Prints its
 * tables and returns the `bench-db:` line.
 *
 * Env: BENCH_ROWS (rows per file, 350000), BENCH_DB_FILES (files in the big folder, 5),
 * BENCH_DB_RUNS (runs of each 1-file pipeline, 1).
 *
 * `dbVariants` (BENCH_PARTS=variants): ours as shipped beside variants of it on one file (n8n's
 * expression engine, the Postgres node's Query Parameters, rows per item, saving) and the Code-node
 * pipeline built as ours is, one run each: where the time and memory go, and what changes them.
 */
const os = require('node:os');

const { userCsvGz } = require('./benchData');
const { median, mb } = require('./measure');
const { runDbPipeline } = require('./dbRun');

const out = (/** @type {string} */ t) => process.stdout.write(`${t}\n`);
const ROWS = Number(process.env.BENCH_ROWS || 350_000);
const FILES = Number(process.env.BENCH_DB_FILES || 5);
const RUNS = Number(process.env.BENCH_DB_RUNS || 1);
const SAMPLE = 2000;
/** n8n's limit for this bench: each execution's saved data (bytes of `execution_data.data`). */
const SAVED_LIMIT = 150e6;

/**
 * The Code-node pipeline in its best form under n8n's default expression engine: the Code node
 * writes each batch's rows as one JSON text and the Postgres node passes it as `$1` with
 * `{{ $json.rows }}`, as ours does (the Field Mapper's Rows As: JSON Text). With arrays of rows and
 * `JSON.stringify($json.rows)` in the Postgres node, the default engine reads every value of the
 * batch through its isolate bridge: see the variants (BENCH_PARTS=variants).
 * @type {import('./benchDb').Variant}
 */
const CODE_BEST = { queryParameter: 'text' };

const load = () =>
	os
		.loadavg()
		.map((l) => l.toFixed(2))
		.join(' / ');
const sec = (/** @type {number | undefined} */ ms) =>
	ms === undefined ? 'n/a' : (ms / 1000).toFixed(1);
const rate = (/** @type {number} */ rows, /** @type {number} */ ms) =>
	Math.round((rows / ms) * 1000);
const n = (/** @type {number} */ v) => v.toLocaleString('en');
const smb = (/** @type {number} */ bytes) => (bytes / 1e6).toFixed(1);

/** @typedef {import('./dbRun').RunResult} RunResult */

/** Checks a run's outcome: every row once, every execution successful, one status, one callback. @param {RunResult} r */
function problems(r) {
	const found = [];
	if (r.table.rows !== r.rows || r.table.distinct !== r.rows)
		found.push(`${r.table.rows} rows in the table (${r.table.distinct} distinct), not ${r.rows}`);
	const files = r.executions.filter((x) => x.role === 'file');
	if (files.length !== r.files) found.push(`${files.length} per-file executions, not ${r.files}`);
	for (const x of r.executions)
		if (x.status !== 'success') found.push(`execution ${x.id} (${x.role}) is ${x.status}`);
	if (r.pipeline === 'ours') {
		if (r.status !== 'SUCCESS') found.push(`status.txt says ${r.status}`);
		if (r.statusFiles !== 1) found.push(`${r.statusFiles} status.txt files`);
		if (r.callbacks !== 1) found.push(`${r.callbacks} callbacks`);
	}
	return found;
}

/** One line per run, as it ends. @param {string} label @param {RunResult} r */
function progress(label, r) {
	const issues = problems(r);
	out(
		`  ${label}: ${sec(r.wallMs)} s, ${n(rate(r.rows, r.wallMs))} rows/s, ${mb(r.above)} MB above idle (peak during ${r.peakDuring}); ${r.executions.length} executions, saved data max ${smb(Math.max(...r.executions.map((x) => x.bytes)))} MB${r.floor ? `; beside it \\copy ${sec(r.floor.copyMs)} s, gunzip ${sec(r.floor.gunzipMs)} s` : ''} (load ${r.load.before[0].toFixed(2)} -> ${r.load.after[0].toFixed(2)})${issues.length ? `; PROBLEMS: ${issues.join('; ')}` : ''}`,
	);
}

/** The run whose wall is the median. @param {RunResult[]} runs */
const middle = (runs) =>
	[...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor((runs.length - 1) / 2)];

/** Stage lines for a run, from n8n's debug log. @param {string} label @param {RunResult} r */
function printStagesOf(label, r) {
	const s = r.stages;
	const nodes = Object.entries(r.subNodes)
		.filter(([, ms]) => ms > 0)
		.map(([name, ms]) => `${name} ${sec(ms)}`)
		.join(', ');
	out(
		`  ${label}: ${r.pipeline === 'ours' ? 'publish' : 'request'} -> execution start ${sec(s.toStart)}; ${s.subExecutions} per-file sub-executions ${sec(s.subWall)} (${nodes}); their saving ${sec(s.subSave)}; Execute Sub-workflow hop ${sec(s.hop)}${r.pipeline === 'ours' ? `; PX Status Writer ${sec(s.statusWriter)}` : ''}; parent saving ${sec(s.parentSave)}; ${Object.entries(
			r.doneMs,
		)
			.map(([k, ms]) => `${k} at ${sec(ms)}`)
			.join(', ')}`,
	);
}

/** @returns {Promise<string>} the `bench-db:` line */
async function dbBench() {
	out(
		`Into PostgreSQL: publish -> every row in a table, n8n's defaults (execution data saved, default expression engine), 1 x ${n(ROWS)} and ${FILES} x ${n(ROWS)} rows in one marker folder; ${RUNS} run(s) of each 1-file pipeline, 1 of each ${FILES}-file one; ${os.cpus().length} cores, load ${load()}.`,
	);
	const started = Date.now();

	// The three give the same table on a sample.
	const sample = [userCsvGz(SAMPLE, { seed: 7 })];
	const oursSample = await runDbPipeline({
		pipeline: 'ours',
		files: sample,
		rows: SAMPLE,
		floor: true,
		dump: true,
	});
	const codeSample = await runDbPipeline({
		pipeline: 'code',
		files: sample,
		rows: SAMPLE,
		variant: CODE_BEST,
		dump: true,
	});
	for (const r of [oursSample, codeSample]) {
		const issues = problems(r);
		if (issues.length) throw new Error(`${r.pipeline} on the sample: ${issues.join('; ')}`);
	}
	if (
		oursSample.table.dump !== codeSample.table.dump ||
		oursSample.table.dump !== oursSample.table.floorDump
	) {
		const rows = [oursSample.table.dump, codeSample.table.dump, oursSample.table.floorDump].map(
			(d) => JSON.parse(d ?? '[]'),
		);
		const at = rows[0].findIndex(
			(/** @type {unknown} */ row, /** @type {number} */ i) =>
				JSON.stringify(row) !== JSON.stringify(rows[1][i]) ||
				JSON.stringify(row) !== JSON.stringify(rows[2][i]),
		);
		throw new Error(
			`the tables differ (ours ${rows[0].length}, code ${rows[1].length}, \\copy ${rows[2].length} rows), first at ${at}: ${rows.map((r) => JSON.stringify(r[at])).join(' vs ')}`,
		);
	}
	out(
		`  check: ours, the Code node pipeline and \\copy put the same ${n(SAMPLE)} rows in the table (all 12 columns, row for row)`,
	);

	const one = [userCsvGz(ROWS)];
	const many = Array.from({ length: FILES }, (_, f) =>
		f === 0 ? one[0] : userCsvGz(ROWS, { seed: 42 + f, startId: f * ROWS }),
	);
	/** @type {{ ours: RunResult[], code: RunResult[] }} */
	const single = { ours: [], code: [] };
	for (let i = 0; i < RUNS; i++) {
		const o = await runDbPipeline({ pipeline: 'ours', files: one, rows: ROWS, floor: true });
		single.ours.push(o);
		progress(`ours 1 x ${ROWS / 1000}k, run ${i + 1}`, o);
		const c = await runDbPipeline({ pipeline: 'code', files: one, rows: ROWS, variant: CODE_BEST });
		single.code.push(c);
		progress(`code 1 x ${ROWS / 1000}k, run ${i + 1}`, c);
	}
	const oursMany = await runDbPipeline({ pipeline: 'ours', files: many, rows: ROWS, floor: true });
	progress(`ours ${FILES} x ${ROWS / 1000}k`, oursMany);
	const codeMany = await runDbPipeline({
		pipeline: 'code',
		files: many,
		rows: ROWS,
		variant: CODE_BEST,
	});
	progress(`code ${FILES} x ${ROWS / 1000}k`, codeMany);

	// Tables.
	const o1 = middle(single.ours);
	const c1 = middle(single.code);
	const floors = single.ours.map((r) => /** @type {NonNullable<RunResult['floor']>} */ (r.floor));
	const copyMs = median(floors.map((f) => f.copyMs));
	const gunzipMs = median(floors.map((f) => f.gunzipMs));
	const floorMany = /** @type {NonNullable<RunResult['floor']>} */ (oursMany.floor);
	const R1 = rate(o1.rows, median(single.ours.map((r) => r.wallMs)));
	const R2 = rate(c1.rows, median(single.code.map((r) => r.wallMs)));
	const R3 = rate(ROWS, copyMs);
	const M1 = mb(median(single.ours.map((r) => r.above)));
	const M2 = mb(median(single.code.map((r) => r.above)));
	const savedMax = (/** @type {RunResult} */ r) => Math.max(...r.executions.map((x) => x.bytes));

	out('');
	out(
		`n8n 2.41.1 on Node 24 (regular mode, SQLite), default settings: execution data saved, default ("vm") expression engine; a fresh n8n, PostgreSQL 15 and moto per run; ${RUNS === 1 ? 'one run' : `median of ${RUNS}`} (${FILES}-file folders: one run). Load average at the end: ${load()} (${os.cpus().length} cores, shared).`,
	);
	out(
		'| pipeline | files x rows | rows | wall (s) | rows/s | n8n peak RSS above idle (MB) | PostgreSQL above idle (MB) | executions | saved data per execution, max (MB) |',
	);
	out('|---|---|---:|---:|---:|---:|---:|---|---:|');
	const row = (/** @type {string} */ name, /** @type {RunResult} */ r, wallMs = r.wallMs) =>
		out(
			`| ${name} | ${r.files} x ${ROWS / 1000}k | ${n(r.rows)} | ${sec(wallMs)} | ${n(rate(r.rows, wallMs))} | ${mb(r.above)} | ${mb(r.postgresAbove ?? 0)} | ${r.executions.length}, ${[...new Set(r.executions.map((x) => x.status))].join('/')} | ${smb(savedMax(r))} |`,
		);
	row('ours (shipped example)', o1, median(single.ours.map((r) => r.wallMs)));
	row('code (Code node, best form)', c1, median(single.code.map((r) => r.wallMs)));
	out(
		`| floor: \\copy of the same CSV | 1 x ${ROWS / 1000}k | ${n(ROWS)} | ${sec(copyMs)} | ${n(R3)} | - | - | - | - |`,
	);
	out(
		`| floor: gunzip alone | 1 x ${ROWS / 1000}k | ${n(ROWS)} | ${sec(gunzipMs)} | ${n(rate(ROWS, gunzipMs))} | - | - | - | - |`,
	);
	row('ours (shipped example)', oursMany);
	row('code (Code node, best form)', codeMany);
	out(
		`| floor: \\copy of the same CSVs | ${FILES} x ${ROWS / 1000}k | ${n(floorMany.rows)} | ${sec(floorMany.copyMs)} | ${n(rate(floorMany.rows, floorMany.copyMs))} | - | - | - | - |`,
	);
	out(
		`| floor: gunzip alone | ${FILES} x ${ROWS / 1000}k | ${n(floorMany.rows)} | ${sec(floorMany.gunzipMs)} | ${n(rate(floorMany.rows, floorMany.gunzipMs))} | - | - | - | - |`,
	);
	out(
		`(Wall: publish, or the webhook request, until every row is in the table, status.txt and the callback are in (ours) or the webhook answered (code), and n8n has saved every execution of the run. n8n's idle RSS before the run: ours ${mb(o1.idle)} MB, code ${mb(c1.idle)} MB, main process and task runner. \\copy and gunzip run beside each ours run, on the same PostgreSQL, after n8n is done.)`,
	);

	out("\nStages (s; from n8n's debug log, summed over the per-file sub-executions):");
	printStagesOf(`ours 1 x ${ROWS / 1000}k`, o1);
	printStagesOf(`code 1 x ${ROWS / 1000}k`, c1);
	printStagesOf(`ours ${FILES} x ${ROWS / 1000}k`, oursMany);
	printStagesOf(`code ${FILES} x ${ROWS / 1000}k`, codeMany);

	out("\nSaved execution data (n8n's default saving, SQLite), MB per execution:");
	for (const [label, r] of /** @type {Array<[string, RunResult]>} */ ([
		[`ours 1 x ${ROWS / 1000}k`, o1],
		[`ours ${FILES} x ${ROWS / 1000}k`, oursMany],
		[`code 1 x ${ROWS / 1000}k`, c1],
		[`code ${FILES} x ${ROWS / 1000}k`, codeMany],
	]))
		out(
			`  ${label}: ${r.executions.map((x) => `${x.role} ${x.id} ${x.saved === false ? 'success, not saved' : `${x.status} ${smb(x.bytes)}`}`).join(', ')}`,
		);

	const many1 = mb(oursMany.above);
	const checks = [...problems(oursMany), ...problems(codeMany)];
	out('\nTargets:');
	out(
		`  ours within 5x of \\copy for ${n(ROWS)} rows (goal 2x): ${(R3 / R1).toFixed(1)}x: ${R3 / R1 <= 5 ? 'met' : 'NOT met'}`,
	);
	out(
		`  peak RSS above idle, ${FILES} x vs 1 x ${ROWS / 1000}k, within 1.2x and under 1 GB: ${many1} MB vs ${M1} MB = ${(many1 / M1).toFixed(2)}x: ${many1 / M1 <= 1.2 && many1 < 1024 ? 'met' : 'NOT met'}`,
	);
	out(
		`  ours >= 5x the Code-node pipeline (goal 10x): ${(R1 / R2).toFixed(2)}x: ${R1 / R2 >= 5 ? 'met' : 'NOT met'}`,
	);
	out(
		`  ${FILES} x ${ROWS / 1000}k: every execution successful, every row in the table once, one status.txt, one callback: ${checks.length ? `NOT met: ${checks.join('; ')}` : 'met'}; ours' saved data per execution under 150 MB: ${savedMax(oursMany) < SAVED_LIMIT ? 'met' : 'NOT met'} (max ${smb(savedMax(oursMany))} MB${oursMany.executions.some((x) => x.saved === false) ? `; ${oursMany.executions.filter((x) => x.saved === false).length} successful per-file executions not saved, as the example's per-file workflow asks` : ''}; code max ${smb(savedMax(codeMany))} MB)`,
	);
	out(`  (database part took ${((Date.now() - started) / 60_000).toFixed(1)} min)`);

	return `bench-db: ours ${R1} rows/s ${M1} MB; code ${R2} rows/s ${M2} MB; copy ${R3} rows/s; speed x ${(R1 / R2).toFixed(2)}; memory x ${(M1 / M2).toFixed(2)}; floor x ${(R3 / R1).toFixed(1)}`;
}

/** Ours as shipped and its variants on one file, one run each; prints a table. */
async function dbVariants() {
	out(
		`Variants, 1 x ${n(ROWS)} rows into PostgreSQL, n8n's defaults unless the variant says otherwise, one run each; ${os.cpus().length} cores, load ${load()}.`,
	);
	const one = [userCsvGz(ROWS)];
	/** @type {Array<[string, RunResult]>} */
	const variants = [];
	for (const [
		label,
		options,
	] of /** @type {Array<[string, Partial<import('./dbRun').RunOptions>]>} */ ([
		['ours, as shipped: Rows As JSON Text, {{ $json.rows }}', { floor: true }],
		[
			'ours, Rows As Array, {{ JSON.stringify($json.rows) }}',
			{ variant: { queryParameter: 'stringify' } },
		],
		[
			'ours, Rows As Array, {{ JSON.stringify($json.rows) }}, n8n legacy expression engine',
			{ variant: { queryParameter: 'stringify' }, env: { N8N_EXPRESSION_ENGINE: 'legacy' } },
		],
		[
			'ours, Rows As Array, {{ [JSON.stringify($json.rows)] }}',
			{ variant: { queryParameter: 'array' } },
		],
		[
			"ours, {{ [JSON.stringify($('Field Mapper').item.json.rows)] }}",
			{ variant: { queryParameter: 'item' }, floor: true },
		],
		['ours, as shipped, 5,000 rows per item', { variant: { rowsPerBatch: 5000 } }],
		[
			'ours, as shipped, the per-file workflow saves no successful execution',
			{ variant: { fileSettings: { saveDataSuccessExecution: 'none' } } },
		],
		['code, arrays of rows, JSON.stringify($json.rows)', { pipeline: 'code', variant: {} }],
	])) {
		try {
			const r = await runDbPipeline({ pipeline: 'ours', files: one, rows: ROWS, ...options });
			variants.push([label, r]);
			progress(label, r);
		} catch (error) {
			out(
				`  ${label}: FAILED: ${error instanceof Error ? error.message : String(error)} (load ${load()})`,
			);
		}
	}
	out('');
	out(
		'| variant | wall (s) | rows/s | x \\copy | per-file execution (s) | Field Mapper / Code (s) | Postgres node (s) | saving (s) | above idle (MB) | peak during | saved max (MB) |',
	);
	out('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|');
	const copies = variants.map(([, r]) => r.floor?.copyMs).filter((v) => v !== undefined);
	const copyMs = copies.length ? median(/** @type {number[]} */ (copies)) : undefined;
	for (const [label, r] of variants)
		out(
			`| ${label} | ${sec(r.wallMs)} | ${n(rate(r.rows, r.wallMs))} | ${copyMs ? (r.wallMs / copyMs).toFixed(1) : 'n/a'} | ${sec(r.stages.subWall)} | ${sec(r.subNodes['Field Mapper'] ?? r.subNodes.Code)} | ${sec(r.subNodes['Insert Rows'] ?? r.subNodes.Postgres)} | ${sec(r.stages.subSave)} | ${mb(r.above)} | ${r.peakDuring} | ${smb(Math.max(...r.executions.map((x) => x.bytes)))} |`,
		);
	out(
		`(x \\copy: against the median \\copy of the same rows measured beside the runs that have one, ${sec(copyMs)} s. "saving": n8n saving the per-file execution's data, from its debug log.)`,
	);
}

module.exports = { dbBench, dbVariants, problems, progress, printStagesOf, CODE_BEST };
