/** New Files mode's decisions as tables (lib/trigger/newFiles.ts, no I/O). */
import type { S3ObjectInfo } from '../../../lib/s3/store';
import {
	decodeRecent,
	encodeRecent,
	newFileFilter,
	NewFilesPlanner,
	planEventObjects,
	RECENT_LIMIT,
	versionDigest,
	type NewFilesScope,
	type NewFilesState,
} from '../../../lib/trigger/newFiles';

const T0 = Date.parse('2024-05-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);
const object = (key: string, s: number, etag = `e-${key}`): S3ObjectInfo => ({
	key,
	etag,
	size: 1,
	lastModified: at(s),
});
const scope: NewFilesScope = { bucket: 'b', prefix: 'in/', startFrom: 'all' };

function plan(
	objects: S3ObjectInfo[],
	state: NewFilesState | undefined,
	maxFiles = 10,
	s: NewFilesScope = scope,
) {
	const planner = new NewFilesPlanner(s, state);
	for (const o of objects) planner.add(o);
	return planner.build(maxFiles);
}

describe('New Files: what is handed on (decision table)', () => {
	it('hands on every file once, oldest first (the same second in key order), then nothing', () => {
		const listing = [object('in/c', 30), object('in/a', 10), object('in/b', 30), object('in/z', 5)];
		const first = plan(listing, undefined);
		expect(first.hand.map((o) => o.key)).toEqual(['in/z', 'in/a', 'in/b', 'in/c']);
		expect(plan(listing, first.state).hand).toEqual([]);
	});

	it('beyond Max Files per Run the rest waits, and comes next, oldest first', () => {
		const listing = Array.from({ length: 7 }, (_, i) => object(`in/f${i}`, 100 - i));
		const first = plan(listing, undefined, 3);
		expect(first.hand.map((o) => o.key)).toEqual(['in/f6', 'in/f5', 'in/f4']);
		expect(first.waiting).toBe(4);
		const second = plan(listing, first.state, 3);
		expect(second.hand.map((o) => o.key)).toEqual(['in/f3', 'in/f2', 'in/f1']);
		const third = plan(listing, second.state, 3);
		expect(third.hand.map((o) => o.key)).toEqual(['in/f0']);
		expect(third.waiting).toBe(0);
	});

	it('an overwrite with new bytes (new ETag) is handed on again; the same bytes written again are not', () => {
		const first = plan([object('in/a', 10, 'v1')], undefined);
		expect(plan([object('in/a', 20, 'v2')], first.state).hand.map((o) => o.etag)).toEqual(['v2']);
		// Same ETag, later LastModified: LastModified alone does not make a change.
		expect(plan([object('in/a', 20, 'v1')], first.state).hand).toEqual([]);
	});

	it('start points: all files, only new ones (the first poll takes the start), modified since a date', () => {
		const there = [object('in/old1', 10), object('in/old2', 20)];
		expect(plan(there, undefined).hand).toHaveLength(2);

		const fresh = plan(there, undefined, 10, { ...scope, startFrom: 'new' });
		expect(fresh).toMatchObject({ hand: [], baseline: true });
		const later = plan(
			[...there, object('in/new', 30), object('in/late-but-old-date', 15)],
			fresh.state,
			10,
			{ ...scope, startFrom: 'new' },
		);
		// A file that appears after the start is new even with an older LastModified (within the window).
		expect(later.hand.map((o) => o.key)).toEqual(['in/late-but-old-date', 'in/new']);

		const since = { ...scope, startFrom: 'modifiedSince' as const, since: at(15).getTime() };
		expect(plan(there, undefined, 10, since).hand.map((o) => o.key)).toEqual(['in/old2']);
	});

	it('another folder or start point starts afresh; another pattern does not', () => {
		const listing = [object('in/a', 10)];
		const first = plan(listing, undefined);
		expect(plan(listing, first.state, 10, { ...scope, prefix: 'other/' }).hand).toHaveLength(1);
		expect(plan(listing, first.state, 10, { ...scope }).hand).toHaveLength(0);
	});

	it('a late upload (a LastModified older than files handed since) is handed on within the 24-hour window, not after it', () => {
		const first = plan([object('in/a', 0), object('in/b', 3600)], undefined);
		const late = plan(
			[object('in/a', 0), object('in/b', 3600), object('in/multipart', 60)],
			first.state,
		);
		expect(late.hand.map((o) => o.key)).toEqual(['in/multipart']);
		// A day and more later the floor has passed it: a listing no longer looks below it.
		const dayLater = plan([object('in/c', 3600 + 25 * 3600)], late.state);
		expect(dayLater.state.floor).toBe(Math.floor(T0 / 1000) + 3600 + 3600);
		const tooLate = plan(
			[object('in/c', 3600 + 25 * 3600), object('in/slow', 1800)],
			dayLater.state,
		);
		expect(tooLate.hand).toEqual([]);
	});

	it('the floor never passes a file still waiting its turn', () => {
		// Two files a week apart, one per run: the older one's week-old date must not be skipped.
		const listing = [object('in/new', 7 * 86400), object('in/old', 0), object('in/older', -10)];
		const first = plan(listing, undefined, 1);
		expect(first.hand.map((o) => o.key)).toEqual(['in/older']);
		expect(plan(listing, first.state, 1).hand.map((o) => o.key)).toEqual(['in/old']);
	});

	it('files named by events are handed on once, whatever their LastModified; a duplicate event or a later listing does not hand them again', () => {
		const first = plan([object('in/a', 10)], undefined);
		const now = Math.floor(T0 / 1000) + 100;
		const events = planEventObjects(
			scope,
			first.state,
			[object('in/a', 10), object('in/b', 50), object('in/b', 50)],
			now,
		);
		expect(events.hand.map((o) => o.key)).toEqual(['in/b']);
		const duplicate = planEventObjects(scope, events.state, [object('in/b', 50)], now + 5);
		expect(duplicate.hand).toEqual([]);
		expect(plan([object('in/a', 10), object('in/b', 50)], events.state).hand).toEqual([]);
	});

	it('state stays bounded with 100,000 objects under the folder', () => {
		// 100,000 objects uploaded within a day: a backlog drained 25,000 per run, then steady state.
		// (What a plan costs per poll is measured by the bench, not here: tests are not timed.)
		const listing = Array.from({ length: 100_000 }, (_, i) =>
			object(`in/part-${String(i).padStart(6, '0')}.csv`, Math.floor(i / 2)),
		);
		let state: NewFilesState | undefined;
		let handed = 0;
		for (let run = 0; run < 4; run++) {
			const p = plan(listing, state, 25_000);
			handed += p.hand.length;
			state = p.state;
			expect(decodeRecent(state.recent).size).toBeLessThanOrEqual(RECENT_LIMIT + 2);
		}
		expect(handed).toBe(100_000);
		expect(plan(listing, state, 25_000).hand).toEqual([]);
		const bytes = JSON.stringify(state).length;
		// ~10,000 digests of 11 characters, grouped by second: ~145 KB, whatever the folder holds.
		expect(bytes).toBeLessThan(160_000);
		// One new file among the 100,000 is found.
		const next = plan([...listing, object('in/new.csv', 50_000)], state, 1000);
		expect(next.hand.map((o) => o.key)).toEqual(['in/new.csv']);
	}, 60_000);

	it('encodes the recent set compactly and back', () => {
		const recent = new Map([
			[versionDigest('a', '1'), 100],
			[versionDigest('b', '2'), 100],
			[versionDigest('c', '3'), 5],
		]);
		const text = encodeRecent(recent);
		expect(text).toMatch(/^5:[\w-]{11},2s:[\w-]{22}$/);
		expect(decodeRecent(text)).toEqual(recent);
	});

	it('file pattern and sub-folders', () => {
		const flat = newFileFilter('in/', ['*.csv', ' *.csv.gz'], false);
		expect(
			[
				'in/a.csv',
				'in/B.CSV',
				'in/a.csv.gz',
				'in/a.txt',
				'in/sub/a.csv',
				'out/a.csv',
				'in/',
			].filter(flat),
		).toEqual(['in/a.csv', 'in/B.CSV', 'in/a.csv.gz']);
		const deep = newFileFilter('in/', ['*'], true);
		expect(['in/a.pdf', 'in/sub/x/a.csv', 'in/sub/'].filter(deep)).toEqual([
			'in/a.pdf',
			'in/sub/x/a.csv',
		]);
		const byPath = newFileFilter('', ['2024-*/*.csv'], true);
		expect(['2024-01/a.csv', '2023-12/a.csv', 'a.csv'].filter(byPath)).toEqual(['2024-01/a.csv']);
	});
});

describe('New Files when imported files leave the folder: leases (decision table)', () => {
	const S = Math.floor(T0 / 1000);
	const LEASE = 3600;
	/** A poll at `s` seconds after T0, with leases of an hour. */
	function leasePlan(
		objects: S3ObjectInfo[],
		state: NewFilesState | undefined,
		s: number,
		maxFiles = 10,
		spec: NewFilesScope = scope,
	) {
		const planner = new NewFilesPlanner(spec, state, { leaseS: LEASE, now: S + s });
		for (const o of objects) planner.add(o);
		return planner.build(maxFiles);
	}
	const keys = (p: { hand: S3ObjectInfo[] }) => p.hand.map((o) => o.key);

	it('a file still there after its lease is handed on again (its import failed); not before; a file gone is forgotten', () => {
		const listing = [object('in/a', 10), object('in/b', 20)];
		const first = leasePlan(listing, undefined, 100);
		expect(keys(first)).toEqual(['in/a', 'in/b']);
		expect(first.state.leases).toBe(true);
		// b was imported and moved away; a failed and is still there.
		expect(keys(leasePlan([object('in/a', 10)], first.state, 100 + LEASE - 1))).toEqual([]);
		const again = leasePlan([object('in/a', 10)], first.state, 100 + LEASE);
		expect(keys(again)).toEqual(['in/a']);
		// Only a's new lease is remembered: b's ended, and b left the folder.
		expect([...decodeRecent(again.state.recent).values()]).toEqual([S + 100 + 2 * LEASE]);
	});

	it('the floor stays put: a file waiting for days is still handed on, and so is one that failed a week ago', () => {
		const listing = [object('in/old', 0), object('in/new', 7 * 86400)];
		const first = leasePlan(listing, undefined, 7 * 86400 + 10, 1);
		expect(keys(first)).toEqual(['in/old']);
		expect(first.state.floor).toBe(0);
		const second = leasePlan(listing, first.state, 7 * 86400 + 20, 1);
		expect(keys(second)).toEqual(['in/new']);
		// A week later both are still there (the destination was down all along): both again.
		expect(keys(leasePlan(listing, second.state, 14 * 86400))).toEqual(['in/old', 'in/new']);
	});

	it('a file written over while its lease runs is handed on at once, in its new version', () => {
		const first = leasePlan([object('in/a', 10, 'v1')], undefined, 100);
		const over = leasePlan([object('in/a', 200, 'v2')], first.state, 300);
		expect(over.hand.map((o) => o.etag)).toEqual(['v2']);
	});

	it('at most 10,000 leases run at once: beyond that, files wait until leased files leave the folder or their leases end', () => {
		const listing = Array.from({ length: RECENT_LIMIT + 5 }, (_, i) =>
			object(`in/f${String(i).padStart(5, '0')}`, i),
		);
		const first = leasePlan(listing, undefined, 100_000, RECENT_LIMIT + 5);
		expect(first.hand).toHaveLength(RECENT_LIMIT);
		expect(first.waiting).toBe(5);
		// The first 10 were imported and left; 10 leases are free again.
		const second = leasePlan(listing.slice(10), first.state, 100_010, 100);
		expect(keys(second)).toEqual(listing.slice(RECENT_LIMIT).map((o) => o.key));
	});

	it('only new files: what the start found is left alone for good while it is there; what comes later gets leases', () => {
		const spec = { ...scope, startFrom: 'new' as const };
		const there = [object('in/old', 10)];
		const start = leasePlan(there, undefined, 100, 10, spec);
		expect(start).toMatchObject({ hand: [], baseline: true });
		const later = [...there, object('in/new', 200)];
		const next = leasePlan(later, start.state, 300, 10, spec);
		expect(keys(next)).toEqual(['in/new']);
		// Days later: the old file is still left alone; the new one (still there) comes again.
		expect(keys(leasePlan(later, next.state, 300 + 5 * 86400, 10, spec))).toEqual(['in/new']);
		// The old file removed by hand: it is forgotten.
		const gone = leasePlan([object('in/new', 200)], next.state, 400, 10, spec);
		expect(decodeRecent(gone.state.recent).size).toBe(1);
	});

	it('turning leases on keeps the files handed on before as done; turning them off counts leased files as handed on', () => {
		const listing = [object('in/a', 10), object('in/b', 20)];
		const without = plan(listing, undefined);
		expect(keys(leasePlan(listing, without.state, 10 * LEASE))).toEqual([]);
		const leased = leasePlan([...listing, object('in/c', 30)], without.state, 100);
		expect(keys(leased)).toEqual(['in/c']);
		expect(plan([...listing, object('in/c', 30)], leased.state).hand).toEqual([]);
	});

	it('events: an object is handed on unless its lease runs; after the lease, again', () => {
		const now = S + 1000;
		const events = planEventObjects(scope, undefined, [object('in/a', 10)], now, new Map(), LEASE);
		expect(keys(events)).toEqual(['in/a']);
		expect(events.state.leases).toBe(true);
		expect(
			keys(planEventObjects(scope, events.state, [object('in/a', 10)], now + 5, new Map(), LEASE)),
		).toEqual([]);
		// A listing within the lease does not hand it either; one after it does.
		expect(keys(leasePlan([object('in/a', 10)], events.state, 1000 + LEASE - 1))).toEqual([]);
		expect(keys(leasePlan([object('in/a', 10)], events.state, 1000 + LEASE))).toEqual(['in/a']);
	});

	it('state stays bounded with 100,000 objects waiting under the folder (a destination down for a day)', () => {
		const listing = Array.from({ length: 100_000 }, (_, i) =>
			object(`in/part-${String(i).padStart(6, '0')}.csv`, Math.floor(i / 2)),
		);
		let state: NewFilesState | undefined;
		let handed = 0;
		// Polls a minute apart; nothing leaves the folder (every import fails).
		for (let poll = 0; poll < 3; poll++) {
			const p = leasePlan(listing, state, 100_000 + poll * 60, 10_000);
			handed += p.hand.length;
			state = p.state;
			expect(decodeRecent(state.recent).size).toBeLessThanOrEqual(RECENT_LIMIT);
		}
		// 10,000 leases run: nothing more is handed on until they end.
		expect(handed).toBe(RECENT_LIMIT);
		expect(JSON.stringify(state).length).toBeLessThan(160_000);
		// After the lease, the next 10,000 (oldest first, the first ones again).
		const after = leasePlan(listing, state, 100_000 + LEASE + 600, 10_000);
		expect(after.hand).toHaveLength(RECENT_LIMIT);
		expect(after.hand[0].key).toBe('in/part-000000.csv');
	}, 60_000);

	it('status files written next to files never count, whatever the pattern', () => {
		const all = newFileFilter('in/', ['*'], true);
		expect(['in/a.csv', 'in/a.csv.status.txt', 'in/status.txt'].filter(all)).toEqual([
			'in/a.csv',
			'in/status.txt',
		]);
	});
});
