#!/usr/bin/env node
// @ts-check
/**
 * Stage breakdown of our pipeline, in this process, on the benchmark file streamed from moto:
 * read + gunzip + parse, mapping, matching — each against the floor (gunzip + newline count)
 * measured in the same run. Also the reading layer's memory at several file sizes.
 * Needs `npm run build` (uses dist/lib). Exported for scripts/bench.js.
 */
const { execFileSync } = require('node:child_process');
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

/** @param {number} rows */
async function stageBreakdown(rows = 350_000, repeat = 3) {
	const { S3Store } = dist('s3/store');
	const { readCsv } = dist('csv/reader');
	const { FieldMapping } = dist('mapping/fields');
	const { mapCsvFile } = dist('mapping/mapFile');
	const { indexDirectory, matchRows } = dist('matching/matcher');

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

		const floor = async () => {
			const r = await s3.send(new GetObjectCommand({ Bucket: 'bench', Key: key }));
			let lines = 0;
			const gunzip = /** @type {import('node:stream').Readable} */ (r.Body).pipe(createGunzip());
			for await (const chunk of gunzip) {
				let at = -1;
				while ((at = chunk.indexOf(10, at + 1)) !== -1) lines++;
			}
			return lines - 1;
		};
		/** @type {Record<string, number[]>} */
		const times = { floor: [], read: [], map: [], match: [] };
		/** @type {any} */
		let mapped;
		const csv = { delimiter: ',', encoding: 'utf-8', maxRows: 2_000_000 };
		const file = { bucket: 'bench', key, etag: head?.etag ?? '', size: head?.size ?? 0 };
		const mapping = new FieldMapping(FIELDS, {
			mode: 'strict',
			dateFormat: 'yyyy-MM-dd',
			maxRows: 1_000_000,
			requiredColumns: ['id'],
			maxReasons: 20,
		});
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
		for (let i = 0; i < repeat; i++) {
			times.floor.push((await withOwnPeak(floor)).ms);
			const read = await withOwnPeak(async () => {
				let n = 0;
				await readCsv((await store.open(key)).body, csv, () => void n++);
				return n;
			});
			times.read.push(read.ms);
			mapped = undefined;
			const m = await withOwnPeak(
				async () =>
					await mapCsvFile(async () => await store.open(key), file, {
						mapping,
						keepUnmapped: false,
						csv,
					}),
			);
			times.map.push(m.ms);
			mapped = m.result;
			const matchRun = await withOwnPeak(async () => {
				const index = indexDirectory(accounts, matcherOptions);
				return matchRows(mapped.valid, index, matcherOptions);
			});
			times.match.push(matchRun.ms);
			if (matchRun.result.matched.length + matchRun.result.unmatched.length !== rows)
				throw new Error('matching lost rows');
		}
		if (mapped.valid.length !== rows)
			throw new Error(`mapping rejected rows: ${JSON.stringify(mapped.rejected[0]?.reasons)}`);

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
		const f = median(times.floor);
		/** @param {number} ms */
		const row = (ms) => ({
			ms: Math.round(ms),
			rowsPerSec: Math.round((rows / ms) * 1000),
			xFloor: +(ms / f).toFixed(2),
		});
		return {
			rows,
			fileMb: +((head?.size ?? 0) / 1e6).toFixed(1),
			floor: row(f),
			readParse: row(median(times.read)),
			mapping: row(median(times.map)),
			matching: row(median(times.match)),
			readingLayerMemory: flat,
		};
	} finally {
		s3.destroy();
		await moto.stop();
	}
}

/** @param {Awaited<ReturnType<typeof stageBreakdown>>} s */
function printStages(s) {
	const out = (/** @type {string} */ t) => process.stdout.write(`${t}\n`);
	out(
		`\nStage breakdown, ${s.rows.toLocaleString('en')} rows x 12 columns (${s.fileMb} MB gzipped), median of 3, in one process:`,
	);
	out('| stage | ms | rows/s | x floor |');
	out('|---|---:|---:|---:|');
	for (const [name, r] of [
		['floor: gunzip + newline count', s.floor],
		['read + gunzip + parse (rows, nothing kept)', s.readParse],
		['read + parse + map, streamed (the Field Mapper: strict, 12 typed fields)', s.mapping],
		['matching (100,000 accounts, CRM ID)', s.matching],
	]) {
		const v = /** @type {{ms:number,rowsPerSec:number,xFloor:number}} */ (r);
		out(`| ${name} | ${v.ms} | ${v.rowsPerSec.toLocaleString('en')} | ${v.xFloor} |`);
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
	stageBreakdown()
		.then(printStages)
		.catch((e) => {
			console.error(e);
			process.exit(1);
		});
}
