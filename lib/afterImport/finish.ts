import type { CallbackResult } from '../px/callback';
import type { S3Store } from '../s3/store';
import {
	AfterImportError,
	fileCallback,
	statusFileKey,
	versionedKey,
	withoutTag,
	withTag,
	type FileCallbackBody,
	type PlannedAction,
} from './plan';

/**
 * What became of a file:
 * - `moved`, `deleted`, `tagged`, `kept`: the action after import was carried out;
 * - `leftInPlace`: it was not imported whole, so it stays where it is;
 * - `changed`: the file was written over since it was handed on (another version is there now):
 *   that version is left alone, and the trigger hands it on by itself;
 * - `gone`: the file is no longer there (another run moved or deleted it).
 */
export type FinishedAs =
	'moved' | 'deleted' | 'tagged' | 'kept' | 'leftInPlace' | 'changed' | 'gone';

export interface FinishedFile {
	as: FinishedAs;
	/** Where the file is now (its new key when moved). */
	key: string;
	/** The status file written, if any. */
	statusFile?: string;
	callback?: CallbackResult;
}

export interface FinishOptions {
	/** Write `<file>.status.txt` next to the file, where it ends up. */
	statusFile?: boolean;
	/** Sends the status callback (with its body and idempotency key); unset: no callback. */
	sendCallback?: (callback: {
		body: FileCallbackBody;
		idempotencyKey: string;
	}) => Promise<CallbackResult>;
}

/**
 * Finishes one file outside marker folders, in an order that never loses a file: the action after
 * import only for a file imported whole (`done`), else the file stays; then the status file next to
 * the file where it is now (a moved file's earlier status, from a failed import, goes); then the
 * callback. The move is the verified copy-then-delete of marker
 * folders (S3Store.move, pinned to the imported ETag), the delete is conditional on that ETag, the
 * tag is added to the file's own tags, and a version written over the file meanwhile is never
 * moved, deleted or tagged. A step that fails throws; the file is then where it was or where it
 * went, never lost.
 */
export async function finishFile(
	store: S3Store,
	file: { key: string; etag: string },
	decision: { done: boolean; status: string; message: string },
	action: PlannedAction,
	options: FinishOptions = {},
): Promise<FinishedFile> {
	const result = decision.done
		? await carryOut(store, file, action)
		: { as: 'leftInPlace' as const, key: file.key };
	// A file written over or gone meanwhile: its new version (or whoever took it) speaks for it.
	if (result.as === 'changed' || result.as === 'gone') return result;
	const finished: FinishedFile = { ...result };
	if (options.statusFile) {
		finished.statusFile = statusFileKey(result.key);
		await store.write(finished.statusFile, decision.status);
		// A status an earlier, failed import left next to the file where it was.
		if (result.key !== file.key) await store.delete(statusFileKey(file.key));
	}
	if (options.sendCallback)
		finished.callback = await options.sendCallback(
			fileCallback(store.bucket, file, result.key, decision.done, decision.message),
		);
	return finished;
}

/** The action after import, on exactly the version imported. */
export async function carryOut(
	store: S3Store,
	file: { key: string; etag: string },
	action: PlannedAction,
): Promise<{ as: FinishedAs; key: string }> {
	switch (action.action) {
		case 'keep':
			return { as: 'kept', key: file.key };
		case 'delete': {
			const deleted = await store.deleteVersion(file.key, file.etag);
			return { as: deleted === 'deleted' ? 'deleted' : deleted, key: file.key };
		}
		case 'move': {
			// A file of the same name moved there before (another version) is not written over.
			const there = await store.find(action.to);
			let to = action.to;
			if (there && there.etag !== file.etag) {
				to = versionedKey(action.to, file.etag);
				const again = await store.find(to);
				if (again && again.etag !== file.etag)
					throw new AfterImportError(
						`s3://${store.bucket}/${action.to} and ${to} hold other files: ${file.key} was not moved`,
					);
			}
			const source = await store.find(file.key);
			if (!source) return { as: (await store.find(to)) ? 'moved' : 'gone', key: to };
			if (source.etag !== file.etag) return { as: 'changed', key: file.key };
			const moved = await store.move(file.key, to, file.etag);
			return moved === 'changed' ? { as: 'changed', key: file.key } : { as: 'moved', key: to };
		}
		case 'tag': {
			const before = await store.find(file.key);
			if (!before) return { as: 'gone', key: file.key };
			if (before.etag !== file.etag) return { as: 'changed', key: file.key };
			const tags = withTag(await store.tags(file.key), action.tag);
			if (tags !== 'unchanged') await store.setTags(file.key, tags);
			// Tags go on whatever version is there: if the file was written over meanwhile, the tag may
			// have gone on the new version, which was not imported. Take it back from that one.
			const after = await store.find(file.key);
			if (after && after.etag !== file.etag) {
				const untagged = withoutTag(await store.tags(file.key), action.tag);
				if (untagged !== 'unchanged') await store.setTags(file.key, untagged);
				return { as: 'changed', key: file.key };
			}
			return { as: after ? 'tagged' : 'gone', key: file.key };
		}
	}
}
