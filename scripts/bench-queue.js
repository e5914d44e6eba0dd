#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench:queue`: a marker folder of 3 files x 350,000 rows (1.05M rows) through the
 * marker flow in n8n's queue mode, with n8n's DEFAULT execution saving: one main instance, two
 * workers, Redis and PostgreSQL on 127.0.0.1 (started here, installed from Debian if missing).
 * Done when status.txt says SUCCESS and n8n records the execution as successful. Prints the time,
 * the start payload n8n stored, and the peak RSS of the main instance and of each worker.
 */
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const {
	CreateBucketCommand,
	HeadObjectCommand,
	GetObjectCommand,
	PutObjectCommand,
	S3Client,
} = require('@aws-sdk/client-s3');

const { startMoto } = require('./lib/moto');
const { startN8n, PACKAGE_NAME } = require('./lib/n8n');
const { startQueueServices } = require('./lib/queueServices');
const { userCsvGz, FIELDS } = require('./lib/benchData');
const { peakSampler, mb, treeRss } = require('./lib/measure');

const out = (/** @type {string} */ t) => process.stdout.write(`${t}\n`);
const ROWS = Number(process.env.BENCH_ROWS || 350_000);
const FILES = Number(process.env.BENCH_FILES || 3);
const BUCKET = 'bench';

async function main() {
	const moto = await startMoto();
	const services = await startQueueServices();
	const folder = mkdtempSync(path.join(tmpdir(), 'n8n-bench-queue-'));
	/** @type {Array<import('./lib/n8n').N8nServer>} */
	const started = [];
	const s3 = new S3Client({
		region: 'us-east-1',
		endpoint: moto.endpoint,
		forcePathStyle: true,
		credentials: { accessKeyId: 'bench', secretAccessKey: 'bench-secret' },
	});
	try {
		await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
		for (let f = 0; f < FILES; f++) {
			const body = userCsvGz(ROWS, { seed: 42 + f, startId: f * ROWS });
			await s3.send(
				new PutObjectCommand({
					Bucket: BUCKET,
					Key: `q/current/dt=20240101/users-${f}.csv.gz`,
					Body: body,
					ContentLength: body.length,
				}),
			);
		}
		await s3.send(
			new PutObjectCommand({
				Bucket: BUCKET,
				Key: 'q/current/dt=20240101/_SUCCESS',
				Body: '',
				ContentLength: 0,
			}),
		);
		const env = { ...services.env, N8N_LOG_LEVEL: 'info', EXECUTIONS_TIMEOUT: '-1' };
		const main = await startN8n({ userFolder: path.join(folder, 'main'), quiet: true, env });
		started.push(main);
		const workers = [];
		for (let i = 1; i <= 2; i++) {
			const worker = await startN8n({
				userFolder: path.join(folder, `worker-${i}`),
				quiet: true,
				env,
				worker: true,
			});
			started.push(worker);
			workers.push(worker);
		}
		const cred = await main.api('POST', '/credentials', {
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
		const c = { s3InboundAwsApi: { id: cred.id, name: 'bench s3 inbound' } };
		const workflow = await main.api('POST', '/workflows', {
			name: 'bench queue 3x350k',
			settings: { executionOrder: 'v1' }, // n8n's default saving: every execution and its data
			nodes: [
				{
					id: 'q1',
					name: 'S3 CSV Inbound Trigger',
					type: `${PACKAGE_NAME}.s3CsvInboundTrigger`,
					typeVersion: 1,
					position: [0, 0],
					credentials: c,
					parameters: {
						pollTimes: { item: [{ mode: 'everyMinute' }] },
						mode: 'markerFolders',
						bucketPath: BUCKET,
						baseFolder: 'q',
						intervalMinutes: 15,
						options: {},
					},
				},
				{
					id: 'q2',
					name: 'Field Mapper',
					type: `${PACKAGE_NAME}.fieldMapper`,
					typeVersion: 2,
					position: [200, 0],
					credentials: c,
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
					id: 'q3',
					name: 'PX Status Writer',
					type: `${PACKAGE_NAME}.pxStatusWriter`,
					typeVersion: 1,
					position: [400, 0],
					credentials: c,
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
		});
		const idle = [main, ...workers].map((s) => treeRss(/** @type {number} */ (s.pid)));
		const samplers = [main, ...workers].map((s) => peakSampler(/** @type {number} */ (s.pid)));
		const t0 = Date.now();
		await main.api('POST', `/workflows/${workflow.id}/publish`, {});
		const deadline = Date.now() + 20 * 60_000;
		/** @type {any} */
		let execution;
		for (;;) {
			if (Date.now() > deadline) throw new Error('did not finish in 20 minutes');
			const list = await main.api('GET', `/executions?workflowId=${workflow.id}`);
			execution = list.data?.[0];
			if (execution && !['new', 'running', 'waiting'].includes(execution.status)) break;
			await new Promise((r) => setTimeout(r, 500));
		}
		const wall = Date.now() - t0;
		const peaks = samplers.map((s) => s.stop());
		let status = '';
		try {
			await s3.send(
				new HeadObjectCommand({ Bucket: BUCKET, Key: 'q/processed/20240101/status.txt' }),
			);
			status =
				(await (
					await s3.send(
						new GetObjectCommand({ Bucket: BUCKET, Key: 'q/processed/20240101/status.txt' }),
					)
				).Body?.transformToString()) ?? '';
		} catch {
			status = '(no status.txt)';
		}
		const psql = (/** @type {string} */ sql) =>
			spawnSync(
				'psql',
				[
					'-h',
					'127.0.0.1',
					'-p',
					services.env.DB_POSTGRESDB_PORT,
					'-U',
					'postgres',
					'-d',
					'n8n',
					'-Atc',
					sql,
				],
				{ encoding: 'utf8' },
			).stdout.trim();
		const stored = psql(
			`select length(data) from execution_data where "executionId" = ${Number(execution.id)}`,
		);
		out(
			`Queue mode, ${FILES} x ${ROWS.toLocaleString('en')} rows in one marker folder, default execution saving, 1 main + 2 workers (load ${require('node:os').loadavg()[0].toFixed(2)}):`,
		);
		out(
			`  execution ${execution.id}: ${execution.status} (mode ${execution.mode}), publish to finished ${(wall / 1000).toFixed(1)} s`,
		);
		out(`  status.txt: ${status.split('\n').slice(0, 2).join(' / ')}`);
		out(
			`  execution data stored by n8n (start payload and results): ${(Number(stored) / 1e6).toFixed(1)} MB of text`,
		);
		out(
			`  peak RSS above idle: main ${mb(peaks[0] - idle[0])} MB, worker 1 ${mb(peaks[1] - idle[1])} MB, worker 2 ${mb(peaks[2] - idle[2])} MB`,
		);
		out(
			`bench-queue: ${execution.status} ${FILES * ROWS} rows ${(wall / 1000).toFixed(1)} s; main +${mb(peaks[0] - idle[0])} MB; workers +${mb(Math.max(peaks[1] - idle[1], peaks[2] - idle[2]))} MB`,
		);
		if (execution.status !== 'success' || !status.startsWith('SUCCESS')) process.exitCode = 1;
	} finally {
		for (const s of started.reverse()) await s.stop().catch(() => undefined);
		s3.destroy();
		await services.stop();
		await moto.stop();
	}
}

main().catch((error) => {
	process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
	process.exit(1);
});
