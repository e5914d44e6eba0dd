import { TextDecoder } from 'node:util';
import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { parse, type CsvError } from 'csv-parse';

export type CsvEncoding = 'utf-8' | 'latin1' | 'utf-16le';

export interface CsvReadOptions {
	/** Field delimiter, one character; default ','. */
	delimiter?: string;
	/** How the bytes are decoded; default UTF-8 (invalid UTF-8 is an error, not replaced). */
	encoding?: CsvEncoding;
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

function countNewlines(text: string, end = text.length): number {
	let count = 0;
	let at = text.indexOf('\n');
	while (at !== -1 && at < end) {
		count++;
		at = text.indexOf('\n', at + 1);
	}
	return count;
}

/** Bytes to text. Invalid UTF-8 stops the read with the line it is on. */
class Decoder extends Transform {
	private readonly decoder?: TextDecoder;
	private linesSeen = 0;

	constructor(private readonly encoding: CsvEncoding) {
		super({ decodeStrings: true, readableObjectMode: false });
		if (encoding !== 'latin1') this.decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
	}

	private emit_(text: string) {
		if (text.length === 0) return;
		this.linesSeen += countNewlines(text);
		this.push(text);
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		if (!this.decoder) {
			this.emit_(chunk.toString('latin1'));
			callback();
			return;
		}
		try {
			this.emit_(this.decoder.decode(chunk, { stream: true }));
			callback();
		} catch {
			const lenient = new TextDecoder(this.encoding).decode(chunk);
			const bad = lenient.indexOf('\uFFFD');
			const line = this.linesSeen + countNewlines(lenient, bad === -1 ? lenient.length : bad) + 1;
			callback(
				new CsvReadError(
					`bytes that are not valid ${this.encoding.toUpperCase()} (the file may be Latin-1 or Windows-1252); save it as UTF-8, or set the encoding option to Latin-1`,
					'INVALID_ENCODING',
					line,
				),
			);
		}
	}

	override _flush(callback: TransformCallback): void {
		if (!this.decoder) return callback();
		try {
			this.emit_(this.decoder.decode());
			callback();
		} catch {
			callback(
				new CsvReadError(
					`the file ends in the middle of a ${this.encoding.toUpperCase()} character`,
					'INVALID_ENCODING',
					this.linesSeen + 1,
				),
			);
		}
	}
}

function translateCsvError(error: CsvError & { lines?: number; record?: unknown[] }, header: string[]): CsvReadError {
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
				'a field contains a quote but does not start with one; quote the whole field and write inner quotes as ""',
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
 * Streams an RFC 4180 CSV: quoted fields may hold delimiters, quotes ("") and line breaks;
 * a UTF-8 BOM is stripped; CRLF, LF and CR line endings are accepted, mixed. The first row is
 * the header and is required. Each data row is handed to `onRow` as it is parsed, so memory does
 * not grow with the file; return `false` from `onRow` to stop early.
 */
export async function readCsv(
	source: Readable,
	options: CsvReadOptions,
	onRow: (record: CsvRecord, row: number) => boolean | void,
): Promise<CsvReadResult> {
	const delimiter = options.delimiter || ',';
	let header: string[] | undefined;
	let rows = 0;
	let stoppedEarly = false;

	const parser = parse({
		delimiter,
		bom: true,
		record_delimiter: ['\r\n', '\n', '\r'],
		skip_empty_lines: true,
		relax_column_count: false,
	});

	class Sink extends Writable {
		constructor() {
			super({ objectMode: true, highWaterMark: 256 });
		}
		override _write(record: string[], _e: BufferEncoding, callback: (error?: Error | null) => void) {
			if (stoppedEarly) return callback();
			try {
				if (!header) {
					checkHeader(record);
					header = record;
					return callback();
				}
				const object: CsvRecord = {};
				const names = header;
				for (let i = 0; i < names.length; i++) object[names[i]] = record[i];
				rows++;
				if (onRow(object, rows) === false) {
					stoppedEarly = true;
					// Stop reading: the rest of the stream is not needed.
					source.destroy();
				}
				callback();
			} catch (error) {
				callback(error as Error);
			}
		}
	}

	try {
		await pipeline(source, new Decoder(options.encoding ?? 'utf-8'), parser, new Sink());
	} catch (error) {
		if (!stoppedEarly) {
			if (error instanceof CsvReadError) throw error;
			const e = error as { code?: string; message?: string };
			if (typeof e.code === 'string' && e.code.startsWith('CSV_') || e.code === 'INVALID_OPENING_QUOTE') {
				throw translateCsvError(error as CsvError, header ?? []);
			}
			if (e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR' || /unexpected end of file|incorrect header check|invalid/i.test(String(e.message))) {
				throw new CsvReadError(
					`the gzip data is corrupt or truncated (${e.message}); upload the file again`,
					'BAD_GZIP',
				);
			}
			throw error;
		}
	}
	if (!header) {
		throw new CsvReadError('the file is empty; a header row with the column names is required', 'EMPTY_FILE');
	}
	return { header, rows, stoppedEarly };
}
