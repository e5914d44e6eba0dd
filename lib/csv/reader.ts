import { isUtf8 } from 'node:buffer';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TextDecoder } from 'node:util';

import { parse, type CsvError, type Options } from 'csv-parse';

export type CsvEncoding = 'utf-8' | 'windows-1252' | 'latin1' | 'utf-16le';

export interface CsvReadOptions {
	/** Field delimiter, one character; default ','. */
	delimiter?: string;
	/** How the bytes are decoded; default UTF-8 (invalid UTF-8 is an error, not replaced). */
	encoding?: CsvEncoding;
	/** Accept a quote inside an unquoted field (`5'11"`, `12" pipe`) as an ordinary character. */
	allowBareQuotes?: boolean;
}

/** A row as it comes out of the file: column name to text. */
export type CsvRecord = Record<string, string>;

export interface CsvReadResult {
	header: string[];
	/** Data rows handed to the callback (the header is not counted). */
	rows: number;
	/** True when the callback asked to stop before the end of the file. */
	stoppedEarly: boolean;
}

/** A problem with the file's bytes or CSV structure. `line` is 1-based, the header is line 1. */
export class CsvReadError extends Error {
	constructor(
		readonly reason: string,
		readonly code: string,
		readonly line?: number,
		readonly column?: string,
	) {
		super(line === undefined ? reason : `line ${line}: ${reason}`);
		this.name = 'CsvReadError';
	}
}

/**
 * Counts line breaks as the parser does: CRLF, LF and a lone CR are one each. `previousCr` says
 * whether the bytes before these ended with a CR (so an LF first here belongs to it).
 */
export class LineCounter {
	lines = 0;
	private previousCr = false;

	add(bytes: Buffer): void {
		const cr = bytes.indexOf(13);
		if (cr === -1) {
			// The common case, LF only: native search.
			let at = bytes.indexOf(10);
			if (at === 0 && this.previousCr) at = bytes.indexOf(10, 1);
			while (at !== -1) {
				this.lines++;
				at = bytes.indexOf(10, at + 1);
			}
			this.previousCr = false;
			return;
		}
		for (let i = 0; i < bytes.length; i++) {
			const b = bytes[i];
			if (b === 13) this.lines++;
			else if (b === 10 && !(i === 0 ? this.previousCr : bytes[i - 1] === 13)) this.lines++;
		}
		this.previousCr = bytes.length > 0 && bytes[bytes.length - 1] === 13;
	}
}

function linesIn(bytes: Buffer, before?: LineCounter): number {
	const counter = new LineCounter();
	if (before) Object.assign(counter, before);
	const start = counter.lines;
	counter.add(bytes);
	return counter.lines - start;
}

/** Length of an incomplete UTF-8 sequence at the end of `bytes` (0 to 3). */
function incompleteTail(bytes: Buffer): number {
	for (let back = 1; back <= Math.min(3, bytes.length); back++) {
		const byte = bytes[bytes.length - back];
		if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back
		const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
		return need > back ? back : 0;
	}
	return 0;
}

/**
 * Passes bytes through unchanged, checking that they are valid UTF-8 (natively, chunk by chunk,
 * holding back a character split across chunks). Invalid bytes stop the read with their line.
 */
class Utf8Check extends Transform {
	private carry: Buffer = Buffer.alloc(0);
	private readonly seen = new LineCounter();

	private fail(bytes: Buffer, callback: TransformCallback) {
		const text = new TextDecoder('utf-8').decode(bytes);
		const bad = text.indexOf('\uFFFD');
		const before = Buffer.from(bad === -1 ? text : text.slice(0, bad));
		callback(
			new CsvReadError(
				'bytes that are not valid UTF-8 (a file saved by Excel on Windows is usually Windows-1252); save it as UTF-8, or set the encoding option to Windows-1252',
				'INVALID_ENCODING',
				this.seen.lines + linesIn(before, this.seen) + 1,
			),
		);
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		const bytes = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
		const tail = incompleteTail(bytes);
		const complete = tail > 0 ? bytes.subarray(0, bytes.length - tail) : bytes;
		if (!isUtf8(complete)) return this.fail(complete, callback);
		this.carry = tail > 0 ? Buffer.from(bytes.subarray(bytes.length - tail)) : Buffer.alloc(0);
		this.seen.add(complete);
		callback(null, complete);
	}

	override _flush(callback: TransformCallback): void {
		if (this.carry.length > 0) return this.fail(this.carry, callback);
		callback();
	}
}

/**
 * Latin-1 (ISO-8859-1) is decoded as it is, but bytes 0x80-0x9F are C1 control characters there,
 * which no text file means: they are Windows-1252's €, curly quotes and dashes. Such a file is
 * refused with the line, rather than imported with invisible characters.
 */
class Latin1Check extends Transform {
	private readonly seen = new LineCounter();

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		for (let i = 0; i < chunk.length; i++) {
			const b = chunk[i];
			if (b >= 0x80 && b <= 0x9f) {
				return callback(
					new CsvReadError(
						`byte 0x${b.toString(16).toUpperCase()} is a control character in Latin-1 (ISO-8859-1); the file is Windows-1252 (as Excel on Windows saves it): set the encoding option to Windows-1252`,
						'INVALID_ENCODING',
						this.seen.lines + linesIn(chunk.subarray(0, i), this.seen) + 1,
					),
				);
			}
		}
		this.seen.add(chunk);
		callback(null, chunk);
	}
}

/** Windows-1252 to UTF-8 (its 0x80-0x9F are €, ‚, ƒ, „, …, curly quotes, dashes and the like). */
class Windows1252ToUtf8 extends Transform {
	private readonly decoder = new TextDecoder('windows-1252');

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		callback(null, Buffer.from(this.decoder.decode(chunk, { stream: true }), 'utf8'));
	}

	override _flush(callback: TransformCallback): void {
		const rest = this.decoder.decode();
		callback(null, rest ? Buffer.from(rest, 'utf8') : undefined);
	}
}

function translateCsvError(
	error: CsvError & { lines?: number; record?: unknown[] },
	header: string[],
): CsvReadError {
	const line = error.lines;
	switch (error.code) {
		case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
		case 'CSV_RECORD_INCONSISTENT_COLUMNS': {
			const got = Array.isArray(error.record) ? error.record.length : undefined;
			return new CsvReadError(
				`the row has ${got ?? 'a different number of'} fields but the header has ${header.length}; check for an unquoted delimiter or a missing field`,
				'RAGGED_ROW',
				line,
			);
		}
		case 'CSV_QUOTE_NOT_CLOSED':
			// csv-parse reports the end of the file; `unclosedQuoteLine` finds where the quote opened.
			return new CsvReadError(
				'a quoted field is never closed before the end of the file; close the quote or escape it as ""',
				'UNTERMINATED_QUOTE',
				line,
			);
		case 'CSV_INVALID_CLOSING_QUOTE':
		case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
			return new CsvReadError(
				'a quote inside a field is not escaped; write a quote inside a quoted field as ""',
				'INVALID_QUOTE',
				line,
			);
		case 'INVALID_OPENING_QUOTE':
			return new CsvReadError(
				'a field contains a quote but does not start with one (like 5\'11" or 12" pipe); quote the whole field and write inner quotes as "", or turn on the Allow Bare Quotes option',
				'INVALID_QUOTE',
				line,
			);
		default:
			return new CsvReadError(`${error.message}`, error.code ?? 'CSV_ERROR', line);
	}
}

function checkHeader(header: string[]): void {
	const seen = new Map<string, number>();
	header.forEach((name, index) => {
		if (name.trim() === '') {
			throw new CsvReadError(
				`column ${index + 1} has an empty header name; every column needs a name`,
				'EMPTY_HEADER',
				1,
			);
		}
		const earlier = seen.get(name);
		if (earlier !== undefined) {
			throw new CsvReadError(
				`the header '${name}' appears twice (columns ${earlier + 1} and ${index + 1}); rename or remove one`,
				'DUPLICATE_HEADER',
				1,
				name,
			);
		}
		seen.set(name, index);
	});
}

/**
 * csv-parse's options for the reader's options. csv-parse works on bytes and decodes each field
 * itself, so the bytes go to it unchanged (Windows-1252 arrives already turned into UTF-8).
 */
function parserOptions(options: CsvReadOptions): Options {
	const encoding = options.encoding ?? 'utf-8';
	return {
		delimiter: options.delimiter || ',',
		bom: true,
		encoding:
			encoding === 'utf-8' || encoding === 'windows-1252'
				? 'utf8'
				: encoding === 'latin1'
					? 'latin1'
					: 'utf16le',
		record_delimiter: ['\r\n', '\n', '\r'],
		skip_empty_lines: true,
		relax_column_count: false,
		relax_quotes: options.allowBareQuotes === true,
	};
}

/**
 * Streams an RFC 4180 CSV: quoted fields may hold delimiters, quotes ("") and line breaks;
 * a UTF-8 BOM is stripped; CRLF, LF and CR line endings are accepted, mixed. The first row is
 * the header and is required. Each data row is handed to `onRow` as it is parsed, so memory does
 * not grow with the file; return `false` from `onRow` (or from `onHeader`, which sees the checked
 * header before any row) to stop early.
 */
export async function readCsv(
	source: Readable,
	options: CsvReadOptions,
	onRow: (record: CsvRecord, row: number) => boolean | void,
	onHeader?: (header: string[]) => boolean | void,
): Promise<CsvReadResult> {
	let names: string[] = [];
	return await readCsvValues(
		source,
		options,
		(values, row) => {
			const object: CsvRecord = {};
			for (let i = 0; i < names.length; i++) object[names[i]] = values[i];
			return onRow(object, row);
		},
		(header) => {
			names = header;
			return onHeader?.(header);
		},
	);
}

/**
 * `readCsv` without building an object per row: each row comes as its values, in the header's
 * column order (the fastest way to map a large file).
 */
export async function readCsvValues(
	source: Readable,
	options: CsvReadOptions,
	onRow: (values: string[], row: number) => boolean | void,
	onHeader?: (header: string[]) => boolean | void,
): Promise<CsvReadResult> {
	const encoding = options.encoding ?? 'utf-8';
	let header: string[] | undefined;
	let rows = 0;
	let stoppedEarly = false;
	let failure: Error | undefined;

	const parser = parse(parserOptions(options));
	parser.on('readable', () => {
		let record: string[] | null;
		while (!stoppedEarly && !failure && (record = parser.read() as string[] | null) !== null) {
			if (!header) {
				try {
					checkHeader(record);
				} catch (error) {
					failure = error as Error;
					parser.destroy(failure);
					return;
				}
				header = record;
				if (onHeader?.(record) === false) {
					stoppedEarly = true;
					source.destroy();
					parser.destroy();
				}
				continue;
			}
			rows++;
			if (onRow(record, rows) === false) {
				stoppedEarly = true;
				// The rest of the file is not needed.
				source.destroy();
				parser.destroy();
			}
		}
	});

	const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = [source];
	if (encoding === 'utf-8') stages.push(new Utf8Check());
	else if (encoding === 'latin1') stages.push(new Latin1Check());
	else if (encoding === 'windows-1252') stages.push(new Windows1252ToUtf8());
	try {
		await pipeline([...stages, parser] as unknown as [Readable, NodeJS.WritableStream]);
	} catch (error) {
		if (!stoppedEarly) {
			const cause = failure ?? error;
			if (cause instanceof CsvReadError) throw cause;
			const e = cause as { code?: string; message?: string };
			if (
				(typeof e.code === 'string' && e.code.startsWith('CSV_')) ||
				e.code === 'INVALID_OPENING_QUOTE'
			) {
				throw translateCsvError(cause as CsvError, header ?? []);
			}
			if (
				(typeof e.code === 'string' && e.code.startsWith('Z_')) ||
				/^(unexpected end of file|incorrect header check)/i.test(String(e.message))
			) {
				throw new CsvReadError(
					`the gzip data is corrupt or truncated (${e.message}); upload the file again`,
					'BAD_GZIP',
				);
			}
			throw cause;
		}
	}
	if (failure) throw failure;
	if (!header) {
		throw new CsvReadError(
			'the file is empty; a header row with the column names is required',
			'EMPTY_FILE',
		);
	}
	return { header, rows, stoppedEarly };
}

/**
 * For a file that ends inside a quoted field: the line of the row where that quote opened (the
 * line after the last complete row). A second, slower pass (csv-parse's per-record hook costs
 * about a third more), run only when that error happened, so the first pass stays fast.
 */
export async function unclosedQuoteLine(
	source: Readable,
	options: CsvReadOptions,
): Promise<number | undefined> {
	let lastRecordLine = 0;
	const encoding = options.encoding ?? 'utf-8';
	const parser = parse({
		...parserOptions(options),
		relax_column_count: true,
		on_record: (record: string[], context: { lines: number }) => {
			lastRecordLine = context.lines;
			return undefined;
		},
	});
	parser.resume();
	const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = [source];
	if (encoding === 'windows-1252') stages.push(new Windows1252ToUtf8());
	try {
		await pipeline([...stages, parser] as unknown as [Readable, NodeJS.WritableStream]);
		return undefined;
	} catch (error) {
		return (error as { code?: string }).code === 'CSV_QUOTE_NOT_CLOSED'
			? lastRecordLine + 1
			: undefined;
	}
}
