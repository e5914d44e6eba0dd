import { IMPORT_KEY, type ImportBatch, type ImportFile } from '../importMetadata';
import { readJournal } from '../px/complete';
import type { S3ObjectInfo, S3Store } from '../s3/store';
import {
	CurrentListingBuilder,
	joinFolders,
	planMarkerFolders,
	splitBucketPath,
} from './markerFolders';
import type { NotifiedObject } from './events';
import { fileItem, newFileItem, withSample } from './fileItems';
import {
	newFileFilter,
	NewFilesPlanner,
	planEventObjects,
	recentlyHanded,
	rememberHanded,
	type NewFilesScope,
	type StartFrom,
} from './newFiles';
import type { PollContext, PollResult } from './pollContext';
import { checkDue } from './v1Schedule';

/** Folders (bucket/prefix) being handed on by a poll in this process right now. */
const foldersInFlight = new Set<string>();

/** The item that stands for a whole file or batch that did not give rows. */
function problemItem(file: ImportFile): Record<string, unknown> {
	return { [IMPORT_KEY]: { file, row: 0 } };
}

export interface MarkerFolderOptions extends PollContext {
	bucketPath: string;
	baseFolder: string;
	markerName: string;
	patterns: string[];
	leaseMs: number;
	maxFolders: number;
	/** No further folder is started once this many data files are handed on (a folder is never split). */
	maxFilesPerRun: number;
	budgetMs: number;
}

/** Marker-folder mode (reference 001): every ready current/dt=YYYYMMDD/ folder, oldest first, each file serially. */
export async function runMarkerFolders(o: MarkerFolderOptions): Promise<PollResult> {
	const started = Date.now();
	if (!o.manual && !o.activated && !o.state.marker?.backlog && !checkDue(o))
		return { items: [], notDue: true };
	if (!o.manual) o.state.lastCheck = o.now;

	const { bucket, prefix } = splitBucketPath(o.bucketPath);
	const base = joinFolders(prefix, o.baseFolder);
	const currentPrefix = `${base}current/`;
	const store = o.storeFor(bucket);

	const builder = new CurrentListingBuilder(currentPrefix, o.markerName, o.patterns);
	for await (const page of store.listPages(currentPrefix))
		for (const object of page.objects) builder.add(object);
	const listing = builder.build();

	const plan = planMarkerFolders(listing, o.manual ? undefined : o.state.marker, {
		bucket,
		baseFolder: base,
		now: o.now,
		leaseMs: o.leaseMs,
		maxFolders: o.manual ? 1 : o.maxFolders,
	});

	if (!o.manual) {
		const reported = new Set(o.state.marker?.reported ?? []);
		const stillThere = new Set<string>();
		for (const { folder, reason } of plan.unrecognised) {
			stillThere.add(folder);
			if (!reported.has(folder))
				o.warn(
					`Marker folders: s3://${bucket}/${folder} is not processed: ${reason}. Rename it to dt=YYYYMMDD.`,
				);
		}
		for (const stray of listing.strays) {
			stillThere.add(stray);
			if (!reported.has(stray))
				o.warn(
					`Marker folders: s3://${bucket}/${stray} is directly under current/, outside any dt=YYYYMMDD folder, and is not processed.`,
				);
		}
		plan.state.reported = [...stillThere].slice(0, 1000);
	}

	// Folders another poll in this process is reading right now are not planned again; the leases
	// are kept in the state at once, so an overlapping poll sees them too.
	const previousLeases = { ...(o.state.marker?.leases ?? {}) };
	const ready = plan.ready.filter(({ batch }) => !foldersInFlight.has(`${bucket}/${batch.folder}`));
	for (const { batch } of plan.ready) {
		if (ready.some((r) => r.batch === batch)) continue;
		if (previousLeases[batch.folder])
			plan.state.leases[batch.folder] = previousLeases[batch.folder];
		else delete plan.state.leases[batch.folder];
	}
	const claimed = ready.map(({ batch }) => `${bucket}/${batch.folder}`);
	claimed.forEach((key) => foldersInFlight.add(key));
	if (!o.manual) o.state.marker = plan.state;

	const items: Array<Record<string, unknown>> = [];
	let filesHanded = 0;
	let handed = 0;
	try {
		for (const { listing: folder, batch } of ready) {
			const overBudget = Date.now() - started > o.budgetMs / 2;
			if (handed > 0 && (filesHanded + folder.dataFiles.length > o.maxFilesPerRun || overBudget)) {
				delete plan.state.leases[folder.folder];
				continue;
			}
			const batchItems = await batchItemsOf(store, folder.dataFiles, batch, o);
			if ('waitUntil' in batchItems) {
				// Leased until then, so it is not looked at again before (nor counted as handed on).
				plan.state.leases[folder.folder] = {
					until: batchItems.waitUntil,
					attempt: previousLeases[folder.folder]?.attempt ?? 0,
				};
				continue;
			}
			handed++;
			for (const item of batchItems) items.push(item);
			filesHanded += folder.dataFiles.length;
		}
	} catch (error) {
		// Nothing is handed on: give the folders back, so the next poll tries them again.
		if (!o.manual) {
			for (const { batch } of ready) {
				if (previousLeases[batch.folder])
					plan.state.leases[batch.folder] = previousLeases[batch.folder];
				else delete plan.state.leases[batch.folder];
			}
		}
		throw error;
	} finally {
		claimed.forEach((key) => foldersInFlight.delete(key));
	}
	if (!o.manual) plan.state.backlog = ready.length > handed || plan.ready.length >= o.maxFolders;
	if (items.length === 0 && o.manual) {
		return {
			items,
			nothingToImport: `No ready folder in s3://${bucket}/${currentPrefix}`,
			hint:
				plan.waiting.length > 0
					? `${plan.waiting.length === 1 ? '1 folder has' : `${plan.waiting.length} folders have`} no ${o.markerName} marker yet, e.g. ${plan.waiting[0]}. Upload the marker once the data files are complete.`
					: `Create ${currentPrefix}dt=YYYYMMDD/ with the data files and an empty ${o.markerName} file.`,
		};
	}
	return { items, backlog: !o.manual && plan.state.backlog === true };
}

/** The items of one ready folder: one per data file, or one for a folder that is unusable or only needs completing. */
async function batchItemsOf(
	store: S3Store,
	dataFiles: Array<{ key: string; size: number; etag: string; lastModified?: Date }>,
	batch: ImportBatch,
	o: MarkerFolderOptions,
): Promise<Array<Record<string, unknown>> | { waitUntil: number }> {
	const fileFor = (key: string, error?: string): ImportFile => ({
		bucket: batch.bucket,
		key,
		etag: '',
		size: 0,
		batch,
		...(error ? { error } : {}),
	});
	// A journaled batch only needs completing, even when its data files have already moved on.
	const journal = o.manual ? undefined : await readJournal(store, batch);
	if (journal) {
		// Its callback waits for its next try: handed on then, not before.
		const retryAt = journal.pendingCallback
			? Date.parse(journal.pendingCallback.retryAt)
			: Number.NaN;
		if (retryAt > o.now) return { waitUntil: retryAt };
		delete batch.error;
		batch.resume = true;
		return [problemItem(fileFor(batch.markerKey))];
	}
	if (batch.error) return [problemItem(fileFor(batch.markerKey, batch.error))];
	const items: Array<Record<string, unknown>> = [];
	for (const [index, object] of dataFiles.entries()) {
		const item = fileItem(batch.bucket, object, o.read.csv, batch);
		items.push(index === 0 ? await withSample(store, item, object, o) : item);
	}
	return items;
}

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

function newFilesScope(o: NewFilesOptions): {
	bucket: string;
	prefix: string;
	scope: NewFilesScope;
} {
	const { bucket, prefix: sub } = splitBucketPath(o.bucket);
	const prefix = joinFolders(sub, o.folder);
	// A test run of "only new files" shows files that are there (none would be new yet).
	const startFrom = o.manual && o.startFrom === 'new' ? 'all' : o.startFrom;
	return { bucket, prefix, scope: { bucket, prefix, startFrom, since: o.since } };
}

/**
 * New Files mode: lists the folder (one ListObjectsV2 request per 1,000 objects; without
 * sub-folders, with a delimiter, so sub-folders' objects are not listed), and hands on every new
 * or changed object once, oldest first, at most Max Files per Run. See newFiles.ts for what is
 * remembered and why it stays small.
 */
export async function runNewFiles(o: NewFilesOptions): Promise<PollResult> {
	const { bucket, prefix, scope } = newFilesScope(o);
	const store = o.storeFor(bucket);
	const accepts = newFileFilter(prefix, o.patterns, o.includeSubFolders);
	const leaseS = o.manual ? 0 : Math.ceil((o.leaseMs ?? 0) / 1000);
	const planner = new NewFilesPlanner(scope, o.manual ? undefined : o.state.newFiles, {
		leaseS,
		now: Math.floor(o.now / 1000),
	});
	let listed = 0;
	for await (const page of store.listPages(prefix, o.includeSubFolders ? undefined : '/'))
		for (const object of page.objects) {
			if (!accepts(object.key)) continue;
			listed++;
			planner.add(object);
		}
	// No wait from here to remembering the plan: an overlapping poll sees these objects as handed on.
	const plan = planner.build(
		o.maxFilesPerRun,
		o.manual ? undefined : recentlyHanded(o.triggerId, o.now),
	);
	if (!o.manual) {
		rememberHanded(o.triggerId, plan.digests, o.now);
		o.state.newFiles = plan.state;
		if (plan.baseline)
			o.warn(
				`New Files: started with ${listed === 1 ? '1 file' : `${listed} files`} already in s3://${bucket}/${prefix} (only files that arrive from now on are handed on).`,
			);
	}
	const items: Array<Record<string, unknown>> = [];
	const origin = originOf(o, prefix);
	for (const [index, object] of plan.hand.entries()) {
		const item = newFileItem(bucket, object, o.read.csv, origin);
		items.push(index === 0 ? await withSample(store, item, object, o) : item);
	}
	if (items.length === 0 && o.manual)
		return {
			items,
			nothingToImport: `No file matching ${o.patterns.join(', ')} in s3://${bucket}/${prefix}${o.includeSubFolders ? ' or its sub-folders' : ''}`,
			hint:
				o.startFrom === 'modifiedSince'
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
	o: NewFilesOptions,
	notified: NotifiedObject[],
): Promise<Array<Array<Record<string, unknown>>>> {
	const { bucket, prefix, scope } = newFilesScope(o);
	const accepts = newFileFilter(prefix, o.patterns, o.includeSubFolders);
	const store = o.storeFor(bucket);
	const keys = [
		...new Set(notified.filter((n) => n.bucket === bucket && accepts(n.key)).map((n) => n.key)),
	];
	const objects: S3ObjectInfo[] = [];
	for (const key of keys) {
		const head = await store.head(key);
		if (head) objects.push(head);
		else
			o.warn(
				`New Files: s3://${bucket}/${key} was announced by an event but is gone; nothing to hand on.`,
			);
	}
	const plan = planEventObjects(
		scope,
		o.state.newFiles,
		objects,
		Math.floor(o.now / 1000),
		recentlyHanded(o.triggerId, o.now),
		Math.ceil((o.leaseMs ?? 0) / 1000),
	);
	rememberHanded(o.triggerId, plan.digests, o.now);
	o.state.newFiles = plan.state;
	const runs: Array<Array<Record<string, unknown>>> = [];
	const size = Math.max(1, o.maxFilesPerRun);
	for (let i = 0; i < plan.hand.length; i += size)
		runs.push(
			plan.hand
				.slice(i, i + size)
				.map((object) => newFileItem(bucket, object, o.read.csv, originOf(o, prefix))),
		);
	return runs;
}

/** What a New Files item says of where it came from: what Finish Import needs to move it, or to say when it comes again. */
function originOf(o: NewFilesOptions, folder: string): NonNullable<ImportFile['origin']> {
	return {
		mode: 'newFiles',
		folder,
		...(o.includeSubFolders ? { subFolders: true } : {}),
		...(!o.manual && (o.leaseMs ?? 0) > 0
			? { leaseUntil: new Date(o.now + (o.leaseMs ?? 0)).toISOString() }
			: {}),
	};
}

/** Whether an event names a marker (`<base>current/<folder>/<marker>`): its folder may be ready. */
export function concernsMarkerFolders(
	o: { bucketPath: string; baseFolder: string; markerName: string },
	notified: NotifiedObject,
): boolean {
	const { bucket, prefix } = splitBucketPath(o.bucketPath);
	const current = `${joinFolders(prefix, o.baseFolder)}current/`;
	if (notified.bucket !== bucket || !notified.key.startsWith(current)) return false;
	const rest = notified.key.slice(current.length).split('/');
	return rest.length === 2 && rest[1] === o.markerName;
}
