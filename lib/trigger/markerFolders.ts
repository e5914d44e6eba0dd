import { DateTime } from 'luxon';

import type { ImportBatch } from '../importMetadata';
import type { S3ObjectInfo } from '../s3/store';

/** "bucket/sub/folders", as reference 001 writes it, split into the bucket and a key prefix. */
export function splitBucketPath(bucketPath: string): { bucket: string; prefix: string } {
	const cleaned = bucketPath
		.trim()
		.replace(/^s3:\/\//i, '')
		.replace(/^\/+|\/+$/g, '');
	const [bucket, ...rest] = cleaned.split('/');
	if (!bucket)
		throw new Error(
			'The bucket is empty: enter the bucket name, optionally followed by /sub/folders.',
		);
	return { bucket, prefix: rest.filter(Boolean).join('/') };
}

/** Joins folder parts into a prefix that ends with '/', or '' for the bucket root. */
export function joinFolders(...parts: string[]): string {
	const joined = parts
		.flatMap((p) => p.split('/'))
		.filter((p) => p !== '' && p !== '.')
		.join('/');
	if (joined.split('/').includes('..'))
		throw new Error(`A folder path may not contain '..': ${parts.join('/')}`);
	return joined ? `${joined}/` : '';
}

/** `dt=YYYYMMDD` to its date, or the reason it is not one. */
export function parseBatchFolderName(name: string): { date: string } | { error: string } {
	const match = /^dt=(\d{4})(\d{2})(\d{2})$/.exec(name);
	if (!match) return { error: `the folder name '${name}' is not dt=YYYYMMDD` };
	const [, y, m, d] = match;
	const date = DateTime.fromObject(
		{ year: Number(y), month: Number(m), day: Number(d) },
		{ zone: 'utc' },
	);
	if (!date.isValid)
		return {
			error: `the folder name '${name}' is not a valid date (${y}-${m}-${d} does not exist)`,
		};
	return { date: `${y}${m}${d}` };
}

/** Glob patterns such as `*.csv.gz`, matched case-insensitively against the file name. */
export function patternMatcher(patterns: string[]): (fileName: string) => boolean {
	const regexes = patterns
		.map((p) => p.trim())
		.filter(Boolean)
		.map(
			(p) =>
				new RegExp(
					`^${p
						.split('*')
						.map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
						.join('.*')}$`,
					'i',
				),
		);
	return (fileName) => regexes.some((r) => r.test(fileName));
}

export interface FolderListing {
	folder: string;
	folderName: string;
	markerKey?: string;
	markerLastModified?: Date;
	/** Data files in name order. */
	dataFiles: S3ObjectInfo[];
}

export interface CurrentListing {
	folders: FolderListing[];
	/** Objects directly under current/, outside any folder: reported, never guessed at. */
	strays: string[];
}

/**
 * Groups a listing of `<base>current/` into its folders. Only objects directly inside a folder
 * count as data files or marker; anything deeper is left for the move to carry along.
 */
export class CurrentListingBuilder {
	private readonly byFolder = new Map<string, FolderListing>();
	private readonly strays: string[] = [];
	private readonly isDataFile: (name: string) => boolean;

	constructor(
		private readonly currentPrefix: string,
		private readonly markerName: string,
		patterns: string[],
	) {
		this.isDataFile = patternMatcher(patterns);
	}

	add(object: S3ObjectInfo): void {
		const rest = object.key.slice(this.currentPrefix.length);
		const slash = rest.indexOf('/');
		if (slash === -1) {
			this.strays.push(object.key);
			return;
		}
		const folderName = rest.slice(0, slash);
		const inside = rest.slice(slash + 1);
		const folder = `${this.currentPrefix}${folderName}/`;
		let listing = this.byFolder.get(folder);
		if (!listing) {
			listing = { folder, folderName, dataFiles: [] };
			this.byFolder.set(folder, listing);
		}
		if (inside.includes('/') || inside === '') return;
		if (inside === this.markerName) {
			listing.markerKey = object.key;
			listing.markerLastModified = object.lastModified;
		} else if (this.isDataFile(inside)) listing.dataFiles.push(object);
	}

	build(): CurrentListing {
		const folders = [...this.byFolder.values()].sort((a, b) =>
			a.folderName < b.folderName ? -1 : a.folderName > b.folderName ? 1 : 0,
		);
		for (const f of folders)
			f.dataFiles.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
		return { folders, strays: [...this.strays] };
	}
}

/** A handed-on folder: not handed on again until `until` (epoch ms), unless it is gone by then. */
export interface Lease {
	until: number;
	attempt: number;
}

export interface MarkerState {
	leases: Record<string, Lease>;
	/** Folders reported as unusable, so each is reported once, not every poll. */
	reported?: string[];
	/** Set when ready folders were left for the next poll: it then runs without waiting for the interval. */
	backlog?: boolean;
}

export interface ReadyFolder {
	listing: FolderListing;
	batch: ImportBatch;
}

export interface MarkerPlan {
	/** Ready folders to hand on now, oldest date first. */
	ready: ReadyFolder[];
	/** Ready folders still leased to a run that may be going. */
	leased: string[];
	/** Folders with no marker yet: left alone. */
	waiting: string[];
	/** Folders whose name is not dt=YYYYMMDD: reported, not processed. */
	unrecognised: Array<{ folder: string; reason: string }>;
	/** The state to keep: leases only for folders that are still there. */
	state: MarkerState;
}

export interface PlanOptions {
	bucket: string;
	baseFolder: string;
	now: number;
	leaseMs: number;
	maxFolders: number;
}

/**
 * Decides which folders to hand on. A folder is ready when it holds the marker (any size).
 * Leases stop a folder being handed to a second run while the first may still be going; a
 * folder still under current/ once its lease has run out is handed on again.
 */
export function planMarkerFolders(
	listing: CurrentListing,
	previous: MarkerState | undefined,
	options: PlanOptions,
): MarkerPlan {
	const leases = previous?.leases ?? {};
	const nextLeases: Record<string, Lease> = {};
	const plan: MarkerPlan = {
		ready: [],
		leased: [],
		waiting: [],
		unrecognised: [],
		state: { leases: nextLeases },
	};
	const base = joinFolders(options.baseFolder);
	for (const folder of listing.folders) {
		const parsed = parseBatchFolderName(folder.folderName);
		if (!folder.markerKey) {
			plan.waiting.push(folder.folder);
			continue;
		}
		const nameOnly = /^dt=/.test(folder.folderName) && 'error' in parsed;
		if ('error' in parsed && !nameOnly) {
			plan.unrecognised.push({ folder: folder.folder, reason: parsed.error });
			continue;
		}
		const lease = leases[folder.folder];
		if (lease && lease.until > options.now) {
			plan.leased.push(folder.folder);
			nextLeases[folder.folder] = lease;
			continue;
		}
		if (plan.ready.length >= options.maxFolders) continue;
		const date = 'date' in parsed ? parsed.date : folder.folderName.slice(3);
		const attempt = (lease?.attempt ?? 0) + 1;
		nextLeases[folder.folder] = { until: options.now + options.leaseMs, attempt };
		plan.ready.push({
			listing: folder,
			batch: {
				bucket: options.bucket,
				baseFolder: base.replace(/\/$/, ''),
				folder: folder.folder,
				folderName: folder.folderName,
				date,
				processedFolder: `${base}processed/${date}/`,
				markerKey: folder.markerKey,
				...(folder.markerLastModified
					? { markerLastModified: folder.markerLastModified.toISOString() }
					: {}),
				dataFiles: folder.dataFiles.map((f) => f.key),
				dataFileEtags: Object.fromEntries(folder.dataFiles.map((f) => [f.key, f.etag])),
				attempt,
				...('error' in parsed
					? { error: `${parsed.error}; rename the folder to a real date` }
					: {}),
				...(folder.dataFiles.length === 0 && !('error' in parsed)
					? {
							error: `no data files next to the marker in ${folder.folder}; upload the data files before the marker`,
						}
					: {}),
			},
		});
	}
	return plan;
}
