import { decodeGzipIfNeeded } from '../csv/decompress';
import { CsvReadError, readCsv, type CsvRecord } from '../csv/reader';
import {
	IMPORT_KEY,
	fileLabel,
	type FileReadSettings,
	type ImportBatch,
	type ImportFile,
} from '../importMetadata';
import { S3InboundError } from '../s3/errors';
import type { S3ObjectInfo, S3Store } from '../s3/store';
import type { PollContext } from './pollContext';

/**
 * The item that hands one data file on: small, whatever the file's size. Its `_import` names the
 * exact version (bucket, key, ETag) that the reading node opens, and how to read it; the top-level
 * fields repeat the essentials for people reading the execution.
 */
export function fileItem(
	bucket: string,
	object: S3ObjectInfo,
	csv: FileReadSettings,
	batch?: ImportBatch,
	origin?: ImportFile['origin'],
): Record<string, unknown> {
	const file: ImportFile = {
		bucket,
		key: object.key,
		etag: object.etag,
		size: object.size,
		...(object.lastModified ? { lastModified: object.lastModified.toISOString() } : {}),
		...(batch ? { batch } : {}),
		csv,
		...(origin ? { origin } : {}),
	};
	return {
		file: fileLabel(file),
		size: object.size,
		...(file.lastModified ? { lastModified: file.lastModified } : {}),
		...(batch ? { batchFolder: batch.folder } : {}),
		[IMPORT_KEY]: { file, row: 0 },
	};
}

/**
 * A test run's look into a file: its header and first rows, read from the exact version listed.
 * The rest of the file is not downloaded (the stream is closed).
 */
export async function sampleFile(
	store: S3Store,
	object: S3ObjectInfo,
	csv: FileReadSettings,
	rows: number,
): Promise<{ header?: string[]; sample: CsvRecord[]; error?: string }> {
	const sample: CsvRecord[] = [];
	try {
		const stored = await store.open(object.key, { ifMatch: object.etag });
		const { body } = await decodeGzipIfNeeded(stored.body);
		const result = await readCsv(body, csv, (record) => {
			sample.push(record);
			return sample.length < rows;
		});
		return { header: result.header, sample };
	} catch (error) {
		if (error instanceof CsvReadError) return { sample, error: error.message };
		if (error instanceof S3InboundError)
			return { sample, error: `${error.message}. ${error.hint}` };
		throw error;
	}
}

/** A test run shows the first file's header and first rows next to the file item. */
export async function withSample(
	store: S3Store,
	item: Record<string, unknown>,
	object: S3ObjectInfo,
	context: PollContext,
): Promise<Record<string, unknown>> {
	const { manual, read } = context;
	if (!manual || !read.sampleRows) return item;
	const { header, sample, error } = await sampleFile(store, object, read.csv, read.sampleRows);
	return {
		...item,
		...(header ? { header } : {}),
		sample,
		...(error ? { sampleError: error } : {}),
	};
}

/**
 * New Files mode's item: the file item, plus bucket, key and ETag at the top level, so that any
 * node can take the file from there (the S3 node downloading a file that is not CSV, an IF node
 * sorting by extension).
 */
export function newFileItem(
	bucket: string,
	object: S3ObjectInfo,
	csv: FileReadSettings,
	origin: NonNullable<ImportFile['origin']>,
): Record<string, unknown> {
	const item = fileItem(bucket, object, csv, undefined, origin);
	const name = object.key.slice(object.key.lastIndexOf('/') + 1);
	return { bucket, key: object.key, etag: object.etag, fileName: name, ...item };
}
