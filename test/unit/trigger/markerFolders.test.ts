import {
	CurrentListingBuilder,
	planMarkerFolders,
	type MarkerState,
	type PlanOptions,
} from '../../../lib/trigger/markerFolders';

const NOW = Date.parse('2024-01-03T00:00:00Z');
const OPTIONS: PlanOptions = {
	bucket: 'b',
	baseFolder: 'px',
	now: NOW,
	leaseMs: 60 * 60_000,
	maxFolders: 10,
};

/** A listing of px/current/ from object keys (relative to it), as S3 would list them. */
function listing(keys: string[]) {
	const builder = new CurrentListingBuilder('px/current/', '_SUCCESS', ['*.csv.gz', '*.csv']);
	for (const key of keys)
		builder.add({
			key: `px/current/${key}`,
			size: key.endsWith('_SUCCESS') ? 0 : 100,
			etag: `etag-${key}`,
			lastModified: new Date('2024-01-02T00:00:00Z'),
		});
	return builder.build();
}

/** The plan in short: folder names per list, and each ready folder's error, if any. */
function plan(keys: string[], previous?: MarkerState, options: Partial<PlanOptions> = {}) {
	const p = planMarkerFolders(listing(keys), previous, { ...OPTIONS, ...options });
	const name = (folder: string) => folder.replace('px/current/', '').replace(/\/$/, '');
	return {
		ready: p.ready.map((r) => name(r.listing.folder)),
		leased: p.leased.map(name),
		waiting: p.waiting.map(name),
		unrecognised: p.unrecognised.map((u) => name(u.folder)),
		errors: Object.fromEntries(
			p.ready.filter((r) => r.batch.error).map((r) => [name(r.listing.folder), r.batch.error]),
		),
		leases: Object.fromEntries(
			Object.entries(p.state.leases).map(([folder, lease]) => [name(folder), lease.attempt]),
		),
	};
}

const lease = (folder: string, until: number, attempt = 1): MarkerState => ({
	leases: { [`px/current/${folder}/`]: { until, attempt } },
});

describe('planMarkerFolders: a folder is ready when it holds the marker; ready folders go oldest first, one run at a time', () => {
	it.each<
		[
			string,
			string[],
			MarkerState | undefined,
			Partial<PlanOptions>,
			Partial<ReturnType<typeof plan>>,
		]
	>([
		[
			'a folder with the marker is ready; one without is left waiting',
			['dt=20240101/a.csv.gz', 'dt=20240101/_SUCCESS', 'dt=20240102/a.csv.gz'],
			undefined,
			{},
			{ ready: ['dt=20240101'], waiting: ['dt=20240102'], leases: { 'dt=20240101': 1 } },
		],
		[
			'ready folders go oldest date first, whatever order S3 lists them in',
			['dt=20240102/a.csv', 'dt=20240102/_SUCCESS', 'dt=20231231/a.csv', 'dt=20231231/_SUCCESS'],
			undefined,
			{},
			{ ready: ['dt=20231231', 'dt=20240102'], leases: { 'dt=20231231': 1, 'dt=20240102': 1 } },
		],
		[
			'at most Max Folders per run; the rest are not leased and wait for the next run',
			['dt=20240101/a.csv', 'dt=20240101/_SUCCESS', 'dt=20240102/a.csv', 'dt=20240102/_SUCCESS'],
			undefined,
			{ maxFolders: 1 },
			{ ready: ['dt=20240101'], leases: { 'dt=20240101': 1 } },
		],
		[
			'a folder leased to a run that may still be going is not handed on again',
			['dt=20240101/a.csv', 'dt=20240101/_SUCCESS'],
			lease('dt=20240101', NOW + 1),
			{},
			{ ready: [], leased: ['dt=20240101'], leases: { 'dt=20240101': 1 } },
		],
		[
			'a folder still there when its lease has run out is handed on again, as the next attempt',
			['dt=20240101/a.csv', 'dt=20240101/_SUCCESS'],
			lease('dt=20240101', NOW, 2),
			{},
			{ ready: ['dt=20240101'], leased: [], leases: { 'dt=20240101': 3 } },
		],
		[
			'the lease of a folder that is gone (moved to processed/) is forgotten',
			['dt=20240102/a.csv', 'dt=20240102/_SUCCESS'],
			lease('dt=20240101', NOW + 1),
			{},
			{ ready: ['dt=20240102'], leases: { 'dt=20240102': 1 } },
		],
		[
			'a folder not named dt=… is reported, not processed',
			['incoming/a.csv', 'incoming/_SUCCESS'],
			undefined,
			{},
			{ ready: [], unrecognised: ['incoming'], leases: {} },
		],
		[
			'a dt= folder whose date does not exist is handed on with its error, to be closed with ERROR',
			['dt=20210230/a.csv', 'dt=20210230/_SUCCESS'],
			undefined,
			{},
			{
				ready: ['dt=20210230'],
				leases: { 'dt=20210230': 1 },
				errors: {
					'dt=20210230':
						"the folder name 'dt=20210230' is not a valid date (2021-02-30 does not exist); rename the folder to a real date",
				},
			},
		],
		[
			'a marker with no data file next to it is handed on with its error',
			['dt=20240101/_SUCCESS', 'dt=20240101/notes.txt'],
			undefined,
			{},
			{
				ready: ['dt=20240101'],
				leases: { 'dt=20240101': 1 },
				errors: {
					'dt=20240101':
						'no data files next to the marker in px/current/dt=20240101/; upload the data files before the marker',
				},
			},
		],
		[
			'a marker in a sub-folder does not make the folder ready',
			['dt=20240101/a.csv', 'dt=20240101/more/_SUCCESS'],
			undefined,
			{},
			{ ready: [], waiting: ['dt=20240101'] },
		],
	])('%s', (_case, keys, previous, options, expected) => {
		expect(plan(keys, previous, options)).toEqual({
			ready: [],
			leased: [],
			waiting: [],
			unrecognised: [],
			errors: {},
			leases: {},
			...expected,
		});
	});

	it('a ready folder becomes a batch: its processed folder, its data files in name order with their ETags, its marker', () => {
		const { ready } = planMarkerFolders(
			listing([
				'dt=20240101/b.csv.gz',
				'dt=20240101/A.CSV.GZ',
				'dt=20240101/_SUCCESS',
				'dt=20240101/x/c.csv',
			]),
			undefined,
			OPTIONS,
		);
		expect(ready[0].batch).toEqual({
			bucket: 'b',
			baseFolder: 'px',
			folder: 'px/current/dt=20240101/',
			folderName: 'dt=20240101',
			date: '20240101',
			processedFolder: 'px/processed/20240101/',
			markerKey: 'px/current/dt=20240101/_SUCCESS',
			markerLastModified: '2024-01-02T00:00:00.000Z',
			dataFiles: ['px/current/dt=20240101/A.CSV.GZ', 'px/current/dt=20240101/b.csv.gz'],
			dataFileEtags: {
				'px/current/dt=20240101/A.CSV.GZ': 'etag-dt=20240101/A.CSV.GZ',
				'px/current/dt=20240101/b.csv.gz': 'etag-dt=20240101/b.csv.gz',
			},
			attempt: 1,
		});
	});
});

describe('CurrentListingBuilder: only objects directly in a folder are its data files or marker; objects directly under current/ are strays', () => {
	it.each<[string, string[], { folders: string[]; dataFiles: string[]; strays: string[] }]>([
		[
			'data files match the patterns, case-insensitively; other files are not data',
			['dt=20240101/a.CSV', 'dt=20240101/notes.txt', 'dt=20240101/_SUCCESS'],
			{ folders: ['dt=20240101'], dataFiles: ['dt=20240101/a.CSV'], strays: [] },
		],
		[
			'a file directly under current/ is a stray, never guessed into a folder',
			['a.csv', 'dt=20240101/a.csv'],
			{ folders: ['dt=20240101'], dataFiles: ['dt=20240101/a.csv'], strays: ['px/current/a.csv'] },
		],
		[
			'files deeper than a folder are left for the move to carry along',
			['dt=20240101/sub/a.csv'],
			{ folders: ['dt=20240101'], dataFiles: [], strays: [] },
		],
	])('%s', (_case, keys, expected) => {
		const built = listing(keys);
		expect({
			folders: built.folders.map((f) => f.folderName),
			dataFiles: built.folders.flatMap((f) =>
				f.dataFiles.map((d) => d.key.replace('px/current/', '')),
			),
			strays: built.strays,
		}).toEqual(expected);
	});
});
