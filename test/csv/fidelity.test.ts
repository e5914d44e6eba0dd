/**
 * Fidelity on messy real-world files and values: each case here was wrong before (issue "Real-world
 * file fidelity"), written from what real exports and real directories contain.
 */
import { gzipSync } from 'node:zlib';

import { readCsv, type CsvReadOptions } from '../../lib/csv/reader';
import { FieldMapping } from '../../lib/mapping/fields';
import { mapCsvFile } from '../../lib/mapping/mapFile';
import { CHUNKINGS, inChunks } from '../helpers/chunks';

/** Windows-1252 bytes of a text (what Excel on Windows saves as "CSV"). */
const cp1252 = (text: string) =>
	Buffer.from(
		[...text].map(
			(c) =>
				({ '€': 0x80, '“': 0x93, '”': 0x94, '–': 0x96, '’': 0x92, é: 0xe9 })[c] ?? c.charCodeAt(0),
		),
	);

/** Each reader case runs with the file whole, and in 1-byte and 7-byte chunks. */
describe.each(CHUNKINGS)('the file %s', (_cut, size) => {
	async function read(bytes: Buffer | string, options: CsvReadOptions = {}) {
		const out: Array<Record<string, string>> = [];
		await readCsv(inChunks(bytes, size), options, (r) => void out.push(r));
		return out;
	}

	describe('encodings', () => {
		const excel = cp1252('product,price,note\nWidget,€5,“best” – it’s café\n');

		it('Windows-1252 is read right: €, curly quotes, dashes', async () => {
			expect(await read(excel, { encoding: 'windows-1252' })).toEqual([
				{ product: 'Widget', price: '€5', note: '“best” – it’s café' },
			]);
		});

		it('read as UTF-8, the error names the line and Windows-1252', async () => {
			await expect(read(excel)).rejects.toThrow(
				/^line 2: bytes that are not valid UTF-8 .*set the encoding option to Windows-1252/,
			);
		});

		it('read as Latin-1, the Windows-1252 characters are refused with the line, not turned into invisible control characters', async () => {
			await expect(read(excel, { encoding: 'latin1' })).rejects.toThrow(
				/^line 2: byte 0x80 is a control character in Latin-1.*set the encoding option to Windows-1252/,
			);
			// True ISO-8859-1 stays as it was.
			expect(await read(Buffer.from('city\nZürich\n', 'latin1'), { encoding: 'latin1' })).toEqual([
				{ city: 'Zürich' },
			]);
		});
	});

	describe('line numbers', () => {
		it('an unterminated quote is reported at the line where the quote opened, not at the end of the file', async () => {
			const text = `a,b\n1,2\n3,"never closed\n${'4,5\n'.repeat(1000)}`;
			const mapping = new FieldMapping([{ target: 'a', type: 'string' }], {
				mode: 'lenient',
				dateFormat: 'yyyy-MM-dd',
				strictMaxRows: 350_000,
				requiredColumns: [],
				maxReasons: 5,
				keepUnmapped: true,
			});
			const result = await mapCsvFile(
				async () => inChunks(text, size),
				{ bucket: '', key: 'quotes.csv', etag: '', size: 0 },
				{
					mapping,
					keepUnmapped: true,
					csv: { delimiter: ',', encoding: 'utf-8', rowLimit: 1_000_000 },
				},
			);
			expect(result.unreadable).toMatch(
				/^line 3: a quote opened in the row that starts on this line is never closed \(the file ends at line 100\d\)/,
			);
		});

		it('CR-only files count their lines (old Mac exports)', async () => {
			const bytes = Buffer.concat([
				Buffer.from('name\rok\rfine\r'),
				Buffer.from('Jos\xe9\r', 'latin1'),
			]);
			await expect(read(bytes)).rejects.toThrow(/^line 4: bytes that are not valid UTF-8/);
			await expect(
				read(Buffer.concat([Buffer.from('name\r\nok\r\n'), Buffer.from('Jos\xe9\r\n', 'latin1')])),
			).rejects.toThrow(/^line 3: /);
		});
	});

	describe('the row cap', () => {
		it('a file with more rows than allowed is refused, not cut short', async () => {
			const mapping = new FieldMapping([{ target: 'id', type: 'string' }], {
				mode: 'lenient',
				dateFormat: 'yyyy-MM-dd',
				strictMaxRows: 350_000,
				requiredColumns: [],
				maxReasons: 5,
			});
			const open = async () => inChunks('id\n1\n2\n3\n4\n', size);
			const file = { bucket: '', key: 'rows.csv', etag: '', size: 0 };
			const csv = { delimiter: ',', encoding: 'utf-8' as const, rowLimit: 3 };
			const result = await mapCsvFile(open, file, { mapping, keepUnmapped: false, csv });
			expect(result.unreadable).toBe(
				'the file has more than 3 rows, the most one file may have; split it into several files',
			);
			expect(result.valid).toEqual([]);
			const four = { ...csv, rowLimit: 4 };
			expect(
				(await mapCsvFile(open, file, { mapping, keepUnmapped: false, csv: four })).valid,
			).toHaveLength(4);
		});
	});

	describe('bare quotes inside unquoted fields', () => {
		const text = 'item,size\npipe,12" long\nperson,5\'11"\n';

		it('are refused by default, and the error says which option accepts them', async () => {
			await expect(read(text)).rejects.toThrow(
				/^line 2: a field contains a quote .*turn on the Allow Bare Quotes option/,
			);
		});

		it('are read as they are with Allow Bare Quotes', async () => {
			expect(await read(text, { allowBareQuotes: true })).toEqual([
				{ item: 'pipe', size: '12" long' },
				{ item: 'person', size: '5\'11"' },
			]);
		});
	});

	describe('a corrupt gzip file', () => {
		const mapping = new FieldMapping(
			[
				{ target: 'id', type: 'string' },
				{ target: 'score', type: 'number' },
			],
			{
				mode: 'strict',
				dateFormat: 'yyyy-MM-dd',
				strictMaxRows: 350_000,
				requiredColumns: ['id'],
				maxReasons: 20,
			},
		);
		const gz = gzipSync(
			Buffer.from(
				`id,score\n${Array.from({ length: 20_000 }, (_, i) => `${i},${i}`).join('\n')}\n`,
			),
		);

		it.each([500, 1000, 1500, 2000, 2500, 3000, 4000, 6000])(
			'with one bit flipped at byte %i is reported as a corrupt gzip, not as a ragged row',
			async (at) => {
				const bad = Buffer.from(gz);
				bad[at] ^= 0x01;
				const result = await mapCsvFile(
					async () => inChunks(bad, size, 1024),
					{ bucket: '', key: 'users.csv.gz', etag: '', size: bad.length },
					{
						mapping,
						keepUnmapped: false,
						csv: { delimiter: ',', encoding: 'utf-8', rowLimit: 1_000_000 },
					},
				);
				expect(result.unreadable).toMatch(/^the gzip data is corrupt or truncated/);
				expect(result.valid).toEqual([]);
			},
		);
	});
});

describe('matching keys', () => {
	// Imported here so the reader cases above do not load the matcher.
	const { crmIdKey, domainKey, emailKey, salesforce18 } = jest.requireActual(
		'../../lib/matching/normalise',
	) as typeof import('../../lib/matching/normalise');

	it.each(['hotmail.fr', 'yahoo.co.jp', 't-online.de', 'comcast.net', 'outlook.de', 'live.co.uk'])(
		'%s is a free-mail domain and never identifies an account',
		(domain) => {
			expect(domainKey(`someone@${domain}`)).toEqual({
				reason: `'${domain}' is a free-mail domain and never identifies an account`,
			});
		},
	);

	it('an 18-character Salesforce ID whose last three characters cannot be its checksum is refused, not rebuilt into another record', () => {
		expect(crmIdKey(salesforce18('a0D30000001n7Pi'))).toEqual({ key: 'sf:a0D30000001n7Pi' });
		// 'Z' marks all but one of its five characters as upper-case: '0', '3', '0' are digits.
		expect(crmIdKey('a0D30000001n7PiZZZ')).toEqual({ reason: 'invalid Salesforce ID checksum' });
		expect(crmIdKey('a0D30000001n7Pi-AB')).toEqual({ key: 'id:a0D30000001n7Pi-AB' });
		// 18 digits (another CRM's numeric ID) is compared exactly, not as a Salesforce ID.
		expect(crmIdKey('123456789012345678')).toEqual({ key: 'id:123456789012345678' });
	});

	it('www.<public suffix> sites match on their own registrable domain', () => {
		expect(domainKey('https://www.gov.uk/guidance')).toEqual({ key: 'www.gov.uk' });
		expect(domainKey('www.acme.co.uk')).toEqual({ key: 'acme.co.uk' });
	});

	it('a leading dot or an empty label is not a domain', () => {
		expect(domainKey('.acme.com')).toEqual({
			reason: "'.acme.com' is not a domain, URL or email address",
		});
		expect(domainKey('acme..com')).toEqual({
			reason: "'acme..com' is not a domain, URL or email address",
		});
	});

	it('Name <email@host> matches by its address', () => {
		expect(domainKey('Jane Doe <jane@Acme.com>')).toEqual({ key: 'acme.com' });
		expect(emailKey('"Doe, Jane" <Jane@Acme.com>')).toEqual({ key: 'jane@acme.com' });
	});
});

describe('numbers', () => {
	const toNumber = new FieldMapping([{ target: 'n', type: 'number' }], {
		mode: 'lenient',
		dateFormat: 'yyyy-MM-dd',
		strictMaxRows: 1,
		requiredColumns: [],
		maxReasons: 1,
	}).fields[0].convert;
	/** What the number type accepted before it was read character by character. */
	const before = (text: string) => {
		const t = text.trim();
		return /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t) ? Number(t) : 'invalid';
	};

	it('are read as Number() reads them, on generated texts', () => {
		let seed = 3;
		const random = () => {
			seed = (seed * 1103515245 + 12345) % 2147483648;
			return seed / 2147483648;
		};
		const PIECES = ['0', '1', '7', '9', '.', '-', '+', 'e', 'E', ' ', ',', 'x', '00', '123456789'];
		const texts = [
			'0.1',
			'-0',
			'1.',
			'.5',
			'+.5',
			'1e5',
			'1e-7',
			'12345678901234567',
			'0.3',
			'9007199254740993',
		];
		for (let n = 0; n < 20_000; n++)
			texts.push(
				Array.from(
					{ length: 1 + Math.floor(random() * 8) },
					() => PIECES[Math.floor(random() * PIECES.length)],
				).join(''),
			);
		for (let n = 0; n < 2000; n++)
			texts.push((random() * 10 ** Math.floor(random() * 12)).toFixed(Math.floor(random() * 6)));
		for (const text of texts) {
			const value = toNumber(text);
			expect({ text, value: typeof value === 'number' ? value : 'invalid' }).toEqual({
				text,
				value: before(text),
			});
		}
	});
});

describe('dates', () => {
	const { compileDatePattern } = jest.requireActual(
		'../../lib/mapping/javaDate',
	) as typeof import('../../lib/mapping/javaDate');

	it('a day name (EEE, EEEE) must be the date’s own', () => {
		const p = compileDatePattern('EEE, dd MMM yyyy');
		expect(p.parse('Thu, 29 Feb 2024')?.date).toBe('2024-02-29');
		expect(p.parse('Mon, 29 Feb 2024')).toBeUndefined();
		expect(compileDatePattern('EEEE yyyy-MM-dd').parse('Thursday 2024-02-29')?.date).toBe(
			'2024-02-29',
		);
		expect(compileDatePattern('EEEE yyyy-MM-dd').parse('Funday 2024-02-29')).toBeUndefined();
	});

	it('years below 100 are those years, not 19xx', () => {
		const p = compileDatePattern('yyyy-MM-dd');
		expect(p.parse('0099-03-01')).toEqual({
			date: '0099-03-01',
			dateTime: '0099-03-01T00:00:00.000Z',
		});
		// Year 100 is not a leap year; 2000 is.
		expect(p.parse('0100-02-29')).toBeUndefined();
		expect(
			compileDatePattern("yyyy-MM-dd'T'HH:mm:ssX").parse('0050-06-15T10:00:00Z')?.dateTime,
		).toBe('0050-06-15T10:00:00.000Z');
	});
});
