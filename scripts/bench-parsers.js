#!/usr/bin/env node
// @ts-check
/**
 * The CSV parsers measured for issue 21 (docs/performance.md), on the benchmark's file (350,000
 * rows x 12 columns), in memory, interleaved in one process: each round runs every candidate once;
 * medians of wall and CPU time. The fast parsers are not dependencies of the package: install
 * them first, without saving (`npm install --no-save udsv@0.7.3 papaparse@5.7.1 d3-dsv@3.0.2`);
 * those missing are left out. Needs `npm run build`.
 *
 *   node --expose-gc scripts/bench-parsers.js [rounds]
 */
const { Readable } = require('node:stream');
const { createGunzip, gzipSync } = require('node:zlib');
const { StringDecoder } = require('node:string_decoder');

const { userCsv } = require('./lib/benchData');
const { median } = require('./lib/measure');
const oldReader = require('./lib/csvParseReader');

const dist = (/** @type {string} */ p) => require(`../dist/lib/${p}`);
/** @param {string} name */
const optional = (name) => {
	try {
		return require(name);
	} catch {
		return undefined;
	}
};

const ROWS = Number(process.env.BENCH_ROWS || 350_000);
const text = userCsv(ROWS);
const plain = Buffer.from(text);
const gz = gzipSync(plain, { level: 6 });
/** @param {Buffer} buffer @param {number} size */
const slices = (buffer, size) => {
	const out = [];
	for (let at = 0; at < buffer.length; at += size) out.push(buffer.subarray(at, at + size));
	return out;
};
// As S3 and gunzip deliver them: 64 KiB pieces.
const gzChunks = slices(gz, 65536);
const textChunks = slices(plain, 65536).map((c) => c.toString('latin1')); // ASCII data
/** @param {number} [chunkSize] */
const gunzipped = (chunkSize) =>
	Readable.from(gzChunks).pipe(createGunzip(chunkSize ? { chunkSize } : {}));

/** The happy-path cost a fast path with a fallback adds: each row's width, each value checked for a quote or a line break. @param {(row: string[]) => void} onRow */
const checked = (onRow) => (/** @type {string[]} */ row) => {
	if (row.length !== 12) throw new Error('ragged: fall back');
	for (const v of row)
		if (v.indexOf('"') !== -1 || v.indexOf('\n') !== -1 || v.indexOf('\r') !== -1)
			throw new Error('suspicious: fall back');
	onRow(row);
};

/** @type {Record<string, () => Promise<number>>} */
const candidates = {
	'floor: gunzip (64 KiB pieces) + newline count': async () => {
		let n = 0;
		for await (const c of gunzipped(65536)) {
			let at = -1;
			while ((at = c.indexOf(10, at + 1)) !== -1) n++;
		}
		return n - 1;
	},
	"floor with zlib's default 16 KiB pieces": async () => {
		let n = 0;
		for await (const c of gunzipped()) {
			let at = -1;
			while ((at = c.indexOf(10, at + 1)) !== -1) n++;
		}
		return n - 1;
	},
	'old reader (csv-parse), gunzip + decode + parse': async () => {
		let n = 0;
		await oldReader.readCsvValues(gunzipped(), {}, () => void n++);
		return n;
	},
	'new reader, gunzip + decode + parse': async () => {
		let n = 0;
		await dist('csv/reader').readCsvValues(gunzipped(65536), {}, () => void n++);
		return n;
	},
	'new parser, parse only (text)': async () => {
		let n = 0;
		const { CsvParser } = dist('csv/parser');
		const p = new CsvParser({ delimiter: ',', allowBareQuotes: false }, () => void n++);
		for (const t of textChunks) p.write(t);
		p.end();
		return n - 1;
	},
};

const udsv = optional('udsv');
if (udsv) {
	/** @param {string[]} chunks @param {(row: string[]) => void} onRow */
	const parse = (chunks, onRow) => {
		/** @type {any} */
		let parser;
		for (const t of chunks) {
			parser ??= udsv.initParser(udsv.inferSchema(t, { col: ',', row: '\n', encl: '"' }));
			parser.chunk(t, parser.stringArrs, (/** @type {string[]} */ row) => void onRow(row));
		}
		parser.end();
	};
	candidates['uDSV 0.7.3, gunzip + decode + parse'] = async () => {
		let n = 0;
		const decoder = new StringDecoder('utf8');
		/** @type {string[]} */
		const texts = [];
		for await (const c of gunzipped(65536)) texts.push(decoder.write(c));
		parse(texts, () => n++);
		return n;
	};
	candidates['uDSV, parse only (text)'] = async () => {
		let n = 0;
		parse(textChunks, () => n++);
		return n;
	};
	candidates['uDSV + the checks of a fast path, parse only'] = async () => {
		let n = 0;
		parse(
			textChunks,
			checked(() => n++),
		);
		return n;
	};
}
const Papa = optional('papaparse');
if (Papa) {
	/** @param {string[]} chunks @param {(row: string[]) => void} onRow */
	const parse = (chunks, onRow) => {
		const p = new Papa.Parser({ delimiter: ',', newline: '\n' });
		let carry = '';
		for (let i = 0; i <= chunks.length; i++) {
			const last = i === chunks.length;
			const t = carry + (last ? '' : chunks[i]);
			const r = p.parse(t, 0, !last);
			for (const row of r.data) onRow(row);
			carry = t.slice(r.meta.cursor);
		}
	};
	candidates['papaparse 5.7.1, parse only (text)'] = async () => {
		let n = 0;
		parse(textChunks, () => n++);
		return n - 1;
	};
	candidates['papaparse + the checks of a fast path, parse only'] = async () => {
		let n = -1;
		let header = true;
		parse(textChunks, (row) => {
			if (header) header = false;
			else checked(() => n++)(row);
		});
		return n + 1;
	};
}
const d3 = optional('d3-dsv');
if (d3)
	candidates['d3-dsv 3.0.2, parse only (whole text, not streamed)'] = async () => {
		let n = 0;
		d3.csvParseRows(text, () => void n++);
		return n - 1;
	};

async function main() {
	const rounds = Number(process.argv[2] || 5);
	const names = Object.keys(candidates);
	/** @type {Record<string, { ms: number[], cpu: number[] }>} */
	const times = Object.fromEntries(names.map((n) => [n, { ms: [], cpu: [] }]));
	const load = require('node:os').loadavg();
	for (let r = 0; r < rounds; r++)
		for (const name of names) {
			global.gc?.();
			const cpu = process.cpuUsage();
			const started = process.hrtime.bigint();
			const rows = await candidates[name]();
			const ms = Number(process.hrtime.bigint() - started) / 1e6;
			const used = process.cpuUsage(cpu);
			if (rows !== ROWS) throw new Error(`${name}: ${rows} rows`);
			times[name].ms.push(ms);
			times[name].cpu.push((used.user + used.system) / 1000);
		}
	const [floor] = names;
	const f = median(times[floor].ms);
	const fc = median(times[floor].cpu);
	const out = (/** @type {string} */ t) => process.stdout.write(`${t}\n`);
	out(
		`${ROWS.toLocaleString('en')} rows x 12 columns, Node ${process.version}, medians of ${rounds} interleaved rounds; load (1, 5, 15 min) ${load.map((l) => l.toFixed(2)).join(' ')} at the start, ${require('node:os')
			.loadavg()
			.map((l) => l.toFixed(2))
			.join(' ')} at the end`,
	);
	out('| candidate | ms | x floor | CPU ms | x floor (CPU) |');
	out('|---|---:|---:|---:|---:|');
	for (const name of names) {
		const ms = median(times[name].ms);
		const cpu = median(times[name].cpu);
		out(
			`| ${name} | ${Math.round(ms)} | ${(ms / f).toFixed(2)} | ${Math.round(cpu)} | ${(cpu / fc).toFixed(2)} |`,
		);
	}
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
