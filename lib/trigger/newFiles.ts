import * as crypto from 'node:crypto';

import { STATUS_FILE_SUFFIX } from '../afterImport/plan';
import type { S3ObjectInfo } from '../s3/store';
import { patternMatcher } from './markerFolders';

/**
 * New Files mode: every new object under a folder, and every changed one (a new ETag), handed on
 * once, oldest first.
 *
 * What is remembered, and why it stays small with 100,000 objects under the folder:
 * - a **floor**: every object last modified before it counts as done (handed on, or there before
 *   the start point). S3 lists keys in name order, not by time, so every poll lists the whole
 *   folder; only objects at or above the floor are looked at;
 * - the **recent** objects handed on (a 64-bit digest of key and ETag, with the time it counts
 *   from), so an object at or above the floor is handed on once, and an overwrite (new ETag) again.
 *
 * The floor follows the newest object listed, a late-upload window behind it (an object shows up
 * in a listing only when its upload completes, while a multipart upload's LastModified is when it
 * began), but never passes a file still waiting its turn (a backlog beyond Max Files per Run).
 * So the recent set holds the objects of the last window (24 hours), at most ~10,000 of them: above
 * that the floor is raised to the newest 10,000 (as far as a waiting file allows), and the
 * late-upload window is shorter for that while. An object that appears with a LastModified below
 * the floor (a multipart upload that took longer than the window) is not handed on by a listing;
 * event notifications (the event trigger) hand it on whatever its time.
 *
 * **When imported files leave the folder** (the workflow's Finish Import moves or deletes each file
 * once its rows were delivered), a file still listed is one whose import has not finished: it
 * failed (a destination down, a file rejected), or it is still running. Then each version handed on
 * gets a **lease**: listed again after its lease has ended, it is handed on again, so a failed
 * import is retried until it succeeds and the file leaves. The floor then stays where the start
 * point put it (a file waiting for days is still handed on), and the recent set holds the leases
 * of files still listed (an ended lease is dropped: the file is a candidate again), plus the files
 * the start left alone ("only new files"), while they are listed. At most RECENT_LIMIT leases run
 * at once: beyond that, files wait for leases to end or for their files to leave.
 */

/** Where to begin: every file there now, only files that arrive after publishing, or files modified since a date. */
export type StartFrom = 'all' | 'new' | 'modifiedSince';

export interface NewFilesState {
	/** The bucket, folder and start point the state belongs to: another one starts afresh. */
	scope: string;
	/** Epoch seconds: every object last modified before this counts as done. */
	floor: number;
	/**
	 * The recent objects handed on: `<time base36>:<digests>` groups, comma-separated (see
	 * encodeRecent). With leases, the time is when each lease ends (LEFT_ALONE: never).
	 */
	recent: string;
	/** Set while imported files leave the folder: `recent` holds leases, and the floor stays put. */
	leases?: true;
}

/** A lease that never ends: a file the start point left alone ("only new files"), kept while it is listed. */
export const LEFT_ALONE = 2 ** 31 - 1;

/** How long after an object's LastModified a listing still catches it late (a long multipart upload). */
export const LATE_UPLOAD_WINDOW_S = 24 * 3600;
/** The recent set's size: above it the floor rises to the newest this many (as far as a waiting file allows). */
export const RECENT_LIMIT = 10_000;
const DIGEST_LENGTH = 11;

const { createHash } = crypto;
const oneShotHash = (
	crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }
).hash;

/** A short, stable name for one version of one object: 64 bits of SHA-1 over key and ETag (not a security use). */
export function versionDigest(key: string, etag: string): string {
	const text = `${key}\n${etag.replace(/"/g, '')}`;
	// crypto.hash (Node 20.12+) is the one-shot form: 2-3x faster over a 100,000-object listing.
	const digest =
		typeof oneShotHash === 'function'
			? oneShotHash('sha1', text, 'base64url')
			: createHash('sha1').update(text).digest('base64url');
	return digest.slice(0, DIGEST_LENGTH);
}

/** Recent digests, grouped by time: `t1:d1d2,t2:d3` (digests are 11 base64url characters). */
export function encodeRecent(recent: Map<string, number>): string {
	const byTime = new Map<number, string[]>();
	for (const [digest, t] of recent) {
		const group = byTime.get(t);
		if (group) group.push(digest);
		else byTime.set(t, [digest]);
	}
	return [...byTime.entries()]
		.sort((a, b) => a[0] - b[0])
		.map(([t, digests]) => `${t.toString(36)}:${digests.sort().join('')}`)
		.join(',');
}

export function decodeRecent(text: string | undefined): Map<string, number> {
	const recent = new Map<string, number>();
	if (!text) return recent;
	for (const group of text.split(',')) {
		const colon = group.indexOf(':');
		if (colon < 1) continue;
		const t = parseInt(group.slice(0, colon), 36);
		const digests = group.slice(colon + 1);
		for (let i = 0; i + DIGEST_LENGTH <= digests.length; i += DIGEST_LENGTH)
			recent.set(digests.slice(i, i + DIGEST_LENGTH), t);
	}
	return recent;
}

export const seconds = (date: Date | undefined): number =>
	date ? Math.floor(date.getTime() / 1000) : 0;

/**
 * Which keys under the folder count: the file pattern, and whether sub-folders do. Status files
 * that Finish Import writes next to files (`a.csv.status.txt`) never count, whatever the pattern.
 */
export function newFileFilter(
	prefix: string,
	patterns: string[],
	includeSubFolders: boolean,
): (key: string) => boolean {
	const byName = patternMatcher(patterns.filter((p) => !p.includes('/')));
	const byPath = patternMatcher(patterns.filter((p) => p.includes('/')));
	return (key) => {
		if (!key.startsWith(prefix) || key.endsWith('/') || key.endsWith(STATUS_FILE_SUFFIX))
			return false;
		const rest = key.slice(prefix.length);
		if (!includeSubFolders && rest.includes('/')) return false;
		const name = rest.slice(rest.lastIndexOf('/') + 1);
		return byName(name) || byPath(rest);
	};
}

export interface NewFilesScope {
	bucket: string;
	prefix: string;
	startFrom: StartFrom;
	/** For `modifiedSince`: epoch milliseconds. */
	since?: number;
}

export function scopeOf(scope: NewFilesScope): string {
	return JSON.stringify([
		scope.bucket,
		scope.prefix,
		scope.startFrom,
		scope.startFrom === 'modifiedSince' ? (scope.since ?? 0) : 0,
	]);
}

export interface NewFilesPlan {
	/** The objects to hand on now, oldest first. */
	hand: S3ObjectInfo[];
	/** Their digests and times, as remembered. */
	digests: Array<{ digest: string; t: number }>;
	/** Objects waiting for a later run (beyond Max Files per Run). */
	waiting: number;
	/** The first poll of "only new files": what is there now was taken as the start, nothing handed on. */
	baseline: boolean;
	state: NewFilesState;
}

export interface LeaseOptions {
	/** How long a file handed on is kept from being handed on again (seconds); 0 or unset: no leases, each version once. */
	leaseS?: number;
	/** Epoch seconds: when this poll runs (leases are counted from it). */
	now?: number;
}

/**
 * Builds the plan from a listing, page by page, keeping only what can be handed on: objects at or
 * above the floor that are not among the recent ones (with leases: not leased).
 */

export class NewFilesPlanner {
	private readonly recent: Map<string, number>;
	private readonly floor: number;
	private readonly fresh: boolean;
	private readonly leaseS: number;
	private readonly now: number;
	private readonly candidates: Array<{ object: S3ObjectInfo; digest: string; t: number }> = [];
	private readonly present: Array<{ digest: string; t: number }> = [];
	/** With leases: the digests listed (a file left alone is kept only while it is listed). */
	private readonly listed = new Set<string>();
	/** The newest LastModified listed (epoch seconds). */
	private newest: number | undefined;

	constructor(
		private readonly scope: NewFilesScope,
		previous: NewFilesState | undefined,
		leases: LeaseOptions = {},
	) {
		this.leaseS = Math.max(0, leases.leaseS ?? 0);
		this.now = leases.now ?? Math.floor(Date.now() / 1000);
		const start = startState(scope, previous, this.leaseS > 0, this.now);
		this.fresh = start.fresh;
		this.floor = start.floor;
		this.recent = start.recent;
	}

	/** Whether this poll takes the start ("only new files", first poll): everything there now counts as done. */
	get takesBaseline(): boolean {
		return this.fresh && this.scope.startFrom === 'new';
	}

	add(object: S3ObjectInfo): void {
		const t = seconds(object.lastModified);
		if (this.newest === undefined || t > this.newest) this.newest = t;
		if (t < this.floor) return;
		const digest = versionDigest(object.key, object.etag);
		if (this.takesBaseline) {
			this.present.push({ digest, t });
			return;
		}
		if (this.leaseS > 0) {
			this.listed.add(digest);
			if ((this.recent.get(digest) ?? 0) > this.now) return;
		} else if (this.recent.has(digest)) return;
		this.candidates.push({ object, digest, t });
	}

	/**
	 * The plan. `handedMeanwhile` are the objects this process handed on since (another poll of the
	 * same trigger): read right here, with no wait between it and remembering this plan's objects,
	 * so two overlapping polls never hand on the same object.
	 */
	build(maxFiles: number, handedMeanwhile: Map<string, number> = new Map()): NewFilesPlan {
		const recent = this.recent;
		mergeRecent(recent, handedMeanwhile);
		if (this.takesBaseline) {
			for (const { digest, t } of this.present) recent.set(digest, t);
			const state = settle(this.scope, this.floor, recent, undefined, this.newest);
			return {
				hand: [],
				digests: [],
				waiting: 0,
				baseline: true,
				state: this.leaseS > 0 ? leftAlone(state) : state,
			};
		}
		if (this.leaseS > 0) return this.buildWithLeases(maxFiles);
		// Oldest first; the same second in key order.
		const candidates = this.candidates.filter((c) => !recent.has(c.digest));
		candidates.sort(oldestFirst);
		const hand = candidates.slice(0, Math.max(1, maxFiles));
		for (const { digest, t } of hand) recent.set(digest, t);
		const firstWaiting = candidates[hand.length]?.t;
		return {
			hand: hand.map((c) => c.object),
			digests: hand.map(({ digest, t }) => ({ digest, t })),
			waiting: candidates.length - hand.length,
			baseline: false,
			state: settle(this.scope, this.floor, recent, firstWaiting, this.newest),
		};
	}

	/** Every file listed and not leased, oldest first, as many as Max Files per Run and the free leases allow. */
	private buildWithLeases(maxFiles: number): NewFilesPlan {
		const recent = this.recent;
		const now = this.now;
		const candidates = this.candidates.filter((c) => (recent.get(c.digest) ?? 0) <= now);
		candidates.sort(oldestFirst);
		let running = 0;
		for (const [digest, until] of recent) {
			// A lease ended: its file is a candidate again (above). A file no longer listed left the
			// folder (imported and moved or deleted, or removed): its lease, or its being left alone,
			// is over. (Overlapping polls in this process still see it: recentlyHanded.)
			if (until <= now || !this.listed.has(digest)) recent.delete(digest);
			else if (until !== LEFT_ALONE) running++;
		}
		const room = Math.max(0, RECENT_LIMIT - running);
		const hand = candidates.slice(0, Math.min(Math.max(1, maxFiles), room));
		const digests = hand.map(({ digest }) => ({ digest, t: now + this.leaseS }));
		for (const { digest, t } of digests) recent.set(digest, t);
		return {
			hand: hand.map((c) => c.object),
			digests,
			waiting: candidates.length - hand.length,
			baseline: false,
			state: {
				scope: scopeOf(this.scope),
				floor: this.floor,
				recent: encodeRecent(recent),
				leases: true,
			},
		};
	}
}

function oldestFirst(
	a: { object: S3ObjectInfo; t: number },
	b: { object: S3ObjectInfo; t: number },
): number {
	if (a.t !== b.t) return a.t - b.t;
	return a.object.key < b.object.key ? -1 : a.object.key > b.object.key ? 1 : 0;
}

/** The files the start point found ("only new files") are left alone for good, with leases on. */
function leftAlone(state: NewFilesState): NewFilesState {
	const recent = decodeRecent(state.recent);
	for (const digest of recent.keys()) recent.set(digest, LEFT_ALONE);
	return { ...state, recent: encodeRecent(recent), leases: true };
}

/**
 * Where a poll starts from: its floor and recent set, from the previous state when it is of the
 * same scope. Turning leases on (Finish Import now moves or deletes imported files) keeps what was
 * handed on as done, for good (those files stay, as they did); turning them off counts the leased
 * files as handed on now.
 */
function startState(
	scope: NewFilesScope,
	previous: NewFilesState | undefined,
	leases: boolean,
	now: number,
): { fresh: boolean; floor: number; recent: Map<string, number> } {
	const fresh = !previous || previous.scope !== scopeOf(scope);
	if (fresh) return { fresh, floor: startFloor(scope), recent: new Map() };
	const recent = decodeRecent(previous.recent);
	if (leases && !previous.leases)
		for (const digest of recent.keys()) recent.set(digest, LEFT_ALONE);
	if (!leases && previous.leases) for (const digest of recent.keys()) recent.set(digest, now);
	return { fresh, floor: previous.floor, recent };
}

function startFloor(scope: NewFilesScope): number {
	return scope.startFrom === 'modifiedSince' ? Math.floor((scope.since ?? 0) / 1000) : 0;
}

function mergeRecent(recent: Map<string, number>, more: Map<string, number>): void {
	for (const [digest, t] of more) if ((recent.get(digest) ?? -1) < t) recent.set(digest, t);
}

/**
 * Objects named by event notifications: handed on unless among the recent ones, whatever their
 * LastModified (an event says the object was just created, even when a long multipart upload
 * gave it an old LastModified). The floor does not move (only a listing knows what waits), and
 * each is remembered from `now` (epoch seconds) on, so a duplicate event within the window is
 * recognised. With leases, an object is handed on unless its lease is running, and leased.
 */
export function planEventObjects(
	scopeSpec: NewFilesScope,
	previous: NewFilesState | undefined,
	objects: S3ObjectInfo[],
	now: number,
	handedMeanwhile: Map<string, number> = new Map(),
	leaseS = 0,
): { hand: S3ObjectInfo[]; digests: Array<{ digest: string; t: number }>; state: NewFilesState } {
	const leases = leaseS > 0;
	const start = startState(scopeSpec, previous, leases, now);
	// "Only new files" before any listing took the start: what is older than now was there before.
	const floor = start.fresh && scopeSpec.startFrom === 'new' ? now : start.floor;
	const recent = start.recent;
	mergeRecent(recent, handedMeanwhile);
	const hand: S3ObjectInfo[] = [];
	const digests: Array<{ digest: string; t: number }> = [];
	for (const object of objects) {
		const digest = versionDigest(object.key, object.etag);
		if (leases ? (recent.get(digest) ?? 0) > now : recent.has(digest)) continue;
		const t = leases ? now + leaseS : Math.max(seconds(object.lastModified), now);
		recent.set(digest, t);
		hand.push(object);
		digests.push({ digest, t });
	}
	if (leases) {
		for (const [digest, until] of recent) if (until <= now) recent.delete(digest);
		return {
			hand,
			digests,
			state: { scope: scopeOf(scopeSpec), floor, recent: encodeRecent(recent), leases: true },
		};
	}
	return { hand, digests, state: settle(scopeSpec, floor, recent, floor, undefined) };
}

/**
 * Raises the floor as far as is safe and drops the recent objects below it: a late-upload window
 * behind the newest object listed, further while more than RECENT_LIMIT are remembered, but never
 * past the first file still waiting its turn.
 */
export function settle(
	scope: NewFilesScope,
	floor: number,
	recent: Map<string, number>,
	firstWaiting: number | undefined,
	newest: number | undefined,
): NewFilesState {
	const ceiling = firstWaiting ?? Number.POSITIVE_INFINITY;
	let next = floor;
	if (newest !== undefined) next = Math.max(next, Math.min(ceiling, newest - LATE_UPLOAD_WINDOW_S));
	if (recent.size > RECENT_LIMIT) {
		const times = [...recent.values()].sort((a, b) => b - a);
		next = Math.max(next, Math.min(ceiling, times[RECENT_LIMIT - 1]));
	}
	for (const [digest, t] of recent) if (t < next) recent.delete(digest);
	return { scope: scopeOf(scope), floor: next, recent: encodeRecent(recent) };
}

/**
 * Objects handed on by this process recently, per trigger (workflow and node): a second poll
 * that overlaps the first (a slow listing, the event trigger's listing beside its queue, a
 * re-publish that builds its state from what n8n saved a moment before) does not hand them on
 * again. Kept for an hour (a lease: while it runs), at most RECENT_LIMIT per trigger.
 */
const handedInProcess = new Map<string, Map<string, { t: number; at: number }>>();
const IN_PROCESS_MS = 3600_000;

export function recentlyHanded(trigger: string, now: number): Map<string, number> {
	const entries = handedInProcess.get(trigger);
	const result = new Map<string, number>();
	if (!entries) return result;
	for (const [digest, { t, at }] of entries) {
		// A lease (its end, in the future) is kept while it runs, even past the hour.
		if (now - at > IN_PROCESS_MS && !(t !== LEFT_ALONE && t * 1000 > now)) entries.delete(digest);
		else result.set(digest, t);
	}
	return result;
}

export function rememberHanded(
	trigger: string,
	handed: Array<{ digest: string; t: number }>,
	now: number,
): void {
	let entries = handedInProcess.get(trigger);
	if (!entries) {
		entries = new Map();
		handedInProcess.set(trigger, entries);
	}
	for (const { digest, t } of handed) {
		entries.delete(digest);
		entries.set(digest, { t, at: now });
	}
	while (entries.size > RECENT_LIMIT) entries.delete(entries.keys().next().value as string);
}

/** Gives a claim back (the hand-on failed before anything was emitted). */
export function forgetHanded(trigger: string, digests: string[]): void {
	const entries = handedInProcess.get(trigger);
	for (const digest of digests) entries?.delete(digest);
}
