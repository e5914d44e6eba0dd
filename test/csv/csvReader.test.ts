import { Readable } from 'node:stream';

import { CsvReadError, readCsv, readCsvValues, type CsvReadOptions } from '../../lib/csv/reader';
import { cachedProvider } from '../../lib/s3/connection';
import { CHUNKINGS, inChunks } from '../helpers/chunks';

describe.each(CHUNKINGS)('CSV reader, the file %s', (_cut, size) => {
	async function rows(bytes: string | Buffer, options: CsvReadOptions = {}) {
		const out: Array<Record<string, string>> = [];
		const result = await readCsv(inChunks(bytes, size), options, (r) => void out.push(r));
		return { out, result };
	}

	it('reads RFC 4180: quoted commas, quotes and line breaks; strips a BOM; mixed line endings', async () => {
		const { out, result } = await rows(
			'\uFEFFid,note\r\n1,"a, b"\n2,"say ""hi"""\r\n3,"two\nlines"\r4,x\n',
		);
		expect(result.header).toEqual(['id', 'note']);
		expect(out).toEqual([
			{ id: '1', note: 'a, b' },
			{ id: '2', note: 'say "hi"' },
			{ id: '3', note: 'two\nlines' },
			{ id: '4', note: 'x' },
		]);
	});

	it('honours another delimiter and Latin-1', async () => {
		const latin1 = Buffer.from('name;city\nJosé;Zürich\n', 'latin1');
		const { out } = await rows(latin1, { delimiter: ';', encoding: 'latin1' });
		expect(out).toEqual([{ name: 'José', city: 'Zürich' }]);
	});

	it.each([
		['an empty file', '', 'the file is empty; a header row with the column names is required'],
		[
			'a duplicate header',
			'id,name,id\n1,2,3\n',
			"line 1: the header 'id' appears twice (columns 1 and 3); rename or remove one",
		],
		[
			'an empty header',
			'id,,x\n1,2,3\n',
			'line 1: column 2 has an empty header name; every column needs a name',
		],
		['a ragged row', 'a,b\n1,2\n1,2,3\n', 'line 3: the row has 3 fields but the header has 2'],
		[
			'an unterminated quote',
			'a,b\n1,"open\n',
			'a quoted field is never closed before the end of the file',
		],
	])('refuses %s with the line', async (_name, text, message) => {
		await expect(rows(text)).rejects.toThrow(message);
	});

	it('refuses Latin-1 bytes read as UTF-8, naming the line', async () => {
		const bytes = Buffer.concat([Buffer.from('name\nok\n'), Buffer.from('Jos\xe9\n', 'latin1')]);
		await expect(rows(bytes)).rejects.toThrow(
			/^line 3: bytes that are not valid UTF-8.*set the encoding option to Windows-1252/,
		);
	});

	it('reads a 1 MB field', async () => {
		const big = 'x'.repeat(1024 * 1024);
		const { out } = await rows(`id,blob\n1,"${big}"\n`);
		expect(out[0].blob).toHaveLength(1024 * 1024);
	});

	it('stops early when asked (a test run’s sample)', async () => {
		const body = `id\n${Array.from({ length: 1000 }, (_, i) => i).join('\n')}\n`;
		const seen: string[] = [];
		const result = await readCsv(inChunks(body, size), {}, (r, n) => {
			seen.push(r.id);
			return n < 5;
		});
		expect(seen).toEqual(['0', '1', '2', '3', '4']);
		expect(result.stoppedEarly).toBe(true);
	});
});

/** Each guarantee of the reader, with the physical line a problem is named by. */
describe.each(CHUNKINGS)('CSV reader guarantees, the file %s', (_cut, size) => {
	async function values(bytes: string | Buffer, options: CsvReadOptions = {}) {
		const out: string[][] = [];
		await readCsvValues(
			inChunks(bytes, size),
			options,
			(v) => void out.push(v),
			(h) => void out.push(h),
		);
		return out;
	}
	async function failure(bytes: string | Buffer, options: CsvReadOptions = {}) {
		try {
			await values(bytes, options);
		} catch (error) {
			const e = error as CsvReadError;
			return { code: e.code, line: e.line };
		}
		throw new Error('read without an error');
	}
	const bytes = (...parts: Array<string | number[]>) =>
		Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

	it.each<[string, string | Buffer, CsvReadOptions, string, number]>([
		[
			'a ragged row after quoted CRLFs (each one line)',
			'id,note\r\n1,"a\r\nb"\r\n2,"c\r\nd"\r\n3,x,extra\r\n',
			{},
			'RAGGED_ROW',
			6,
		],
		['a ragged row spanning lines, by its first line', 'a,b\n1,"x\ny",3\n', {}, 'RAGGED_ROW', 2],
		['a ragged row in a CR-only file', 'a,b\r1,2\r3\r', {}, 'RAGGED_ROW', 3],
		['a quote never closed, by its row', 'a,b\n1,2\n3,"open\n4,5\n', {}, 'UNTERMINATED_QUOTE', 3],
		[
			'a quote never closed after quoted CRLFs',
			'a,b\r\n1,"x\r\ny"\r\n2,"open\r\n',
			{},
			'UNTERMINATED_QUOTE',
			4,
		],
		['a bare quote', 'a,b\n1,"x\r\ny"\n2,5\'11"\n', {}, 'INVALID_QUOTE', 4],
		['text after a closing quote', 'a,b\n1,"x"y\n', {}, 'INVALID_QUOTE', 2],
		[
			'invalid UTF-8 after quoted CRLFs',
			bytes('a,b\r\n1,"x\r\ny"\r\n2,Jos', [0xe9], '\r\n'),
			{},
			'INVALID_ENCODING',
			4,
		],
		[
			'UTF-8 cut off at the end of the file',
			bytes('a\nb\n', [0xe2, 0x82]),
			{},
			'INVALID_ENCODING',
			3,
		],
		[
			'a Windows-1252 byte read as Latin-1',
			bytes('a\r\n"x\r\ny"\r\n', [0x80], '\r\n'),
			{ encoding: 'latin1' },
			'INVALID_ENCODING',
			4,
		],
		['a duplicate header after empty lines', '\n\nid,id\n1,2\n', {}, 'DUPLICATE_HEADER', 3],
	])('names the line of %s', async (_name, text, options, code, line) => {
		expect(await failure(text, options)).toEqual({ code, line });
	});

	it('reads another one-character delimiter (tab), and refuses a longer one', async () => {
		expect(await values('a\tb\n1\t"x\ty"\n', { delimiter: '\t' })).toEqual([
			['a', 'b'],
			['1', 'x\ty'],
		]);
		expect(await failure('a;;b\n1;;2\n', { delimiter: ';;' })).toEqual({
			code: 'BAD_DELIMITER',
			line: undefined,
		});
	});

	it('reads multi-byte characters, whatever chunk they are cut in', async () => {
		expect(await values('name,sign\nJosé,€\nZoë,😀\n')).toEqual([
			['name', 'sign'],
			['José', '€'],
			['Zoë', '😀'],
		]);
	});

	it('reads CR-only files, skips empty lines, keeps a row of one empty quoted field', async () => {
		expect(await values('a\r\r\nx\r""\n\n"y\r\nz"\r')).toEqual([['a'], ['x'], [''], ['y\r\nz']]);
	});

	it('reads a last row without a line break, and a last field left empty', async () => {
		expect(await values('a,b\n1,\n2,"q"')).toEqual([
			['a', 'b'],
			['1', ''],
			['2', 'q'],
		]);
	});

	it('reads the four encodings; a BOM decides UTF-8 or UTF-16 LE whatever the option says', async () => {
		const utf16 = Buffer.from('\uFEFFid,name\r\n1,Zoë €\r\n', 'utf16le');
		for (const encoding of ['utf-16le', 'utf-8', 'latin1', 'windows-1252'] as const)
			expect(await values(utf16, { encoding })).toEqual([
				['id', 'name'],
				['1', 'Zoë €'],
			]);
		expect(await values(Buffer.from('\uFEFFid\nZoë\n'), { encoding: 'latin1' })).toEqual([
			['id'],
			['Zoë'],
		]);
		expect(await values(Buffer.from('id\nZo\xeb\n', 'latin1'), { encoding: 'latin1' })).toEqual([
			['id'],
			['Zoë'],
		]);
		expect(
			await values(Buffer.from([0x69, 0x64, 0x0a, 0x80, 0x0a]), { encoding: 'windows-1252' }),
		).toEqual([['id'], ['€']]);
	});

	it('with Allow Bare Quotes, reads quotes as csv-parse relaxed them', async () => {
		expect(await values('a,b\n5\'11",12" pipe\n"x"y,"p"q r"\n', { allowBareQuotes: true })).toEqual(
			[
				['a', 'b'],
				['5\'11"', '12" pipe'],
				['"x"y', '"p"q r"'],
			],
		);
	});
});

/**
 * The reader against csv-parse (what it read with before), on generated files: quoted fields with
 * delimiters, quotes and line breaks, empty fields and lines, mixed line ends, multi-byte
 * characters, bare quotes, quotes never closed, ragged rows; each file whole, in 1-byte and 7-byte
 * chunks and cut at random.
 */
describe('the reader against csv-parse', () => {
	const { parse } = jest.requireActual('csv-parse/sync') as typeof import('csv-parse/sync');
	const CODES: Record<string, string> = {
		CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'RAGGED_ROW',
		CSV_QUOTE_NOT_CLOSED: 'UNTERMINATED_QUOTE',
		CSV_INVALID_CLOSING_QUOTE: 'INVALID_QUOTE',
		INVALID_OPENING_QUOTE: 'INVALID_QUOTE',
	};
	/** mulberry32: reproducible. */
	const prng = (seed: number) => () => {
		seed = (seed + 0x6d2b79f5) >>> 0;
		let t = seed;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const PIECES = ['a', 'b7', ',', '""', '"', '\n', '\r\n', '\r', ' ', 'é', '€', '😀', '5\'11"'];
	function file(random: () => number): string {
		const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
		const eol = () => pick(['\n', '\r\n', '\r']);
		const field = () => {
			const r = random();
			if (r < 0.3) return `v${Math.floor(random() * 100)}`;
			if (r < 0.4) return '';
			const text = Array.from({ length: Math.floor(random() * 5) }, () => pick(PIECES)).join('');
			if (r < 0.9) return `"${text.replace(/"/g, '""')}"`;
			return random() < 0.5 ? text : `"${text}`; // bare or misplaced quotes, a quote never closed
		};
		const width = 1 + Math.floor(random() * 4);
		let text = Array.from({ length: width }, (_, i) => `h${i}`).join(',') + eol();
		const rows = Math.floor(random() * 6);
		for (let r = 0; r < rows; r++) {
			const n = random() < 0.1 ? width + (random() < 0.5 ? 1 : -1) : width;
			text += Array.from({ length: Math.max(n, 1) }, field).join(',');
			if (r < rows - 1 || random() < 0.7) text += eol();
			if (random() < 0.1) text += eol();
		}
		return text;
	}
	async function ours(text: string, options: CsvReadOptions, cut: number | (() => number)) {
		const records: string[][] = [];
		const buffer = Buffer.from(text);
		const chunks: Buffer[] = [];
		for (let at = 0; at < buffer.length;) {
			const n = typeof cut === 'function' ? cut() : cut || buffer.length;
			chunks.push(buffer.subarray(at, at + n));
			at += n;
		}
		try {
			await readCsvValues(
				Readable.from(chunks),
				options,
				(v) => void records.push(v),
				(h) => void records.push(h),
			);
			return { records };
		} catch (error) {
			return { code: (error as CsvReadError).code };
		}
	}

	it('gives the same rows, or the same kind of error, however the file is cut', async () => {
		const random = prng(21);
		for (let n = 0; n < 500; n++) {
			const text = file(random);
			const allowBareQuotes = random() < 0.3;
			let expected: { records: string[][] } | { code: string };
			try {
				expected = {
					records: parse(text, {
						bom: true,
						record_delimiter: ['\r\n', '\n', '\r'],
						skip_empty_lines: true,
						relax_quotes: allowBareQuotes,
					}) as string[][],
				};
			} catch (error) {
				expected = { code: CODES[(error as { code: string }).code] };
			}
			for (const cut of [0, 1, 7, () => 1 + Math.floor(random() * 9)]) {
				expect({ text, cut: String(cut), ...(await ours(text, { allowBareQuotes }, cut)) }).toEqual(
					{
						text,
						cut: String(cut),
						...expected,
					},
				);
			}
		}
	});
});

describe('temporary credentials', () => {
	it('are fetched once and refreshed shortly before they expire, not per request', async () => {
		let now = 0;
		let calls = 0;
		const provider = cachedProvider(
			async () => {
				calls++;
				return {
					accessKeyId: `ASIA${calls}`,
					secretAccessKey: 's',
					sessionToken: 't',
					expiration: new Date(now + 3600_000),
				};
			},
			300_000,
			() => now,
		);
		await Promise.all([provider(), provider(), provider()]);
		expect(calls).toBe(1);
		now = 3000_000;
		expect((await provider()).accessKeyId).toBe('ASIA1');
		now = 3400_000;
		expect((await provider()).accessKeyId).toBe('ASIA2');
		expect(calls).toBe(2);
	});
});
