import { createHash, randomUUID } from 'node:crypto';

import type { ImportBatch } from '../importMetadata';
import type { S3Store } from '../s3/store';
import type { CallbackBody, CallbackResult } from './callback';
import { JOURNAL_FILE, processedKeyFor, STATUS_FILE } from './layout';
import type { BatchOutcome } from './outcome';

/** Written before anything moves; the next run completes a stopped batch from it, with the same status. */
export interface BatchJournal {
	version: 1;
	folder: string;
	processedFolder: string;
	markerKey: string;
	markerLastModified?: string;
	success: boolean;
	status: string;
	callback: CallbackBody;
	idempotencyKey: string;
	decidedAt: string;
	/** Which handing-on of the batch decided it, and that run's own claim (one writer wins). */
	attempt?: number;
	claim?: string;
	/** The objects decided on, in the versions decided on: only these move. */
	files?: Array<{ key: string; etag: string }>;
	/** A status callback not delivered yet: later runs retry it, with the same body and key. */
	pendingCallback?: PendingCallback;
}

/**
 * A callback that failed in the run that closed its batch. The batch stays open (its marker under
 * current/, its journal kept) and the trigger hands it on again at `retryAt`; a later run sends
 * the same callback again, until it is delivered or `giveUpAt` has passed.
 */
export interface PendingCallback {
	since: string;
	giveUpAt: string;
	retryAt: string;
	/** Runs that tried, and attempts in all. */
	runs: number;
	attempts: number;
	lastError?: string;
}

export interface CompleteOptions {
	/** How long an undelivered callback is retried by later runs (default 24 hours). */
	callbackRetryLimitMs?: number;
}

/** The wait before a later run retries a callback: 5, 10, 20, 40 minutes, then hourly. */
export function callbackRetryDelayMs(runs: number): number {
	return Math.min(60, 5 * 2 ** Math.max(0, runs - 1)) * 60_000;
}

export interface CompletedBatch {
	journal: BatchJournal;
	resumed: boolean;
	moved: number;
	callback?: CallbackResult;
	/** Objects left under current/: they arrived (or changed) after the batch was closed, and were not imported. */
	leftInCurrent: string[];
	/** The callback failed and is retried by a later run; the marker stays under current/ till then. */
	callbackPending?: PendingCallback;
	/** The callback was retried until the limit and not delivered: the batch was closed without it. */
	callbackGaveUp?: PendingCallback;
}

/** A run that found the batch owned by another run, or already closed: it did nothing to the folder. */
export interface SkippedBatch {
	skipped: string;
}

export async function readJournal(
	store: S3Store,
	batch: Pick<ImportBatch, 'processedFolder' | 'markerLastModified'>,
): Promise<BatchJournal | undefined> {
	const found = await readJournalVersion(store, batch);
	return found && !found.stale ? found.journal : undefined;
}

/** The journal object as read (with its ETag), and whether it is left from an earlier upload of the same date. */
async function readJournalVersion(
	store: S3Store,
	batch: Pick<ImportBatch, 'processedFolder' | 'markerLastModified'>,
): Promise<{ journal?: BatchJournal; etag: string; stale: boolean } | undefined> {
	const read = await store.readTextVersion(`${batch.processedFolder}${JOURNAL_FILE}`);
	if (!read) return undefined;
	try {
		const journal = JSON.parse(read.text) as BatchJournal;
		// A journal left from an earlier upload of the same date does not belong to this one.
		const stale = Boolean(
			journal.markerLastModified &&
			batch.markerLastModified &&
			journal.markerLastModified !== batch.markerLastModified,
		);
		return { journal, etag: read.etag, stale };
	} catch {
		return { etag: read.etag, stale: true };
	}
}

/**
 * Closes a batch folder (reference 001), in an order that a crash at any step leaves for the next
 * run to complete: journal (the decided status), data files moved (each copy verified before its
 * source is deleted), status.txt, callback, marker moved last, journal removed. While the marker
 * is under current/ the folder is not done, and the trigger hands it on again after its lease.
 *
 * One owner per batch: the journal is created with a conditional write (`If-None-Match: *`), so
 * of two runs that decided the same batch (a run longer than its lease, a queue backlog) exactly
 * one completes it; the other, and a run that comes after the batch was closed or after the
 * marker was rewritten, does nothing to the folder. The journal names the exact objects (and
 * versions) decided on: an object that arrived after the marker, or a data file changed since it
 * was listed, stays under current/ and is named in status.txt.
 *
 * A callback that fails keeps the batch open (marker and journal stay) for a later run to send it
 * again, until it is delivered or the retry limit has passed; then the batch closes without it.
 */
export async function completeBatch(
	store: S3Store,
	batch: ImportBatch,
	outcome: BatchOutcome | undefined,
	sendCallback: ((journal: BatchJournal) => Promise<CallbackResult>) | undefined,
	options: CompleteOptions = {},
): Promise<CompletedBatch | SkippedBatch> {
	const journalKey = `${batch.processedFolder}${JOURNAL_FILE}`;
	let journal = await readJournal(store, batch);
	// A run that decided the batch itself finds another run's journal: that run owns the batch.
	// (A run handed the batch to resume it, with no outcome of its own, completes it.)
	if (journal && outcome) {
		return {
			skipped: `another run (attempt ${journal.attempt ?? '?'}, decided at ${journal.decidedAt}) owns this batch folder; this run did nothing to it`,
		};
	}
	const resumed = journal !== undefined;
	if (!journal) {
		if (!outcome)
			throw new Error(
				`${batch.folder} was handed on to be completed, but ${journalKey} is gone; it will be imported again at the next poll`,
			);
		// The marker must still be the one this batch was handed on for.
		const marker = await store.head(batch.markerKey);
		if (!marker)
			return {
				skipped: `the marker ${batch.markerKey} is gone: another run completed this batch folder; this run did nothing to it`,
			};
		if (
			batch.markerLastModified &&
			marker.lastModified?.toISOString() !== batch.markerLastModified
		) {
			return {
				skipped: `the marker ${batch.markerKey} was written again after this batch was handed on (a new upload); this run did nothing to the folder, which is imported anew`,
			};
		}
		// What the customer closed with the marker: objects written up to the marker's second.
		const closedAt = marker.lastModified?.getTime() ?? Number.POSITIVE_INFINITY;
		const files = (await store.listObjects(batch.folder))
			.filter(
				(o) =>
					o.key !== batch.markerKey &&
					(o.lastModified === undefined || o.lastModified.getTime() <= closedAt),
			)
			.map((o) => ({ key: o.key, etag: batch.dataFileEtags?.[o.key] ?? o.etag }));
		const dataFiles = [...batch.dataFiles].sort().join('\n');
		journal = {
			version: 1,
			folder: batch.folder,
			processedFolder: batch.processedFolder,
			markerKey: batch.markerKey,
			markerLastModified: batch.markerLastModified,
			success: outcome.success,
			status: outcome.status,
			callback: {
				folder_path: batch.processedFolder.replace(/\/$/, ''),
				success: outcome.success,
				message: outcome.message,
			},
			idempotencyKey: createHash('sha256')
				.update(`${store.bucket}\n${batch.folder}\n${batch.markerLastModified ?? ''}\n${dataFiles}`)
				.digest('hex')
				.slice(0, 32),
			decidedAt: new Date().toISOString(),
			attempt: batch.attempt,
			claim: randomUUID(),
			files,
		};
		// A journal left by an earlier upload of the same date goes first, deleted only in the version
		// read as stale (If-Match): a fresh claim another run wrote meanwhile is never deleted. One of
		// this upload, written meanwhile by another run, means that run owns the batch.
		const meanwhile = await readJournalVersion(store, batch);
		if (meanwhile && !meanwhile.stale) {
			return {
				skipped: `another run (attempt ${meanwhile.journal?.attempt ?? '?'}, decided at ${meanwhile.journal?.decidedAt ?? '?'}) owns this batch folder; this run did nothing to it`,
			};
		}
		if (meanwhile) await store.deleteIfMatch(journalKey, meanwhile.etag);
		if (!(await store.writeIfAbsent(journalKey, JSON.stringify(journal, null, 2)))) {
			const owner = await readJournal(store, batch);
			return {
				skipped: `another run (attempt ${owner?.attempt ?? '?'}, decided at ${owner?.decidedAt ?? '?'}) owns this batch folder; this run did nothing to it`,
			};
		}
		// Claimed only after another run had closed the batch (it moves the marker before it removes
		// its journal): the marker is gone now, so give the claim back and do nothing.
		const stillThere = await store.head(batch.markerKey);
		if (
			!stillThere ||
			(batch.markerLastModified &&
				stillThere.lastModified?.toISOString() !== batch.markerLastModified)
		) {
			await store.delete(journalKey);
			return {
				skipped: `the marker ${batch.markerKey} is gone: another run completed this batch folder; this run did nothing to it`,
			};
		}
	}
	let moved = 0;
	const inFolder = await store.listObjects(batch.folder);
	const decided =
		journal.files ??
		inFolder.filter((o) => o.key !== batch.markerKey).map((o) => ({ key: o.key, etag: '' }));
	const decidedKeys = new Set(decided.map((f) => f.key));
	const leftInCurrent: string[] = [];
	for (const file of decided) {
		const result = await store.move(
			file.key,
			processedKeyFor(file.key, batch.folder, batch.processedFolder),
			file.etag || undefined,
		);
		if (result === 'changed') leftInCurrent.push(file.key);
		else moved++;
	}
	for (const object of inFolder)
		if (object.key !== batch.markerKey && !decidedKeys.has(object.key))
			leftInCurrent.push(object.key);
	const note =
		leftInCurrent.length === 0
			? ''
			: `Left in current/ (arrived or changed after the batch was closed; not imported):[\n${leftInCurrent.map((k, i) => `       ${k.slice(batch.folder.length)}${i < leftInCurrent.length - 1 ? ',' : ''}`).join('\n')}\n]\n`;
	await store.write(`${batch.processedFolder}${STATUS_FILE}`, journal.status + note);
	const callback = sendCallback ? await sendCallback(journal) : undefined;
	let callbackGaveUp: PendingCallback | undefined;
	if (callback && !callback.delivered) {
		// At least once across runs: the batch stays open with its journal, and a later run sends the
		// same callback again (the trigger hands the batch on at retryAt), until the limit.
		const now = Date.now();
		const before = journal.pendingCallback;
		const pending: PendingCallback = {
			since: before?.since ?? new Date(now).toISOString(),
			giveUpAt:
				before?.giveUpAt ??
				new Date(now + (options.callbackRetryLimitMs ?? 24 * 3_600_000)).toISOString(),
			retryAt: '',
			runs: (before?.runs ?? 0) + 1,
			attempts: (before?.attempts ?? 0) + callback.attempts,
			lastError: callback.error,
		};
		pending.retryAt = new Date(now + callbackRetryDelayMs(pending.runs)).toISOString();
		if (now < Date.parse(pending.giveUpAt)) {
			await store.write(
				journalKey,
				JSON.stringify({ ...journal, pendingCallback: pending }, null, 2),
			);
			return { journal, resumed, moved, callback, leftInCurrent, callbackPending: pending };
		}
		callbackGaveUp = pending;
	}
	// The marker goes last, and only the one decided on: a marker written again is a new upload.
	const marker =
		inFolder.find((o) => o.key === batch.markerKey) ?? (await store.head(batch.markerKey));
	if (
		marker &&
		(!journal.markerLastModified ||
			marker.lastModified?.toISOString() === journal.markerLastModified)
	) {
		await store.move(
			batch.markerKey,
			processedKeyFor(batch.markerKey, batch.folder, batch.processedFolder),
		);
		moved++;
	}
	await store.delete(journalKey);
	return {
		journal,
		resumed,
		moved,
		callback,
		leftInCurrent,
		...(callbackGaveUp ? { callbackGaveUp } : {}),
	};
}
