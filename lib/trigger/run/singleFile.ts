/**
 * Single File mode's check: a HEAD request for the one file, and the decision of ../overwrite.ts
 * whether to hand it on; and whether an event names that file.
 */

import type { NotifiedObject } from '../events';
import { fileItem, withSample } from '../fileItems';
import { splitBucketPath } from '../markerFolders';
import { configFingerprint, decideOverwrite } from '../overwrite';
import { SCHEDULE_SLACK_MS, type PollContext, type PollResult } from '../pollContext';
import { checkDue } from '../v1Schedule';

export interface SingleFileOptions extends PollContext {
	bucket: string;
	key: string;
	importEveryCheck: boolean;
	/** "Re-read Unchanged File Every": an unchanged file is imported again this long after its last import (0: never). */
	reReadEveryMs?: number;
	downstream: Array<{
		name: string;
		type: string;
		typeVersion: number;
		disabled?: boolean;
		parameters?: unknown;
	}>;
	ownParameters: unknown;
}

/** Overwrite mode (reference 000): one file at a fixed key, imported once per change. */
export async function runSingleFile(context: SingleFileOptions): Promise<PollResult> {
	const { state } = context;
	const { bucket } = splitBucketPath(context.bucket);
	const key = context.key.replace(/^\/+/, '');
	const configHash = configFingerprint(context.downstream, context.ownParameters);
	const mappingChanged =
		state.file?.configHash !== undefined && state.file.configHash !== configHash;
	if (!context.manual && !context.activated && !mappingChanged && !checkDue(context))
		return { items: [], notDue: true };
	if (!context.manual) state.lastCheck = context.now;

	const store = context.storeFor(bucket);
	const head = await store.head(key);
	if (!head) {
		// Nothing to import yet, which is not an error (a workflow may be published before the
		// customer's first upload). The check does not count: the file is looked for at every poll
		// until it appears, so the first upload is imported within a poll, not an interval.
		delete state.lastCheck;
		return {
			items: [],
			nothingToImport: `No file at s3://${bucket}/${key} yet`,
			hint: 'Upload the CSV to that path, or correct the file path (it is case-sensitive). Once the workflow is published, the file is imported at the first poll after it appears.',
		};
	}
	if (!context.manual) {
		const lastImport = state.file?.importedAt ? Date.parse(state.file.importedAt) : Number.NaN;
		const reReadDue =
			(context.reReadEveryMs ?? 0) > 0 &&
			context.now - lastImport >= (context.reReadEveryMs ?? 0) - SCHEDULE_SLACK_MS;
		const decision = decideOverwrite(
			head,
			state.file,
			configHash,
			context.importEveryCheck,
			reReadDue,
		);
		if (!decision.import) return { items: [] };
		// Handed on once per version (and per mapping): a file that turns out unreadable is
		// reported by the execution that reads it, once, and the next upload is imported.
		state.file = { etag: head.etag, configHash, importedAt: new Date(context.now).toISOString() };
	}
	return {
		items: [await withSample(store, fileItem(bucket, head, context.read.csv), head, context)],
	};
}

/** Whether an event names the single file. */
export function concernsSingleFile(
	single: { bucket: string; key: string },
	notified: NotifiedObject,
): boolean {
	return (
		notified.bucket === splitBucketPath(single.bucket).bucket &&
		notified.key === single.key.replace(/^\/+/, '')
	);
}
