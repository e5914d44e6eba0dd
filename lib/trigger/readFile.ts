import { CsvReadError, readCsv, type CsvReadOptions } from '../csv/reader';
import { IMPORT_KEY, type ImportBatch, type ImportFile, type ImportMetadata } from '../importMetadata';
import { S3InboundError } from '../s3/errors';
import type { S3ObjectInfo, S3Store } from '../s3/store';

export type RowJson = Record<string, unknown> & { [IMPORT_KEY]: ImportMetadata };

export interface ReadFileOptions extends CsvReadOptions {
	/** Stop after this many rows (a test run's sample); the file then counts as read. */
	sampleRows?: number;
	/** More rows than this is an error: it protects the n8n process's memory. */
	maxRows: number;
	/** Only open this exact version (ETag) of the object. */
	ifMatch?: boolean;
	batch?: ImportBatch;
}

export interface ReadFileResult {
	file: ImportFile;
	rows: RowJson[];
}

/** A file that could not be read, with the reason in words that say what to do. */
export class FileReadError extends Error {
	constructor(
		readonly file: ImportFile,
		readonly reason: string,
		readonly line?: number,
	) {
		super(`s3://${file.bucket}/${file.key}: ${reason}`);
		this.name = 'FileReadError';
	}
}

/**
 * Streams one CSV object and turns each row into an item's JSON, with the import metadata.
 * All rows of the file share one `file` object.
 */
export async function readFileRows(store: S3Store, object: S3ObjectInfo, options: ReadFileOptions): Promise<ReadFileResult> {
	const file: ImportFile = {
		bucket: store.bucket,
		key: object.key,
		etag: object.etag,
		size: object.size,
		...(object.lastModified ? { lastModified: object.lastModified.toISOString() } : {}),
		...(options.batch ? { batch: options.batch } : {}),
	};
	const rows: RowJson[] = [];
	const limit = options.sampleRows ?? Number.POSITIVE_INFINITY;
	let tooMany = false;
	try {
		const opened = await store.open(object.key, options.ifMatch ? { ifMatch: object.etag } : {});
		file.etag = opened.info.etag || file.etag;
		const result = await readCsv(opened.body, options, (record, row) => {
			if (row > options.maxRows) {
				tooMany = true;
				return false;
			}
			(record as RowJson)[IMPORT_KEY] = { file, row };
			rows.push(record as RowJson);
			return row < limit;
		});
		file.header = result.header;
		if (tooMany) {
			throw new FileReadError(
				file,
				`the file has more than ${options.maxRows} rows, the most one file may have; split it into several files`,
			);
		}
		if (result.rows === 0) {
			throw new FileReadError(file, 'the file has a header but no data rows; upload it again with its rows', 2);
		}
	} catch (error) {
		if (error instanceof FileReadError) throw error;
		if (error instanceof CsvReadError) throw new FileReadError(file, error.message, error.line);
		if (error instanceof S3InboundError) {
			// A network cut, throttling or an expired token is not the file's fault: the poll
			// stops and the folder is tried again, rather than being recorded as failed.
			if (error.transient) throw error;
			throw new FileReadError(file, `${error.message}. ${error.hint}`);
		}
		throw new FileReadError(file, `could not be read: ${(error as Error).message}`);
	}
	file.rows = rows.length;
	return { file, rows };
}
