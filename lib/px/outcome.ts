import {
	fileIdentity,
	type FileOutcome,
	type ImportBatch,
	type ImportFile,
	type ImportMetadata,
} from '../importMetadata';

/** What reached the status writer of one data file. */
export interface FileTally {
	key: string;
	/** The file as the items that named it describe it (the read one, with its row count, when a row arrived). */
	file: ImportFile;
	/** Rows the file has, once it was read. */
	expected?: number;
	/** Rows (or batches of rows, by their first row) that reached the writer, and how they ended. */
	rows: Map<number, { count: number; failed: boolean }>;
	rejectedRows: number;
	reasons: string[];
	destinationErrors: string[];
	/** Failed rows past the first MAX_LINES destination errors: counted, not listed. */
	unlistedFailures: number;
	/** What the destination said of the whole file (an error item that names the file but no row). */
	fileErrors: string[];
	/** Outcomes reported by a per-file sub-workflow. */
	reported: FileOutcome[];
	/** Items that name the file but none of its rows and carry no outcome (a sub-workflow without a report). */
	unaccounted: number;
	/**
	 * A file outside marker folders (New Files, Single File) that reached Imported Rows as itself
	 * (row 0): a file handed on whole (a PDF uploaded elsewhere), not read as rows.
	 */
	deliveredWhole?: number;
}

export interface BatchTally {
	batch: ImportBatch;
	files: Map<string, FileTally>;
	batchReasons: string[];
	resume: boolean;
}

const baseName = (key: string) => key.slice(key.lastIndexOf('/') + 1);

/** How many destination errors a status names per file; the rest are counted. */
const MAX_LINES = 20;

/** One line of a status that quotes a message on one line, at most 500 characters. */
export function quote(message: string): string {
	const flat = message.replace(/\s+/g, ' ').trim();
	return `"${flat.length > 500 ? `${flat.slice(0, 500)}…` : flat}"`;
}

/**
 * Gathers, per batch folder, what happened to every file and row of one execution: the files the
 * trigger handed on (so a batch none of whose rows arrived is still closed), the rows (or batches
 * of rows) the destination took or failed on, what validation rejected, and the outcomes per-file
 * sub-workflows reported. Files outside marker folders (New Files, Single File) are gathered the
 * same way, each on its own (see `files`).
 */
export class BatchCollector {
	private readonly batches = new Map<string, BatchTally>();
	/** Files outside marker folders, by identity (bucket, key, ETag). */
	private readonly singles = new Map<string, FileTally>();
	/** Destination errors that name no row of any file: they count against every batch. */
	readonly unattributedErrors: string[] = [];
	/** Items that reached the writer and could not be traced to a file. */
	untraced = 0;

	/** A file outside marker folders. */
	private single(meta: ImportMetadata): FileTally | undefined {
		if (meta.file.batch || !meta.file.key) return undefined;
		const id = fileIdentity(meta.file);
		let file = this.singles.get(id);
		if (!file) {
			file = newFileTally(meta.file);
			this.singles.set(id, file);
		}
		if (meta.file.rows !== undefined) {
			file.expected = meta.file.rows;
			file.file = meta.file;
		}
		return file;
	}

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
			file = newFileTally(meta.file);
			tally.files.set(meta.file.key, file);
		}
		if (meta.file.rows !== undefined) {
			file.expected = meta.file.rows;
			file.file = meta.file;
		}
		return { batch: tally, file };
	}

	/** An item the trigger handed on (a file to read, or a batch to complete or that failed): its batch is closed whatever reaches the writer. */
	handedOn(meta: ImportMetadata): boolean {
		const single = this.single(meta);
		if (single) {
			const reason = meta.file.error ? `${baseName(single.key)}: ${meta.file.error}` : undefined;
			if (reason && !single.reasons.includes(reason)) single.reasons.push(reason);
			return true;
		}
		const t = this.tally(meta);
		if (!t) return false;
		if (meta.file.batch?.resume) t.batch.resume = true;
		else if (meta.file.error && !t.batch.batchReasons.includes(meta.file.error)) {
			if (t.file) t.file.reasons.push(`${baseName(t.file.key)}: ${meta.file.error}`);
			else t.batch.batchReasons.push(meta.file.error);
		}
		return true;
	}

	/** A row, or a batch of rows, the destination took. Returns false when the item has no batch. */
	delivered(meta: ImportMetadata): boolean {
		const t = this.tally(meta);
		const file = t?.file ?? this.single(meta);
		if (file && meta.row > 0 && !file.rows.has(meta.row)) {
			file.rows.set(meta.row, { count: meta.rowCount ?? 1, failed: false });
		}
		return t !== undefined || file !== undefined;
	}

	/** A row or batch of rows the destination failed on (its error output), or, with row 0, the whole file. */
	failed(meta: ImportMetadata, message: string): boolean {
		const t = this.tally(meta);
		const file = t?.file ?? this.single(meta);
		if (!file) return t !== undefined;
		const name = baseName(file.key);
		if (meta.row === 0) {
			file.fileErrors.push(`${name}: ${message}`);
			return true;
		}
		const known = file.rows.get(meta.row);
		if (known?.failed) return true;
		file.rows.set(meta.row, { count: meta.rowCount ?? known?.count ?? 1, failed: true });
		const rows =
			meta.lastRow !== undefined && meta.lastRow !== meta.row
				? `rows ${meta.row}-${meta.lastRow}`
				: `row ${meta.row}`;
		if (file.destinationErrors.length < MAX_LINES)
			file.destinationErrors.push(`${name} ${rows}: ${message}`);
		else file.unlistedFailures += meta.rowCount ?? 1;
		return true;
	}

	/** A file rejected by validation (row 0) or a rejected row, with its reasons. */
	rejected(meta: ImportMetadata, reasons: string[], resume = false): boolean {
		const single = this.single(meta);
		if (single) {
			if (meta.row > 0) single.rejectedRows += meta.rowCount ?? 1;
			addReasons(single, reasons);
			return true;
		}
		const t = this.tally(meta);
		if (!t) return false;
		if (resume || meta.file.batch?.resume) {
			t.batch.resume = true;
			return true;
		}
		if (!t.file) {
			for (const r of reasons) if (!t.batch.batchReasons.includes(r)) t.batch.batchReasons.push(r);
			return true;
		}
		if (meta.row > 0) t.file.rejectedRows += meta.rowCount ?? 1;
		addReasons(t.file, reasons);
		return true;
	}

	/** A file's outcome, reported by the status writer of a per-file sub-workflow. */
	reported(meta: ImportMetadata & { outcome: FileOutcome }): boolean {
		const t = this.tally(meta);
		const file = t?.file ?? this.single(meta);
		if (file) file.reported.push(meta.outcome);
		return t !== undefined || file !== undefined;
	}

	/**
	 * An item that names a file but none of its rows, and carries no outcome. In a marker folder
	 * that is a sub-workflow that did not report; a file outside marker folders that reaches
	 * Imported Rows as itself was handed on whole (a file that is not read as rows).
	 */
	unaccounted(meta: ImportMetadata): boolean {
		const single = this.single(meta);
		if (single) {
			single.deliveredWhole = (single.deliveredWhole ?? 0) + 1;
			return true;
		}
		const t = this.tally(meta);
		if (t?.file) t.file.unaccounted++;
		return t !== undefined;
	}

	/**
	 * Why the writer cannot decide a batch's outcome, if it cannot: items that could not be traced to
	 * a file while some of the batch's rows are missing (they may be those rows), or a file whose
	 * per-file sub-workflow returned items without its outcome.
	 */
	undecidable(tally: BatchTally): string | undefined {
		const outcomes = fileOutcomes(tally);
		const silent = outcomes.filter(
			({ key }) =>
				(tally.files.get(key)?.unaccounted ?? 0) > 0 && tally.files.get(key)?.reported.length === 0,
		);
		if (silent.length > 0) {
			return `${silent.map(({ key }) => baseName(key)).join(', ')}: items came back without the file's outcome (end a per-file sub-workflow with the PX Status Writer's Report File Outcome operation)`;
		}
		if (this.untraced > 0 && outcomes.some(({ outcome }) => outcome.missing.length > 0)) {
			return `${this.untraced === 1 ? '1 item' : `${this.untraced} items`} reached the status writer that could not be traced to a file, and some rows of this batch are missing (they may be those rows; keep n8n's paired items between the Field Mapper and the status writer)`;
		}
		return undefined;
	}

	/** A destination error that names no file: it counts against every batch of the execution. */
	unattributedError(message: string): void {
		this.unattributedErrors.push(message);
	}

	/**
	 * Why the writer cannot decide a file's outcome (outside marker folders), if it cannot: items
	 * that could not be traced to a file while some of its rows are missing.
	 */
	undecidableFile(file: FileTally): string | undefined {
		if (this.untraced > 0 && fileOutcomeOf(file).missing.length > 0) {
			return `${this.untraced === 1 ? '1 item' : `${this.untraced} items`} reached the node that could not be traced to a file, and some rows of ${baseName(file.key)} are missing (they may be those rows; keep n8n's paired items between the Field Mapper and this node)`;
		}
		return undefined;
	}

	get size(): number {
		return this.batches.size;
	}

	all(): BatchTally[] {
		return [...this.batches.values()].sort((a, b) => (a.batch.folder < b.batch.folder ? -1 : 1));
	}

	/** Files outside marker folders (New Files, Single File), by bucket and key. */
	files(): FileTally[] {
		return [...this.singles.values()].sort((a, b) =>
			fileIdentity(a.file) < fileIdentity(b.file) ? -1 : 1,
		);
	}
}

function newFileTally(file: ImportFile): FileTally {
	return {
		key: file.key,
		file,
		rows: new Map(),
		rejectedRows: 0,
		reasons: [],
		destinationErrors: [],
		unlistedFailures: 0,
		fileErrors: [],
		reported: [],
		unaccounted: 0,
	};
}

function addReasons(file: FileTally, reasons: string[]): void {
	const name = baseName(file.key);
	for (const r of reasons) {
		const line = r.startsWith(name) || r.startsWith('s3://') ? r : `${name}: ${r}`;
		if (!file.reasons.includes(line)) file.reasons.push(line);
	}
}

/** One file's outcome from its tally: what a per-file sub-workflow reports to its parent. */
export function fileOutcomeOf(file: FileTally): FileOutcome {
	let delivered = 0;
	let failed = 0;
	for (const { count, failed: f } of file.rows.values()) {
		if (f) failed += count;
		else delivered += count;
	}
	const outcome: FileOutcome = {
		...(file.expected !== undefined ? { rows: file.expected } : {}),
		delivered,
		failed,
		rejectedRows: file.rejectedRows,
		reasons: [...file.reasons],
		destinationErrors: [
			...file.fileErrors,
			...file.destinationErrors,
			...(file.unlistedFailures > 0
				? [`${baseName(file.key)}: ${file.unlistedFailures} more rows failed`]
				: []),
		],
		missing: [],
	};
	for (const r of file.reported) {
		outcome.rows ??= r.rows;
		outcome.delivered += r.delivered;
		outcome.failed += r.failed;
		outcome.rejectedRows += r.rejectedRows;
		outcome.reasons.push(...r.reasons);
		outcome.destinationErrors.push(...r.destinationErrors);
		outcome.missing.push(...r.missing);
	}
	const name = baseName(file.key);
	if ((file.deliveredWhole ?? 0) > 0 || file.reported.some((r) => r.deliveredWhole))
		outcome.deliveredWhole = true;
	const arrived =
		outcome.deliveredWhole === true ||
		outcome.delivered + outcome.failed + outcome.rejectedRows > 0 ||
		outcome.reasons.length > 0 ||
		outcome.destinationErrors.length > 0 ||
		outcome.missing.length > 0;
	if (!arrived) outcome.missing.push(`${name}: none of its rows reached the status writer`);
	else if (outcome.reasons.length === 0 && outcome.rows !== undefined) {
		const gone = outcome.rows - outcome.delivered - outcome.failed - outcome.rejectedRows;
		if (gone > 0)
			outcome.missing.push(
				`${name}: ${gone} of ${outcome.rows} rows did not reach the status writer`,
			);
	}
	return outcome;
}

/** Whether every row of the file is accounted for (so items that could not be traced are not its rows). */
export function accountedFor(outcome: FileOutcome): boolean {
	return outcome.missing.length === 0;
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
 * Every data file of a batch, the ones the trigger listed and the ones rows came from, in name
 * order; with `seenOnly`, only the files this execution was handed (a per-file sub-workflow).
 */
export function fileOutcomes(
	tally: BatchTally,
	options: { seenOnly?: boolean } = {},
): Array<{ key: string; outcome: FileOutcome }> {
	const keys = new Set([...(options.seenOnly ? [] : tally.batch.dataFiles), ...tally.files.keys()]);
	return [...keys].sort().map((key) => {
		const file = tally.files.get(key);
		const outcome = file
			? fileOutcomeOf(file)
			: {
					delivered: 0,
					failed: 0,
					rejectedRows: 0,
					reasons: [],
					destinationErrors: [],
					missing: [`${baseName(key)}: none of its rows reached the status writer`],
				};
		return { key, outcome };
	});
}

/**
 * SUCCESS only when every data file of the folder passed validation and every one of its rows
 * reached the status writer without a destination error. A destination error that names no row
 * (one error for a whole statement) makes every batch of the execution ERROR, quoted.
 */
export function decideOutcome(
	tally: BatchTally,
	unattributedErrors: readonly string[] = [],
): BatchOutcome {
	const parsing: string[] = [...tally.batchReasons];
	const destination: string[] = [];
	const missingLines: string[] = [];
	let uploaded = 0;
	let failed = 0;
	let rejectedFiles = 0;
	let missing = 0;
	for (const { outcome } of fileOutcomes(tally)) {
		uploaded += outcome.delivered;
		failed += outcome.failed;
		if (outcome.reasons.length > 0 && outcome.rejectedRows === 0) rejectedFiles++;
		parsing.push(...outcome.reasons);
		destination.push(...outcome.destinationErrors);
		missingLines.push(...outcome.missing);
		if (outcome.missing.length > 0)
			missing +=
				outcome.rows !== undefined
					? Math.max(0, outcome.rows - outcome.delivered - outcome.failed - outcome.rejectedRows)
					: 1;
	}
	for (const message of new Set(unattributedErrors)) {
		destination.push(`the destination failed without naming a row: ${quote(message)}`);
	}
	// Such an error may stand for every row that did not come back: it says why, not "missing".
	if (unattributedErrors.length > 0) missingLines.length = 0;
	const { success, message } = statusOf(
		parsing,
		destination,
		missingLines,
		`${uploaded} records were uploaded`,
	);
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

/** SUCCESS when nothing went wrong; the status's lines after the first (the callback's message). */
function statusOf(
	parsing: string[],
	destination: string[],
	missingLines: string[],
	/** The last line: how much was uploaded. */
	uploaded: string,
): { success: boolean; message: string } {
	const success = parsing.length === 0 && destination.length === 0 && missingLines.length === 0;
	const lines = success
		? [uploaded]
		: [
				...block('Parsing Errors', parsing),
				...block('Destination Errors', destination),
				...block('Missing Rows', missingLines),
				uploaded,
			];
	return { success, message: lines.join('\n') };
}

/** One file's outcome outside marker folders (New Files, Single File). */
export interface FileDecision {
	/** Imported: every row reached the node without a destination error, and nothing was rejected. */
	done: boolean;
	outcome: FileOutcome;
	/** The status file's text, as a marker folder's status.txt: SUCCESS or ERROR, then the message. */
	status: string;
	/** The lines after the first: the callback's message. */
	message: string;
}

/**
 * Decides a file outside marker folders as a marker folder's batch is decided: imported (done) only
 * when it passed validation and every one of its rows reached the node without a destination error
 * (a file that is not read as rows: when it reached Imported Rows as itself). A file none of whose
 * rows arrived is not done. A destination error that names no row counts against every file.
 */
export function decideFile(
	file: FileTally,
	unattributedErrors: readonly string[] = [],
): FileDecision {
	const outcome = fileOutcomeOf(file);
	for (const message of new Set(unattributedErrors))
		outcome.destinationErrors.push(
			`the destination failed without naming a row: ${quote(message)}`,
		);
	const missing = unattributedErrors.length > 0 ? [] : outcome.missing;
	// A file handed on whole (not read as rows) has no records to count.
	const whole =
		outcome.deliveredWhole === true && outcome.rows === undefined && outcome.delivered === 0;
	const { success, message } = statusOf(
		outcome.reasons,
		outcome.destinationErrors,
		missing,
		whole ? 'the file was delivered' : `${outcome.delivered} records were uploaded`,
	);
	return {
		done: success,
		outcome,
		status: `${success ? 'SUCCESS' : 'ERROR'}\n${message}\n`,
		message,
	};
}
