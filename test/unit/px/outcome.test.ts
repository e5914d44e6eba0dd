import type {
	FileOutcome,
	ImportBatch,
	ImportFile,
	ImportMetadata,
} from '../../../lib/importMetadata';
import { BatchCollector, decideFile, decideOutcome, fileOutcomes } from '../../../lib/px/outcome';

const batch = (date: string, files: string[]): ImportBatch => ({
	bucket: 'b',
	baseFolder: 'px',
	folder: `px/current/dt=${date}/`,
	folderName: `dt=${date}`,
	date,
	processedFolder: `px/processed/${date}/`,
	markerKey: `px/current/dt=${date}/_SUCCESS`,
	dataFiles: files.map((f) => `px/current/dt=${date}/${f}`),
	attempt: 1,
});
const B1 = batch('20240101', ['a.csv', 'b.csv']);
const B2 = batch('20240102', ['c.csv']);
const file = (b: ImportBatch, name: string, rows?: number): ImportFile => ({
	bucket: 'b',
	key: `${b.folder}${name}`,
	etag: 'e',
	size: 1,
	batch: b,
	...(rows !== undefined ? { rows } : {}),
});
/** The trigger's item for a file (row 0), a row, a batch of rows. */
const handed = (b: ImportBatch, name: string): ImportMetadata => ({ file: file(b, name), row: 0 });
const row = (b: ImportBatch, name: string, n: number, rows: number): ImportMetadata => ({
	file: file(b, name, rows),
	row: n,
});
const rowsBatch = (
	b: ImportBatch,
	name: string,
	first: number,
	last: number,
	rows: number,
): ImportMetadata => ({
	file: file(b, name, rows),
	row: first,
	lastRow: last,
	rowCount: last - first + 1,
});

type Step = (c: BatchCollector) => void;
const deliver =
	(...metas: ImportMetadata[]): Step =>
	(c) =>
		metas.forEach((m) => c.delivered(m));
const fail =
	(message: string, ...metas: ImportMetadata[]): Step =>
	(c) =>
		metas.forEach((m) => c.failed(m, message));
const hand =
	(...metas: ImportMetadata[]): Step =>
	(c) =>
		metas.forEach((m) => c.handedOn(m));
const reject =
	(meta: ImportMetadata, ...reasons: string[]): Step =>
	(c) =>
		c.rejected(meta, reasons);
const report =
	(b: ImportBatch, name: string, outcome: Partial<FileOutcome>): Step =>
	(c) =>
		c.reported({
			file: file(b, name),
			row: 0,
			outcome: {
				delivered: 0,
				failed: 0,
				rejectedRows: 0,
				reasons: [],
				destinationErrors: [],
				missing: [],
				...outcome,
			},
		});

function decide(steps: Step[]) {
	const c = new BatchCollector();
	for (const step of steps) step(c);
	return Object.fromEntries(
		c
			.all()
			.map((t) => [
				t.batch.date,
				{ ...decideOutcome(t, c.unattributedErrors), undecidable: c.undecidable(t) },
			]),
	);
}

describe('decideOutcome: SUCCESS only when every file passed and every row reached the writer without a destination error', () => {
	it.each<[string, Step[], Record<string, string>]>([
		[
			'every row of both files delivered',
			[
				hand(handed(B1, 'a.csv'), handed(B1, 'b.csv')),
				deliver(row(B1, 'a.csv', 1, 2), row(B1, 'a.csv', 2, 2), row(B1, 'b.csv', 1, 1)),
			],
			{ '20240101': 'SUCCESS\n3 records were uploaded\n' },
		],
		[
			'a batch handed on, none of whose rows arrived, is ERROR (it is still closed)',
			[
				hand(handed(B1, 'a.csv'), handed(B1, 'b.csv'), handed(B2, 'c.csv')),
				deliver(row(B2, 'c.csv', 1, 1)),
			],
			{
				'20240101':
					'ERROR\nMissing Rows:[\n       a.csv: none of its rows reached the status writer,\n       b.csv: none of its rows reached the status writer\n]\n0 records were uploaded\n',
				'20240102': 'SUCCESS\n1 records were uploaded\n',
			},
		],
		[
			'rows missing from a file that was read',
			[deliver(row(B1, 'a.csv', 1, 3)), deliver(row(B1, 'b.csv', 1, 1))],
			{
				'20240101':
					'ERROR\nMissing Rows:[\n       a.csv: 2 of 3 rows did not reach the status writer\n]\n2 records were uploaded\n',
			},
		],
		[
			'a row delivered twice (a destination that answers twice) counts once',
			[deliver(row(B1, 'a.csv', 1, 1), row(B1, 'a.csv', 1, 1), row(B1, 'b.csv', 1, 1))],
			{ '20240101': 'SUCCESS\n2 records were uploaded\n' },
		],
		[
			'batches of rows count by their rows; a failed batch fails its rows and is named by them',
			[
				deliver(
					rowsBatch(B1, 'a.csv', 1, 1000, 2500),
					rowsBatch(B1, 'a.csv', 2001, 2500, 2500),
					row(B1, 'b.csv', 1, 1),
				),
				fail('timeout', rowsBatch(B1, 'a.csv', 1001, 2000, 2500)),
			],
			{
				'20240101':
					'ERROR\nDestination Errors:[\n       a.csv rows 1001-2000: timeout\n]\n1501 records were uploaded\n',
			},
		],
		[
			'a row both answered and failed is failed',
			[
				deliver(row(B1, 'a.csv', 1, 1), row(B1, 'b.csv', 1, 1)),
				fail('refused', row(B1, 'a.csv', 1, 1)),
			],
			{
				'20240101':
					'ERROR\nDestination Errors:[\n       a.csv row 1: refused\n]\n1 records were uploaded\n',
			},
		],
		[
			'a destination error that names no row makes every batch ERROR, quoted, instead of "missing"',
			[
				hand(handed(B1, 'a.csv'), handed(B1, 'b.csv'), handed(B2, 'c.csv')),
				(c) => c.unattributedError('Invalid string length'),
			],
			{
				'20240101':
					'ERROR\nDestination Errors:[\n       the destination failed without naming a row: "Invalid string length"\n]\n0 records were uploaded\n',
				'20240102':
					'ERROR\nDestination Errors:[\n       the destination failed without naming a row: "Invalid string length"\n]\n0 records were uploaded\n',
			},
		],
		[
			'a rejected file: its reasons, and the other file still counted',
			[
				reject({ file: file(B1, 'a.csv', 2), row: 0 }, "Unknown column: 'x'"),
				deliver(row(B1, 'b.csv', 1, 1)),
			],
			{
				'20240101':
					"ERROR\nParsing Errors:[\n       a.csv: Unknown column: 'x'\n]\n1 records were uploaded\n",
			},
		],
		[
			'a folder the trigger could not use (its error on the marker item)',
			[
				hand({
					file: { ...file(B2, '_SUCCESS'), error: 'no data files next to the marker' },
					row: 0,
				}),
			],
			{
				'20240102':
					'ERROR\nParsing Errors:[\n       no data files next to the marker\n]\nMissing Rows:[\n       c.csv: none of its rows reached the status writer\n]\n0 records were uploaded\n',
			},
		],
		[
			'outcomes reported by per-file sub-workflows are added up',
			[
				hand(handed(B1, 'a.csv'), handed(B1, 'b.csv')),
				report(B1, 'a.csv', { rows: 350000, delivered: 350000 }),
				report(B1, 'b.csv', {
					rows: 10,
					delivered: 9,
					failed: 1,
					destinationErrors: ['b.csv row 4: refused'],
				}),
			],
			{
				'20240101':
					'ERROR\nDestination Errors:[\n       b.csv row 4: refused\n]\n350009 records were uploaded\n',
			},
		],
		[
			'a file whose sub-workflow never reported is missing',
			[
				hand(handed(B1, 'a.csv'), handed(B1, 'b.csv')),
				report(B1, 'a.csv', { rows: 1, delivered: 1 }),
			],
			{
				'20240101':
					'ERROR\nMissing Rows:[\n       b.csv: none of its rows reached the status writer\n]\n1 records were uploaded\n',
			},
		],
	])('%s', (_rule, steps, expected) => {
		const decided = decide(steps);
		expect(Object.fromEntries(Object.entries(decided).map(([d, o]) => [d, o.status]))).toEqual(
			expected,
		);
	});

	it('lists at most 20 destination errors per file, and counts the rest', () => {
		const c = new BatchCollector();
		for (let n = 1; n <= 25; n++) c.failed(row(B2, 'c.csv', n, 25), 'refused');
		const status = decideOutcome(c.all()[0]).status;
		expect(status.match(/c\.csv row \d+: refused/g)).toHaveLength(20);
		expect(status).toContain('c.csv: 5 more rows failed');
	});
});

describe('undecidable: the writer refuses to guess', () => {
	it.each<[string, Step[], string | undefined]>([
		['every row traced', [deliver(row(B2, 'c.csv', 1, 1))], undefined],
		[
			'untraced items while rows are missing: they may be those rows',
			[hand(handed(B2, 'c.csv')), (c) => (c.untraced = 2)],
			"2 items reached the status writer that could not be traced to a file, and some rows of this batch are missing (they may be those rows; keep n8n's paired items between the Field Mapper and the status writer)",
		],
		[
			'untraced items, but every row accounted for: not those rows',
			[deliver(row(B2, 'c.csv', 1, 1)), (c) => (c.untraced = 1)],
			undefined,
		],
		[
			'a sub-workflow answered for its file without the file’s outcome',
			[hand(handed(B2, 'c.csv')), (c) => c.unaccounted(handed(B2, 'c.csv'))],
			"c.csv: items came back without the file's outcome (end a per-file sub-workflow with the PX Status Writer's Report File Outcome operation)",
		],
	])('%s', (_rule, steps, expected) => {
		expect(decide(steps)['20240102'].undecidable).toBe(expected);
	});
});

describe('fileOutcomes: what a per-file sub-workflow reports', () => {
	it('only the files it was handed (seenOnly), not the other files of the folder', () => {
		const c = new BatchCollector();
		c.handedOn(handed(B1, 'b.csv'));
		c.delivered(row(B1, 'b.csv', 1, 1));
		const outcomes = fileOutcomes(c.all()[0], { seenOnly: true });
		expect(outcomes.map((o) => o.key)).toEqual(['px/current/dt=20240101/b.csv']);
		expect(outcomes[0].outcome).toEqual({
			rows: 1,
			delivered: 1,
			failed: 0,
			rejectedRows: 0,
			reasons: [],
			destinationErrors: [],
			missing: [],
		});
		expect(fileOutcomes(c.all()[0]).map((o) => o.key)).toEqual([
			'px/current/dt=20240101/a.csv',
			'px/current/dt=20240101/b.csv',
		]);
	});
});

describe('decideFile: a file outside marker folders (New Files, Single File) is imported only when every row was delivered and nothing was rejected', () => {
	const single = (key: string, rows?: number): ImportFile => ({
		bucket: 'b',
		key: `in/${key}`,
		etag: 'e',
		size: 1,
		origin: { mode: 'newFiles', folder: 'in/' },
		...(rows !== undefined ? { rows } : {}),
	});
	const item = (key: string, n: number, rows?: number): ImportMetadata => ({
		file: single(key, rows),
		row: n,
	});
	function decideFiles(steps: Step[]) {
		const c = new BatchCollector();
		for (const step of steps) step(c);
		expect(c.all()).toEqual([]);
		return Object.fromEntries(
			c.files().map((f) => {
				const d = decideFile(f, c.unattributedErrors);
				return [
					f.key.slice(3),
					{ done: d.done, status: d.status, undecidable: c.undecidableFile(f) },
				];
			}),
		);
	}
	it.each<[string, Step[], Record<string, { done: boolean; status: string }>]>([
		[
			'every row delivered: imported',
			[hand(item('a.csv', 0)), deliver(item('a.csv', 1, 2), item('a.csv', 2, 2))],
			{ 'a.csv': { done: true, status: 'SUCCESS\n2 records were uploaded\n' } },
		],
		[
			'none of its rows arrived (a destination that stopped the branch): not imported',
			[hand(item('a.csv', 0), item('b.csv', 0)), deliver(item('b.csv', 1, 1))],
			{
				'a.csv': {
					done: false,
					status:
						'ERROR\nMissing Rows:[\n       a.csv: none of its rows reached the status writer\n]\n0 records were uploaded\n',
				},
				'b.csv': { done: true, status: 'SUCCESS\n1 records were uploaded\n' },
			},
		],
		[
			'a row the destination failed on: not imported, the row named',
			[deliver(item('a.csv', 1, 2)), fail('503 Service Unavailable', item('a.csv', 2, 2))],
			{
				'a.csv': {
					done: false,
					status:
						'ERROR\nDestination Errors:[\n       a.csv row 2: 503 Service Unavailable\n]\n1 records were uploaded\n',
				},
			},
		],
		[
			'a row rejected by validation (lenient mode): not imported',
			[
				deliver(item('a.csv', 1, 2)),
				reject(item('a.csv', 2, 2), "Row 2, column 'n': 'x' is not a number"),
			],
			{
				'a.csv': {
					done: false,
					status:
						"ERROR\nParsing Errors:[\n       a.csv: Row 2, column 'n': 'x' is not a number\n]\n1 records were uploaded\n",
				},
			},
		],
		[
			'a rejected file: not imported',
			[hand(item('a.csv', 0)), reject(item('a.csv', 0), 'a header without rows')],
			{
				'a.csv': {
					done: false,
					status:
						'ERROR\nParsing Errors:[\n       a.csv: a header without rows\n]\n0 records were uploaded\n',
				},
			},
		],
		[
			'a file handed on whole (not read as rows) that reached Imported Rows: imported',
			[hand(item('scan.pdf', 0)), (c) => c.unaccounted(item('scan.pdf', 0))],
			{ 'scan.pdf': { done: true, status: 'SUCCESS\nthe file was delivered\n' } },
		],
		[
			'a file handed on whole that reached Failed Rows: not imported',
			[hand(item('scan.pdf', 0)), fail('quota exceeded', item('scan.pdf', 0))],
			{
				'scan.pdf': {
					done: false,
					status:
						'ERROR\nDestination Errors:[\n       scan.pdf: quota exceeded\n]\n0 records were uploaded\n',
				},
			},
		],
		[
			'a destination error that names no row: every file is not imported, quoted',
			[hand(item('a.csv', 0)), (c) => c.unattributedError('Invalid string length')],
			{
				'a.csv': {
					done: false,
					status:
						'ERROR\nDestination Errors:[\n       the destination failed without naming a row: "Invalid string length"\n]\n0 records were uploaded\n',
				},
			},
		],
		[
			'the outcome a per-file sub-workflow reported',
			[
				hand(item('a.csv', 0)),
				(c) =>
					c.reported({
						file: single('a.csv'),
						row: 0,
						outcome: {
							rows: 3,
							delivered: 3,
							failed: 0,
							rejectedRows: 0,
							reasons: [],
							destinationErrors: [],
							missing: [],
						},
					}),
			],
			{ 'a.csv': { done: true, status: 'SUCCESS\n3 records were uploaded\n' } },
		],
	])('%s', (_rule, steps, expected) => {
		const decided = decideFiles(steps);
		expect(
			Object.fromEntries(
				Object.entries(decided).map(([k, d]) => [k, { done: d.done, status: d.status }]),
			),
		).toEqual(expected);
	});

	it('untraced items while rows are missing: undecidable, as for a batch', () => {
		const decided = decideFiles([hand(item('a.csv', 0)), (c) => (c.untraced = 1)]);
		expect(decided['a.csv'].undecidable).toMatch(
			/^1 item reached the node that could not be traced/,
		);
		expect(
			decideFiles([deliver(item('a.csv', 1, 1)), (c) => (c.untraced = 1)])['a.csv'].undecidable,
		).toBeUndefined();
	});

	it('two versions of one key are two files', () => {
		const c = new BatchCollector();
		c.handedOn({ file: { ...single('a.csv'), etag: 'v1' }, row: 0 });
		c.handedOn({ file: { ...single('a.csv'), etag: 'v2' }, row: 0 });
		expect(c.files().map((f) => f.file.etag)).toEqual(['v1', 'v2']);
	});
});
