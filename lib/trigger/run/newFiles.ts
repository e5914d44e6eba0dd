/**
 * New Files mode's check: lists the folder, or looks up the objects that events name, and hands on
 * what ../newFiles.ts plans.
 */

import type { ImportFile } from '../../importMetadata';
import type { S3ObjectInfo } from '../../s3/store';
import type { NotifiedObject } from '../events';
import { newFileItem, withSample } from '../fileItems';
import { joinFolders, splitBucketPath } from '../markerFolders';
import {
	newFileFilter,
	NewFilesPlanner,
	planEventObjects,
	recentlyHanded,
	rememberHanded,
	type NewFilesScope,
	type StartFrom,
} from '../newFiles';
import type { PollContext, PollResult } from '../pollContext';

export interface NewFilesOptions extends PollContext {
	/** `bucket` or `bucket/sub/folders`. */
	bucket: string;
	/** The folder under it (prefix); empty for the bucket (and sub-folder) root. */
	folder: string;
	patterns: string[];
	includeSubFolders: boolean;
	startFrom: StartFrom;
	/** For "modified since": epoch milliseconds. */
	since?: number;
	maxFilesPerRun: number;
	/** The trigger's identity in this process (workflow and node), for overlapping polls. */
	triggerId: string;
	/**
	 * Set when imported files leave the folder (Finish Import moves or deletes them): a file still
	 * there this long after it was handed on is handed on again (its import failed). 0: each version once.
	 */
	leaseMs?: number;
}

function newFilesScope(context: NewFilesOptions): {
	bucket: string;
	prefix: string;
	scope: NewFilesScope;
} {
	const { bucket, prefix: sub } = splitBucketPath(context.bucket);
	const prefix = joinFolders(sub, context.folder);
	// A test run of "only new files" shows files that are there (none would be new yet).
	const startFrom = context.manual && context.startFrom === 'new' ? 'all' : context.startFrom;
	return { bucket, prefix, scope: { bucket, prefix, startFrom, since: context.since } };
}

/**
 * New Files mode: lists the folder (one ListObjectsV2 request per 1,000 objects; without
 * sub-folders, with a delimiter, so sub-folders' objects are not listed), and hands on every new
 * or changed object once, oldest first, at most Max Files per Run. See lib/trigger/newFiles.ts
 * for what is remembered and why it stays small.
 */
export async function runNewFiles(context: NewFilesOptions): Promise<PollResult> {
	const { bucket, prefix, scope } = newFilesScope(context);
	const store = context.storeFor(bucket);
	const accepts = newFileFilter(prefix, context.patterns, context.includeSubFolders);
	const leaseS = context.manual ? 0 : Math.ceil((context.leaseMs ?? 0) / 1000);
	const planner = new NewFilesPlanner(scope, context.manual ? undefined : context.state.newFiles, {
		leaseS,
		now: Math.floor(context.now / 1000),
	});
	let listed = 0;
	for await (const page of store.listPages(prefix, context.includeSubFolders ? undefined : '/'))
		for (const object of page.objects) {
			if (!accepts(object.key)) continue;
			listed++;
			planner.add(object);
		}
	// No wait from here to remembering the plan: an overlapping poll sees these objects as handed on.
	const plan = planner.build(
		context.maxFilesPerRun,
		context.manual ? undefined : recentlyHanded(context.triggerId, context.now),
	);
	if (!context.manual) {
		rememberHanded(context.triggerId, plan.digests, context.now);
		context.state.newFiles = plan.state;
		if (plan.baseline)
			context.warn(
				`New Files: started with ${listed === 1 ? '1 file' : `${listed} files`} already in s3://${bucket}/${prefix} (only files that arrive from now on are handed on).`,
			);
	}
	const items: Array<Record<string, unknown>> = [];
	const origin = originOf(context, prefix);
	for (const [index, object] of plan.hand.entries()) {
		const item = newFileItem(bucket, object, context.read.csv, origin);
		items.push(index === 0 ? await withSample(store, item, object, context) : item);
	}
	if (items.length === 0 && context.manual)
		return {
			items,
			nothingToImport: `No file matching ${context.patterns.join(', ')} in s3://${bucket}/${prefix}${context.includeSubFolders ? ' or its sub-folders' : ''}`,
			hint:
				context.startFrom === 'modifiedSince'
					? 'Files modified before the Modified Since date are not handed on. Upload a file, or choose an earlier date.'
					: 'Upload a file there, or correct the bucket, folder or file pattern (they are case-sensitive).',
		};
	return { items, backlog: plan.waiting > 0 };
}

/**
 * New Files mode, from event notifications: each notified object that belongs to the folder is
 * looked up (HEAD: its current size, ETag and LastModified; an object gone since is skipped) and
 * handed on unless it already was (a duplicate event, or a listing that found it first). Returns
 * the runs to start, each at most Max Files per Run.
 */
export async function handNewFileEvents(
	context: NewFilesOptions,
	notified: NotifiedObject[],
): Promise<Array<Array<Record<string, unknown>>>> {
	const { bucket, prefix, scope } = newFilesScope(context);
	const accepts = newFileFilter(prefix, context.patterns, context.includeSubFolders);
	const store = context.storeFor(bucket);
	const keys = [
		...new Set(notified.filter((n) => n.bucket === bucket && accepts(n.key)).map((n) => n.key)),
	];
	const objects: S3ObjectInfo[] = [];
	for (const key of keys) {
		const head = await store.head(key);
		if (head) objects.push(head);
		else
			context.warn(
				`New Files: s3://${bucket}/${key} was announced by an event but is gone; nothing to hand on.`,
			);
	}
	const plan = planEventObjects(
		scope,
		context.state.newFiles,
		objects,
		Math.floor(context.now / 1000),
		recentlyHanded(context.triggerId, context.now),
		Math.ceil((context.leaseMs ?? 0) / 1000),
	);
	rememberHanded(context.triggerId, plan.digests, context.now);
	context.state.newFiles = plan.state;
	const runs: Array<Array<Record<string, unknown>>> = [];
	const size = Math.max(1, context.maxFilesPerRun);
	for (let i = 0; i < plan.hand.length; i += size)
		runs.push(
			plan.hand
				.slice(i, i + size)
				.map((object) => newFileItem(bucket, object, context.read.csv, originOf(context, prefix))),
		);
	return runs;
}

/** What a New Files item says of where it came from: what Finish Import needs to move it, or to say when it comes again. */
function originOf(context: NewFilesOptions, folder: string): NonNullable<ImportFile['origin']> {
	return {
		mode: 'newFiles',
		folder,
		...(context.includeSubFolders ? { subFolders: true } : {}),
		...(!context.manual && (context.leaseMs ?? 0) > 0
			? { leaseUntil: new Date(context.now + (context.leaseMs ?? 0)).toISOString() }
			: {}),
	};
}
