#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench:queue`: a marker folder of 5 files x 350,000 rows (1.75M rows) through the shipped
 * marker-folder example into a PostgreSQL table, in n8n's queue mode with n8n's DEFAULT execution
 * saving: one main instance, two workers, Redis and PostgreSQL on 127.0.0.1 (the demo's queue-mode
 * set-up, scripts/lib/demo.js; installed from Debian if missing). Done when every row is in the
 * table, status.txt and the callback are in, and n8n has saved every execution. Checks every
 * execution successful, every row once, one status.txt, one callback, each execution's saved data
 * under 150 MB; prints the time, each execution's saved data and the peak RSS of each n8n process.
 *
 * Env: BENCH_ROWS (rows per file, 350000), BENCH_FILES (files in the folder, 5).
 */
const os = require('node:os');

const { userCsvGz } = require('./lib/benchData');
const { mb } = require('./lib/measure');
const { runDbPipeline } = require('./lib/dbRun');
const { problems, printStagesOf } = require('./lib/dbBench');

const out = (/** @type {string} */ t) => process.stdout.write(`${t}\n`);
const ROWS = Number(process.env.BENCH_ROWS || 350_000);
const FILES = Number(process.env.BENCH_FILES || 5);
const SAVED_LIMIT = 150e6;

async function main() {
	const loadBefore = os.loadavg();
	const files = Array.from({ length: FILES }, (_, f) =>
		userCsvGz(ROWS, { seed: 42 + f, startId: f * ROWS }),
	);
	const r = await runDbPipeline({ pipeline: 'ours', files, rows: ROWS, queueWorkers: 2 });
	const issues = problems(r);
	const savedMax = Math.max(...r.executions.map((x) => x.bytes));
	if (savedMax >= SAVED_LIMIT)
		issues.push(`an execution saved ${(savedMax / 1e6).toFixed(1)} MB (limit 150 MB)`);
	out(
		`Queue mode, ${FILES} x ${ROWS.toLocaleString('en')} rows in one marker folder into PostgreSQL, the shipped marker-folder example, n8n's default execution saving, 1 main + 2 workers (load ${loadBefore[0].toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after; ${os.cpus().length} cores):`,
	);
	out(
		`  publish to done ${(r.wallMs / 1000).toFixed(1)} s (${Math.round((r.rows / r.wallMs) * 1000).toLocaleString('en')} rows/s): ${Object.entries(
			r.doneMs,
		)
			.map(([k, ms]) => `${k} at ${((ms ?? 0) / 1000).toFixed(1)} s`)
			.join(', ')}`,
	);
	out(
		`  table: ${r.table.rows.toLocaleString('en')} rows (${r.table.distinct.toLocaleString('en')} distinct ids); status.txt: ${r.status} (${r.statusFiles} file); callbacks: ${r.callbacks}`,
	);
	out(
		`  executions (saved data, MB): ${r.executions.map((x) => `${x.role} ${x.id} ${x.status} ${(x.bytes / 1e6).toFixed(1)}`).join(', ')}`,
	);
	out(
		`  peak RSS above idle: ${r.processes.map((p) => `${p.label} +${mb(p.peak - p.idle)} MB`).join(', ')}; all n8n processes together +${mb(r.above)} MB; PostgreSQL +${mb(r.postgresAbove ?? 0)} MB`,
	);
	printStagesOf('stages (s)', r);
	out(issues.length ? `  PROBLEMS: ${issues.join('; ')}` : '  every check met');
	const workers = r.processes.filter((p) => p.label.startsWith('worker'));
	out(
		`bench-queue: ${issues.length ? 'FAILED' : 'success'} ${r.rows} rows ${(r.wallMs / 1000).toFixed(1)} s; ${r.executions.length} executions, saved max ${(savedMax / 1e6).toFixed(1)} MB; main +${mb(r.processes[0].peak - r.processes[0].idle)} MB; workers +${mb(Math.max(...workers.map((p) => p.peak - p.idle)))} MB`,
	);
	if (issues.length) process.exitCode = 1;
}

main().catch((error) => {
	process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
	process.exit(1);
});
