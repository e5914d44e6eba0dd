/** What Finish Import does to a file after its import, as tables (lib/afterImport/plan.ts, no I/O). */
import {
	AfterImportError,
	datedFolder,
	fileCallback,
	importedFilesLeave,
	moveDestination,
	planAfterImport,
	statusFileKey,
	versionedKey,
	withoutTag,
	withTag,
} from '../../../lib/afterImport/plan';
import type { ImportFile } from '../../../lib/importMetadata';

const NOW = new Date('2024-05-01T23:30:00Z');
const newFile = (key: string, folder = 'incoming/', subFolders = false): ImportFile => ({
	bucket: 'b',
	key,
	etag: '9b2cf535f27731c974343645a3985328',
	size: 1,
	origin: { mode: 'newFiles', folder, ...(subFolders ? { subFolders: true } : {}) },
});

describe('Move To: where an imported file goes', () => {
	it.each<[string, ImportFile, string, string]>([
		[
			'a dated folder, in UTC',
			newFile('incoming/a.csv'),
			'processed/{yyyy}{MM}{dd}/',
			'processed/20240501/a.csv',
		],
		[
			'dashes, no trailing slash, a leading slash',
			newFile('incoming/a.csv'),
			'/archive/{yyyy}-{MM}-{dd}',
			'archive/2024-05-01/a.csv',
		],
		[
			'sub-folders below the watched folder are kept',
			newFile('incoming/2024/05/a.csv', 'incoming/', true),
			'done/',
			'done/2024/05/a.csv',
		],
		[
			'a single file (no watched folder): its name',
			{ bucket: 'b', key: 'staircase/accounts.csv', etag: 'e', size: 1 },
			'imported/{yyyy}/',
			'imported/2024/accounts.csv',
		],
		['the bucket root watched', newFile('a.csv', ''), 'done/', 'done/a.csv'],
		[
			'a sub-folder of the watched folder, sub-folders not listed',
			newFile('incoming/a.csv'),
			'incoming/done/',
			'incoming/done/a.csv',
		],
	])('%s', (_rule, file, template, expected) => {
		expect(moveDestination(file, template, NOW)).toBe(expected);
	});

	it.each<[string, ImportFile, string, RegExp]>([
		['no folder', newFile('incoming/a.csv'), '  ', /Move To is empty/],
		[
			'the folder the file is in',
			newFile('incoming/a.csv'),
			'incoming/',
			/is the folder incoming\/a\.csv is in/,
		],
		[
			'a folder the trigger lists again (sub-folders count)',
			newFile('incoming/a.csv', 'incoming/', true),
			'incoming/done/',
			/handed on again as new/,
		],
		[
			'the whole bucket watched with sub-folders',
			newFile('a.csv', '', true),
			'done/',
			/handed on again as new/,
		],
		['.. in the folder', newFile('incoming/a.csv'), 'done/../x/', /'\.' or '\.\.'/],
		['.. in the file’s path', newFile('incoming/../a.csv'), 'done/', /its name would leave/],
	])('refused: %s', (_rule, file, template, message) => {
		expect(() => moveDestination(file, template, NOW)).toThrow(AfterImportError);
		expect(() => moveDestination(file, template, NOW)).toThrow(message);
	});

	it('placeholders are the day of the move in UTC', () => {
		expect(datedFolder('p/{yyyy}/{MM}/{dd}', new Date('2024-12-31T23:59:59Z'))).toBe(
			'p/2024/12/31/',
		);
		expect(datedFolder('p/{dd}{MM}', new Date('2025-01-01T00:00:00Z'))).toBe('p/0101/');
	});

	it.each<[string, string]>([
		['done/users.csv.gz', 'done/users.9b2cf535.csv.gz'],
		['done/README', 'done/README.9b2cf535'],
		['done/.hidden', 'done/.hidden.9b2cf535'],
		['a.csv', 'a.9b2cf535.csv'],
	])('a destination already taken by another file: %s → %s', (key, expected) => {
		expect(versionedKey(key, '9b2cf535f27731c974343645a3985328')).toBe(expected);
	});

	it('status files sit next to the file', () => {
		expect(statusFileKey('processed/20240501/a.csv')).toBe('processed/20240501/a.csv.status.txt');
	});
});

describe('the action after import', () => {
	it.each([
		[{ action: 'keep' as const }, { action: 'keep' }],
		[{ action: 'delete' as const }, { action: 'delete' }],
		[
			{ action: 'move' as const, moveTo: 'done/' },
			{ action: 'move', to: 'done/a.csv' },
		],
		[
			{ action: 'tag' as const, tag: { key: ' imported ', value: '2024-05-01T10:00:00Z' } },
			{ action: 'tag', tag: { key: 'imported', value: '2024-05-01T10:00:00Z' } },
		],
	])('%j', (settings, expected) => {
		expect(planAfterImport(newFile('incoming/a.csv'), settings, NOW)).toEqual(expected);
	});

	it.each<[string, { key: string; value: string }, RegExp]>([
		['no key', { key: '', value: 'x' }, /Tag Key is empty/],
		['an aws: key', { key: 'aws:x', value: 'x' }, /AWS's own/],
		['a character S3 refuses', { key: 'imported', value: 'yes!' }, /letters, digits/],
		['a key over 128 characters', { key: 'k'.repeat(129), value: '' }, /at most 128/],
	])('a tag S3 would refuse: %s', (_rule, tag, message) => {
		expect(() => planAfterImport(newFile('incoming/a.csv'), { action: 'tag', tag }, NOW)).toThrow(
			message,
		);
	});

	it('the tag is added to the file’s own tags, or its value replaced; taken back alone', () => {
		const own = [{ key: 'owner', value: 'acme' }];
		const tag = { key: 'imported', value: 'true' };
		expect(withTag(own, tag)).toEqual([...own, tag]);
		expect(withTag([...own, tag], tag)).toBe('unchanged');
		expect(withTag([{ key: 'imported', value: 'no' }], tag)).toEqual([tag]);
		const ten = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: '' }));
		expect(() => withTag(ten, tag)).toThrow(/10 tags already/);
		expect(withoutTag([...own, tag], tag)).toEqual(own);
		expect(withoutTag(own, tag)).toBe('unchanged');
	});
});

describe('importedFilesLeave: the trigger leases New Files when a Finish Import after it moves or deletes them', () => {
	const finish = (parameters: object, extra: object = {}) => ({
		type: 'n8n-nodes-s3-inbound.pxStatusWriter',
		parameters,
		...extra,
	});
	it.each<[string, object[], boolean]>([
		['move', [finish({ afterImport: 'move' })], true],
		['delete', [finish({ operation: 'closeBatches', afterImport: 'delete' })], true],
		['keep (the default)', [finish({})], false],
		['tag', [finish({ afterImport: 'tag' })], false],
		['a disabled node', [finish({ afterImport: 'move' }, { disabled: true })], false],
		['Report File Outcome', [finish({ operation: 'reportFiles', afterImport: 'move' })], false],
		[
			'another node',
			[{ type: 'n8n-nodes-base.awsS3', parameters: { operation: 'delete' } }],
			false,
		],
		[
			'as loaded by n8n (CUSTOM.)',
			[{ type: 'CUSTOM.pxStatusWriter', parameters: { afterImport: 'move' } }],
			true,
		],
	])('%s', (_rule, nodes, expected) => {
		expect(importedFilesLeave(nodes as never)).toBe(expected);
	});
});

describe('the callback for a file', () => {
	it('has the marker folders’ body plus the file, and one idempotency key per outcome of a version', () => {
		const file = { key: 'incoming/a.csv', etag: 'e1' };
		const moved = fileCallback(
			'b',
			file,
			'processed/20240501/a.csv',
			true,
			'3 records were uploaded',
		);
		expect(moved.body).toEqual({
			folder_path: 'processed/20240501',
			file_path: 'processed/20240501/a.csv',
			success: true,
			message: '3 records were uploaded',
		});
		expect(moved.idempotencyKey).toMatch(/^[0-9a-f]{32}$/);
		expect(
			fileCallback('b', file, 'processed/20240501/a.csv', true, '3 records were uploaded')
				.idempotencyKey,
		).toBe(moved.idempotencyKey);
		const failed = fileCallback('b', file, 'incoming/a.csv', false, 'ERROR…');
		expect(failed.idempotencyKey).not.toBe(moved.idempotencyKey);
		expect(fileCallback('b', file, 'a.csv', true, 'x').body.folder_path).toBe('');
	});
});
