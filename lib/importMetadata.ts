import type { CsvEncoding } from './csv/reader';

/**
 * The import metadata every item of the S3 CSV Inbound Trigger carries under `json._import`.
 * The Field Mapper, Account Matcher and PX Status Writer rely on it; destination nodes may drop
 * it (the status writer then finds it again through n8n's paired items).
 */
export const IMPORT_KEY = '_import';

/** A marker folder: `<base>/current/dt=YYYYMMDD/`. */
export interface ImportBatch {
	bucket: string;
	/** The base import folder, without slashes at either end ('' for the bucket root). */
	baseFolder: string;
	/** The folder's prefix, e.g. `base/current/dt=20240101/`. */
	folder: string;
	/** The folder's name, e.g. `dt=20240101`. */
	folderName: string;
	/** YYYYMMDD. */
	date: string;
	/** Where the folder's files go when done, e.g. `base/processed/20240101/`. */
	processedFolder: string;
	markerKey: string;
	/** The marker's LastModified (ISO): tells one upload of a dt= folder from a later one. */
	markerLastModified?: string;
	/** The folder's data files, in the order they are read. */
	dataFiles: string[];
	/** Each data file's ETag when the folder was listed: the versions that were imported. */
	dataFileEtags?: Record<string, string>;
	/** How many times this batch has been handed on; above 1 means its rows may come again. */
	attempt: number;
	/** Set when an earlier run decided the outcome but did not finish: the batch only needs completing. */
	resume?: boolean;
	/** Set when the folder itself is unusable (e.g. an invalid date, no data files). */
	error?: string;
}

/** How the file is read: set by the trigger (its CSV options), used by whichever node reads it. */
export interface FileReadSettings {
	delimiter: string;
	encoding: CsvEncoding;
	/** Accept quotes inside unquoted fields (csv-parse's relaxed quotes). */
	allowBareQuotes?: boolean;
	/** A file with more rows is refused when it is read (whatever the mode): it protects n8n's memory. */
	rowLimit: number;
}

/** One file. Shared by all rows of the file, so it costs memory once. */
export interface ImportFile {
	/** The bucket; empty for a file that came as binary data from another node. */
	bucket: string;
	key: string;
	etag: string;
	size: number;
	lastModified?: string;
	/** Data rows in the file; set once the whole file has been read. */
	rows?: number;
	header?: string[];
	batch?: ImportBatch;
	/** Why the file could not be read; such a file comes as one item with row 0. */
	error?: string;
	/** How to read the file (the trigger's CSV options). */
	csv?: FileReadSettings;
	/**
	 * Which trigger mode handed the file on, and the folder it watches: what a step after the
	 * import (keep, move, delete, tag the file) needs besides bucket, key and ETag.
	 */
	origin?: {
		mode: 'newFiles' | 'singleFile' | 'markerFolders';
		folder?: string;
		/** New Files: whether files in sub-folders of the folder count (a move must not land there). */
		subFolders?: boolean;
		/**
		 * New Files, when imported files leave the folder: the file's lease ends then, and if it is
		 * still in the folder (its import failed) the trigger hands it on again at its next poll.
		 */
		leaseUntil?: string;
	};
}

export interface ImportMetadata {
	file: ImportFile;
	/**
	 * 1-based data row (the header is not a row); for a batch of rows, its first row; 0 for an item
	 * that stands for a whole file or batch.
	 */
	row: number;
	/** A batch of rows (one item for many rows): its last row. */
	lastRow?: number;
	/** A batch of rows: how many rows it holds (lenient mode leaves out rejected rows). */
	rowCount?: number;
	/** A file's outcome, reported by the status writer of a per-file sub-workflow (row 0). */
	outcome?: FileOutcome;
}

/** What happened to one data file's rows: what a per-file sub-workflow reports to its parent. */
export interface FileOutcome {
	/** Data rows in the file, when it was read. */
	rows?: number;
	delivered: number;
	failed: number;
	rejectedRows: number;
	/** Why the file or its rows were rejected (validation). */
	reasons: string[];
	/** What the destination said, naming rows where it named them. */
	destinationErrors: string[];
	/** Why the status writer could not account for rows (none arrived, some are missing). */
	missing: string[];
	/** A file outside marker folders handed on whole (not read as rows), that reached Imported Rows. */
	deliveredWhole?: boolean;
}

export function importOf(json: Record<string, unknown>): ImportMetadata | undefined {
	return asImport(json[IMPORT_KEY]);
}

function asImport(value: unknown): ImportMetadata | undefined {
	return value && typeof value === 'object' && (value as ImportMetadata).file
		? (value as ImportMetadata)
		: undefined;
}

/**
 * An item's import metadata: in its JSON (`json._import`: file items, batches of rows, and rows of
 * the Field Mapper's versions 1 and 2), or beside it (`item._import`: rows of version 3, whose JSON
 * holds only the mapped fields, so that a destination can map them to columns as they are).
 */
export function importOfItem(item: {
	json: Record<string, unknown>;
	[key: string]: unknown;
}): ImportMetadata | undefined {
	return asImport(item[IMPORT_KEY]) ?? importOf(item.json);
}

/** Whether the item is one file's outcome from a per-file sub-workflow. */
export function isFileOutcome(
	meta: ImportMetadata,
): meta is ImportMetadata & { outcome: FileOutcome } {
	return meta.row === 0 && meta.outcome !== undefined;
}

/**
 * An item of the trigger that hands on a file to read (row 0, no error, not a batch to resume):
 * the Field Mapper opens it in S3 and emits its rows.
 */
export function isFileToRead(meta: ImportMetadata): boolean {
	return (
		meta.row === 0 &&
		meta.outcome === undefined &&
		!meta.file.error &&
		!meta.file.batch?.resume &&
		meta.file.key !== meta.file.batch?.markerKey
	);
}

/** What names one version of one file: rows of a file are grouped by it, never by object identity. */
export function fileIdentity(file: ImportFile): string {
	return `${file.bucket}/${file.key}#${file.etag}`;
}

/** How messages name a file: its S3 URI, or its name when it came as binary data. */
export function fileLabel(file: ImportFile | undefined): string {
	if (!file) return 'input';
	return file.bucket ? `s3://${file.bucket}/${file.key}` : file.key;
}

/** Stable across re-deliveries of the same version of the same file: use it to de-duplicate. */
export function idempotencyKey(meta: ImportMetadata): string {
	return `s3://${meta.file.bucket}/${meta.file.key}#${meta.file.etag}:${meta.row}`;
}
