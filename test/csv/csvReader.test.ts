import { Readable } from 'node:stream';

import { readCsv, type CsvReadOptions } from '../../lib/csv/reader';
import { cachedProvider } from '../../lib/s3/connection';

async function rows(bytes: string | Buffer, options: CsvReadOptions = {}) {
	const out: Array<Record<string, string>> = [];
	const result = await readCsv(
		Readable.from([Buffer.from(bytes)]),
		options,
		(r) => void out.push(r),
	);
	return { out, result };
}

describe('CSV reader', () => {
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
		const result = await readCsv(Readable.from([Buffer.from(body)]), {}, (r, n) => {
			seen.push(r.id);
			return n < 5;
		});
		expect(seen).toEqual(['0', '1', '2', '3', '4']);
		expect(result.stoppedEarly).toBe(true);
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
