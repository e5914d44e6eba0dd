import type { Readable } from 'node:stream';

import { CsvDecoder, type CsvEncoding } from './decode';
import { CsvReadError } from './errors';
import { CsvParser } from './parser';

export { CsvReadError } from './errors';
export type { CsvEncoding } from './decode';

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

function checkHeader(header: string[], line: number): void {
	const seen = new Map<string, number>();
	header.forEach((name, index) => {
		if (name.trim() === '') {
			throw new CsvReadError(
				`column ${index + 1} has an empty header name; every column needs a name`,
				'EMPTY_HEADER',
				line,
			);
		}
		const earlier = seen.get(name);
		if (earlier !== undefined) {
			throw new CsvReadError(
				`the header '${name}' appears twice (columns ${earlier + 1} and ${index + 1}); rename or remove one`,
				'DUPLICATE_HEADER',
				line,
				name,
			);
		}
		seen.set(name, index);
	});
}

/** zlib's errors: the file's gzip data is damaged (the CSV error it may have caused first is not the point). */
function gzipProblem(error: unknown): CsvReadError | undefined {
	const e = error as { code?: unknown; message?: unknown };
	if (
		(typeof e?.code === 'string' && e.code.startsWith('Z_')) ||
		/^(unexpected end of file|incorrect header check)/i.test(String(e?.message))
	)
		return new CsvReadError(
			`the gzip data is corrupt or truncated (${String(e.message)}); upload the file again`,
			'BAD_GZIP',
		);
	return undefined;
}

/**
 * Streams an RFC 4180 CSV: quoted fields may hold delimiters, quotes ("") and line breaks;
 * a byte-order mark is removed; CRLF, LF and CR line endings are accepted, mixed; empty lines are
 * skipped. The first row is the header and is required. Each data row is handed to `onRow` as it
 * is parsed, so memory does not grow with the file; return `false` from `onRow` (or from
 * `onHeader`, which sees the checked header before any row) to stop early. Problems (bytes that
 * are not the encoding, a row of another width than the header, a quote out of place or never
 * closed, a corrupt gzip) are a `CsvReadError` naming the physical line (where the row starts,
 * for a row's width and a quote never closed).
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
 * column order (the fastest way to map a large file). The array is the callback's to keep.
 */
export async function readCsvValues(
	source: Readable,
	options: CsvReadOptions,
	onRow: (values: string[], row: number) => boolean | void,
	onHeader?: (header: string[]) => boolean | void,
): Promise<CsvReadResult> {
	let header: string[] | undefined;
	let rows = 0;
	let stoppedEarly = false;
	const parser = new CsvParser(
		{ delimiter: options.delimiter || ',', allowBareQuotes: options.allowBareQuotes === true },
		(values, line) => {
			if (header === undefined) {
				checkHeader(values, line);
				header = values;
				if (onHeader?.(values) === false) stoppedEarly = true;
			} else if (onRow(values, ++rows) === false) stoppedEarly = true;
			return !stoppedEarly;
		},
	);
	const decoder = new CsvDecoder(options.encoding ?? 'utf-8', parser);
	try {
		// Leaving the loop early (stopped, or an error) destroys the source: an S3 body is released.
		for await (const chunk of source as AsyncIterable<Buffer | Uint8Array | string>) {
			const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
			if (!parser.write(decoder.decode(bytes))) break;
		}
		if (!stoppedEarly) {
			parser.write(decoder.end());
			parser.end();
		}
	} catch (error) {
		if (error instanceof CsvReadError) throw error;
		throw gzipProblem(error) ?? error;
	}
	if (!header) {
		throw new CsvReadError(
			'the file is empty; a header row with the column names is required',
			'EMPTY_FILE',
		);
	}
	return { header, rows, stoppedEarly };
}
