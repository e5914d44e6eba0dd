import { createHash } from 'node:crypto';

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
}

export interface CompletedBatch {
	journal: BatchJournal;
	resumed: boolean;
	moved: number;
	callback?: CallbackResult;
}

export async function readJournal(store: S3Store, batch: Pick<ImportBatch, 'processedFolder' | 'markerLastModified'>): Promise<BatchJournal | undefined> {
	const text = await store.readText(`${batch.processedFolder}${JOURNAL_FILE}`);
	if (!text) return undefined;
	try {
		const journal = JSON.parse(text) as BatchJournal;
		// A journal left from an earlier upload of the same date does not belong to this one.
		if (journal.markerLastModified && batch.markerLastModified && journal.markerLastModified !== batch.markerLastModified) return undefined;
		return journal;
	} catch {
		return undefined;
	}
}

/**
 * Closes a batch folder (reference 001), in an order that a crash at any step leaves for the next
 * run to complete: journal (the decided status), data files moved (each copy verified before its
 * source is deleted), status.txt, callback, marker moved last, journal removed. While the marker
 * is under current/ the folder is not done, and the trigger hands it on again after its lease.
 */
export async function completeBatch(
	store: S3Store,
	batch: ImportBatch,
	outcome: BatchOutcome | undefined,
	sendCallback: ((journal: BatchJournal) => Promise<CallbackResult>) | undefined,
): Promise<CompletedBatch> {
	const journalKey = `${batch.processedFolder}${JOURNAL_FILE}`;
	let journal = await readJournal(store, batch);
	const resumed = journal !== undefined;
	if (!journal) {
		if (!outcome) throw new Error(`${batch.folder} was handed on to be completed, but ${journalKey} is gone; it will be imported again at the next poll`);
		const files = [...batch.dataFiles].sort().join('\n');
		journal = {
			version: 1,
			folder: batch.folder,
			processedFolder: batch.processedFolder,
			markerKey: batch.markerKey,
			markerLastModified: batch.markerLastModified,
			success: outcome.success,
			status: outcome.status,
			callback: { folder_path: batch.processedFolder.replace(/\/$/, ''), success: outcome.success, message: outcome.message },
			idempotencyKey: createHash('sha256').update(`${store.bucket}\n${batch.folder}\n${batch.markerLastModified ?? ''}\n${files}`).digest('hex').slice(0, 32),
			decidedAt: new Date().toISOString(),
		};
		await store.write(journalKey, JSON.stringify(journal, null, 2), 'application/json');
	}
	let moved = 0;
	const inFolder = await store.listObjects(batch.folder);
	for (const object of inFolder) {
		if (object.key === batch.markerKey) continue;
		await store.move(object.key, processedKeyFor(object.key, batch.folder, batch.processedFolder));
		moved++;
	}
	await store.write(`${batch.processedFolder}${STATUS_FILE}`, journal.status);
	const callback = sendCallback ? await sendCallback(journal) : undefined;
	if (inFolder.some((o) => o.key === batch.markerKey) || (await store.head(batch.markerKey))) {
		await store.move(batch.markerKey, processedKeyFor(batch.markerKey, batch.folder, batch.processedFolder));
		moved++;
	}
	await store.delete(journalKey);
	return { journal, resumed, moved, callback };
}
