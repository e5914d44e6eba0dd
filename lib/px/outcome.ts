import type { ImportBatch, ImportMetadata } from '../importMetadata';

/** What reached the status writer of one data file. */
export interface FileTally {
	key: string;
	/** Rows the trigger read from the file. */
	expected?: number;
	delivered: number;
	failed: number;
	rejectedRows: number;
	reasons: string[];
	destinationErrors: string[];
}

export interface BatchTally {
	batch: ImportBatch;
	files: Map<string, FileTally>;
	batchReasons: string[];
	resume: boolean;
}

const baseName = (key: string) => key.slice(key.lastIndexOf('/') + 1);

/** Gathers, per batch folder, what happened to every file and row of one execution. */
export class BatchCollector {
	private readonly batches = new Map<string, BatchTally>();

	private tally(meta: ImportMetadata): { batch: BatchTally; file?: FileTally } | undefined {
		const batch = meta.file.batch;
		if (!batch) return undefined;
		let tally = this.batches.get(batch.folder);
		if (!tally) {
			tally = { batch, files: new Map(), batchReasons: [], resume: false };
			this.batches.set(batch.folder, tally);
		}
		if (meta.file.key === batch.markerKey) return { batch: tally };
		let file = tally.files.get(meta.file.key);
		if (!file) {
			file = {
				key: meta.file.key,
				delivered: 0,
				failed: 0,
				rejectedRows: 0,
				reasons: [],
				destinationErrors: [],
			};
			tally.files.set(meta.file.key, file);
		}
		if (meta.file.rows !== undefined) file.expected = meta.file.rows;
		return { batch: tally, file };
	}

	/** A row the destination accepted. Returns false when the item has no batch. */
	delivered(meta: ImportMetadata): boolean {
		const t = this.tally(meta);
		if (t?.file) t.file.delivered++;
		return t !== undefined;
	}

	/** A row the destination failed on (n8n's error output). */
	failed(meta: ImportMetadata, message: string): boolean {
		const t = this.tally(meta);
		if (t?.file) {
			t.file.failed++;
			if (t.file.destinationErrors.length < 20)
				t.file.destinationErrors.push(`${baseName(t.file.key)} row ${meta.row}: ${message}`);
		}
		return t !== undefined;
	}

	/** A file rejected by validation (row 0) or a rejected row, with its reasons. */
	rejected(meta: ImportMetadata, reasons: string[], resume = false): boolean {
		const t = this.tally(meta);
		if (!t) return false;
		if (resume || meta.file.batch?.resume) {
			t.batch.resume = true;
			return true;
		}
		if (!t.file) {
			t.batch.batchReasons.push(...reasons);
			return true;
		}
		if (meta.row > 0) t.file.rejectedRows++;
		for (const r of reasons)
			t.file.reasons.push(
				r.startsWith(baseName(t.file.key)) || r.startsWith('s3://')
					? r
					: `${baseName(t.file.key)}: ${r}`,
			);
		return true;
	}

	get size(): number {
		return this.batches.size;
	}

	only(): BatchTally | undefined {
		return this.batches.size === 1 ? [...this.batches.values()][0] : undefined;
	}

	all(): BatchTally[] {
		return [...this.batches.values()].sort((a, b) => (a.batch.folder < b.batch.folder ? -1 : 1));
	}
}

export interface BatchOutcome {
	success: boolean;
	/** The whole status.txt. */
	status: string;
	/** The human-readable lines after the first: the callback's message. */
	message: string;
	uploaded: number;
	failed: number;
	rejectedFiles: number;
	missing: number;
}

const block = (title: string, lines: string[]) =>
	lines.length === 0
		? []
		: [`${title}:[`, ...lines.map((l, i) => `       ${l}${i < lines.length - 1 ? ',' : ''}`), ']'];

/**
 * SUCCESS only when every data file of the folder passed validation and every one of its rows
 * reached the status writer without a destination error.
 */
export function decideOutcome(tally: BatchTally): BatchOutcome {
	const parsing: string[] = [...tally.batchReasons];
	const destination: string[] = [];
	const missingLines: string[] = [];
	let uploaded = 0;
	let failed = 0;
	let rejectedFiles = 0;
	let missing = 0;
	const keys = new Set([...tally.batch.dataFiles, ...tally.files.keys()]);
	for (const key of [...keys].sort()) {
		const file = tally.files.get(key);
		if (!file) {
			missingLines.push(`${baseName(key)}: none of its rows reached the status writer`);
			missing++;
			continue;
		}
		uploaded += file.delivered;
		failed += file.failed;
		if (file.reasons.length > 0 && file.rejectedRows === 0) rejectedFiles++;
		parsing.push(...file.reasons);
		destination.push(...file.destinationErrors);
		if (file.failed > file.destinationErrors.length)
			destination.push(
				`${baseName(key)}: ${file.failed - file.destinationErrors.length} more rows failed`,
			);
		if (file.reasons.length === 0 && file.expected !== undefined) {
			const gone = file.expected - file.delivered - file.failed - file.rejectedRows;
			if (gone > 0) {
				missing += gone;
				missingLines.push(
					`${baseName(key)}: ${gone} of ${file.expected} rows did not reach the status writer`,
				);
			}
		}
	}
	const success = parsing.length === 0 && destination.length === 0 && missingLines.length === 0;
	const lines = success
		? [`${uploaded} records were uploaded`]
		: [
				...block('Parsing Errors', parsing),
				...block('Destination Errors', destination),
				...block('Missing Rows', missingLines),
				`${uploaded} records were uploaded`,
			];
	const message = lines.join('\n');
	return {
		success,
		status: `${success ? 'SUCCESS' : 'ERROR'}\n${message}\n`,
		message,
		uploaded,
		failed,
		rejectedFiles,
		missing,
	};
}
