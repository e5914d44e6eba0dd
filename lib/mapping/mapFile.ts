import type { Readable } from 'node:stream';

import { decodeGzipIfNeeded } from '../csv/decompress';
import { CsvReadError, readCsvValues } from '../csv/reader';
import type { FileReadSettings, ImportFile } from '../importMetadata';
import { S3InboundError } from '../s3/errors';
import { ReasonList, type FieldMapping } from './fields';
import { lenientRejectedJson, rejectedFileJson } from './mapRows';
import { modeMapping } from './modes';

export interface MappedFile {
	/** The file as read: `rows` and `header` set. Every row of the file shares this object. */
	file: ImportFile;
	/** Mapped rows: their fields only (the reading node adds the import metadata it hands on). */
	valid: Array<Record<string, unknown>>;
	/** The file row of each mapped row, when they are not simply rows 1, 2, 3... (lenient mode leaves out rejected rows). */
	validRows?: number[];
	/** Lenient mode: rows with a bad value. Strict mode: one item for the whole file, with its reasons. */
	rejected: Array<Record<string, unknown>>;
	/** Set when the file could not be read at all (bytes, CSV structure, size, S3): why, with the line. */
	unreadable?: string;
	/** For a CSV error: its code and line. */
	unreadableCode?: string;
	unreadableLine?: number;
}

export interface MapFileOptions {
	mapping: FieldMapping;
	keepUnmapped: boolean;
	csv: FileReadSettings;
}

export interface RetryOptions {
	/** Tries in all when S3 fails in passing (a cut connection, throttling past the SDK's own retries). */
	attempts: number;
	/** Before the second try; doubles with each further try. */
	delayMs: number;
}

const DEFAULT_RETRY: RetryOptions = { attempts: 3, delayMs: 1000 };

/** A file's bytes as they are stored (plain or gzip: told from the bytes, not the name). */
export type FileBytes = AsyncIterable<Buffer | Uint8Array>;

/**
 * Reads one CSV file (plain or gzip) as a stream and maps its rows as they are parsed: no row is kept unmapped,
 * and a file rejected in strict mode keeps none of its rows. `open` is called again when S3 fails
 * in passing, and the file is then read from its start (rows of the failed try are dropped).
 */
export async function mapCsvFile(
	open: () => Promise<FileBytes>,
	file: ImportFile,
	options: MapFileOptions,
	retry: RetryOptions = DEFAULT_RETRY,
): Promise<MappedFile> {
	for (let attempt = 1; ; attempt++) {
		try {
			// Gzip is decoded here, in one step for every source (S3, n8n's binary data).
			const opened = await decodeGzipIfNeeded(await open());
			const mapped = await mapOnce(opened.body, file, options);
			// A corrupt gzip stream usually decodes to garbage before zlib notices (at the latest at
			// its checksum, at the end): the CSV error it caused is not the file's real problem.
			if (mapped.unreadable !== undefined && opened.gzip) {
				const gzipProblem = await gzipFailure(await decodeGzipIfNeeded(await open()));
				if (gzipProblem) return unreadable(file, gzipProblem, options);
			}
			return mapped;
		} catch (error) {
			if (error instanceof S3InboundError && !error.transient) {
				return unreadable(file, `${error.message}. ${error.hint}`, options);
			}
			// A file that changed since it was listed (If-Match failed) is not tried again: the next
			// poll hands on the new version.
			if (
				!(error instanceof S3InboundError) ||
				error.code === 'PreconditionFailed' ||
				attempt >= retry.attempts
			)
				throw error;
			await new Promise((resolve) => setTimeout(resolve, retry.delayMs * 2 ** (attempt - 1)));
		}
	}
}

/** Decompresses a whole gzip stream, keeping nothing: its error, if it is corrupt or truncated. */
async function gzipFailure(opened: { body: Readable }): Promise<string | undefined> {
	try {
		for await (const chunk of opened.body) void chunk;
		return undefined;
	} catch (error) {
		const e = error as { code?: string; message?: string };
		if (typeof e.code === 'string' && e.code.startsWith('Z_'))
			return `the gzip data is corrupt or truncated (${e.message}); upload the file again`;
		throw error;
	}
}

function unreadable(
	file: ImportFile,
	reason: string,
	options: MapFileOptions,
	header?: string[],
): MappedFile {
	const read: ImportFile = { ...file, ...(header ? { header } : {}), error: reason };
	const reasons = new ReasonList(1);
	reasons.add(reason);
	const rejected =
		options.mapping.options.mode === 'strict' ? [rejectedFileJson(read, reasons, 0)] : [];
	return { file: read, valid: [], rejected, unreadable: reason };
}

/** The reader's words; for a quote never closed, where it opened and where the file ends. */
function csvProblem(error: CsvReadError): string {
	return error.code === 'UNTERMINATED_QUOTE'
		? `line ${error.line}: a quote opened in the row that starts on this line is never closed (the file ends at line ${error.endLine}); close the quote or escape it as ""`
		: error.message;
}

async function mapOnce(
	body: Readable,
	source: ImportFile,
	options: MapFileOptions,
): Promise<MappedFile> {
	const { mapping, csv } = options;
	const file: ImportFile = { ...source };
	delete file.error;
	const mode = modeMapping(mapping, options.keepUnmapped);
	let headerRejected = false;
	let tooMany = false;
	let rows = 0;
	try {
		await readCsvValues(
			body,
			csv,
			(values, row) => {
				if (row > csv.rowLimit) {
					tooMany = true;
					return false;
				}
				rows = row;
				mode.row(values, row, 0);
				return true;
			},
			(header) => {
				file.header = header;
				headerRejected = !mode.columns(header);
				return !headerRejected;
			},
		);
	} catch (error) {
		if (error instanceof CsvReadError)
			return {
				...unreadable(source, csvProblem(error), options, file.header),
				unreadableCode: error.code,
				unreadableLine: error.line,
			};
		throw error;
	}
	if (tooMany) {
		return unreadable(
			source,
			`the file has more than ${csv.rowLimit} rows, the most one file may have; split it into several files`,
			options,
			file.header,
		);
	}
	if (rows === 0 && !headerRejected) {
		return unreadable(
			source,
			'line 2: the file has a header but no data rows; upload it again with its rows',
			options,
			file.header,
		);
	}
	file.rows = rows;
	const outcome = mode.finish(rows);
	if (outcome.fileReasons)
		return { file, valid: [], rejected: [rejectedFileJson(file, outcome.fileReasons, rows)] };
	const rejected = outcome.rejectedRows.map((r) =>
		lenientRejectedJson(file, r.row, r.problems, {}, { file, row: r.row }),
	);
	return {
		file,
		valid: outcome.valid,
		...(mapping.options.mode === 'lenient' ? { validRows: outcome.rows } : {}),
		rejected,
	};
}
