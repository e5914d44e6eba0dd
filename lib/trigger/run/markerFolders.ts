/**
 * Marker Folders mode's check: lists current/, plans with ../markerFolders.ts which folders are
 * ready, and hands on each ready folder's data files; and whether an event names a marker.
 */

import { IMPORT_KEY, type ImportBatch, type ImportFile } from '../../importMetadata';
import { readJournal } from '../../px/complete';
import type { S3Store } from '../../s3/store';
import type { NotifiedObject } from '../events';
import { fileItem, withSample } from '../fileItems';
import {
	CurrentListingBuilder,
	joinFolders,
	planMarkerFolders,
	splitBucketPath,
} from '../markerFolders';
import type { PollContext, PollResult } from '../pollContext';
import { checkDue } from '../v1Schedule';

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
export async function runMarkerFolders(context: MarkerFolderOptions): Promise<PollResult> {
	const started = Date.now();
	const { state } = context;
	if (!context.manual && !context.activated && !state.marker?.backlog && !checkDue(context))
		return { items: [], notDue: true };
	if (!context.manual) state.lastCheck = context.now;

	const { bucket, prefix } = splitBucketPath(context.bucketPath);
	const base = joinFolders(prefix, context.baseFolder);
	const currentPrefix = `${base}current/`;
	const store = context.storeFor(bucket);

	const builder = new CurrentListingBuilder(currentPrefix, context.markerName, context.patterns);
	for await (const page of store.listPages(currentPrefix))
		for (const object of page.objects) builder.add(object);
	const listing = builder.build();

	const plan = planMarkerFolders(listing, context.manual ? undefined : state.marker, {
		bucket,
		baseFolder: base,
		now: context.now,
		leaseMs: context.leaseMs,
		maxFolders: context.manual ? 1 : context.maxFolders,
	});

	if (!context.manual) {
		const reported = new Set(state.marker?.reported ?? []);
		const stillThere = new Set<string>();
		for (const { folder, reason } of plan.unrecognised) {
			stillThere.add(folder);
			if (!reported.has(folder))
				context.warn(
					`Marker folders: s3://${bucket}/${folder} is not processed: ${reason}. Rename it to dt=YYYYMMDD.`,
				);
		}
		for (const stray of listing.strays) {
			stillThere.add(stray);
			if (!reported.has(stray))
				context.warn(
					`Marker folders: s3://${bucket}/${stray} is directly under current/, outside any dt=YYYYMMDD folder, and is not processed.`,
				);
		}
		plan.state.reported = [...stillThere].slice(0, 1000);
	}

	// Folders another poll in this process is reading right now are not planned again; the leases
	// are kept in the state at once, so an overlapping poll sees them too.
	const previousLeases = { ...(state.marker?.leases ?? {}) };
	const ready = plan.ready.filter(({ batch }) => !foldersInFlight.has(`${bucket}/${batch.folder}`));
	for (const { batch } of plan.ready) {
		if (ready.some((r) => r.batch === batch)) continue;
		if (previousLeases[batch.folder])
			plan.state.leases[batch.folder] = previousLeases[batch.folder];
		else delete plan.state.leases[batch.folder];
	}
	const claimed = ready.map(({ batch }) => `${bucket}/${batch.folder}`);
	claimed.forEach((key) => foldersInFlight.add(key));
	if (!context.manual) state.marker = plan.state;

	const items: Array<Record<string, unknown>> = [];
	let filesHanded = 0;
	let handed = 0;
	try {
		for (const { listing: folder, batch } of ready) {
			const overBudget = Date.now() - started > context.budgetMs / 2;
			if (
				handed > 0 &&
				(filesHanded + folder.dataFiles.length > context.maxFilesPerRun || overBudget)
			) {
				delete plan.state.leases[folder.folder];
				continue;
			}
			const batchItems = await batchItemsOf(store, folder.dataFiles, batch, context);
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
		if (!context.manual) {
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
	if (!context.manual)
		plan.state.backlog = ready.length > handed || plan.ready.length >= context.maxFolders;
	if (items.length === 0 && context.manual) {
		return {
			items,
			nothingToImport: `No ready folder in s3://${bucket}/${currentPrefix}`,
			hint:
				plan.waiting.length > 0
					? `${plan.waiting.length === 1 ? '1 folder has' : `${plan.waiting.length} folders have`} no ${context.markerName} marker yet, e.g. ${plan.waiting[0]}. Upload the marker once the data files are complete.`
					: `Create ${currentPrefix}dt=YYYYMMDD/ with the data files and an empty ${context.markerName} file.`,
		};
	}
	return { items, backlog: !context.manual && plan.state.backlog === true };
}

/** The items of one ready folder: one per data file, or one for a folder that is unusable or only needs completing. */
async function batchItemsOf(
	store: S3Store,
	dataFiles: Array<{ key: string; size: number; etag: string; lastModified?: Date }>,
	batch: ImportBatch,
	context: MarkerFolderOptions,
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
	const journal = context.manual ? undefined : await readJournal(store, batch);
	if (journal) {
		// Its callback waits for its next try: handed on then, not before.
		const retryAt = journal.pendingCallback
			? Date.parse(journal.pendingCallback.retryAt)
			: Number.NaN;
		if (retryAt > context.now) return { waitUntil: retryAt };
		delete batch.error;
		batch.resume = true;
		return [problemItem(fileFor(batch.markerKey))];
	}
	if (batch.error) return [problemItem(fileFor(batch.markerKey, batch.error))];
	const items: Array<Record<string, unknown>> = [];
	for (const [index, object] of dataFiles.entries()) {
		const item = fileItem(batch.bucket, object, context.read.csv, batch);
		items.push(index === 0 ? await withSample(store, item, object, context) : item);
	}
	return items;
}

/** Whether an event names a marker (`<base>current/<folder>/<marker>`): its folder may be ready. */
export function concernsMarkerFolders(
	marker: { bucketPath: string; baseFolder: string; markerName: string },
	notified: NotifiedObject,
): boolean {
	const { bucket, prefix } = splitBucketPath(marker.bucketPath);
	const current = `${joinFolders(prefix, marker.baseFolder)}current/`;
	if (notified.bucket !== bucket || !notified.key.startsWith(current)) return false;
	const rest = notified.key.slice(current.length).split('/');
	return rest.length === 2 && rest[1] === marker.markerName;
}
