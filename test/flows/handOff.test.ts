/**
 * Files, not rows: the trigger hands on one small item per data file and never reads one; the
 * Field Mapper reads each file inside the execution, from S3 (the exact listed version) or from
 * binary data of any node, and emits only mapped rows. Real engine, moto behind the fault proxy
 * (which records every request, so the test can see what the poll asked S3 for).
 */
import { Readable } from 'node:stream';

import type { IDataObject } from 'n8n-workflow';

import { importOf, isFileToRead } from '../../lib/importMetadata';
import { FieldMapping } from '../../lib/mapping/fields';
import { mapCsvFile } from '../../lib/mapping/mapFile';
import { mapStrict } from '../../lib/mapping/mapRows';
import {
	buildWorkflow,
	connect,
	execute,
	node,
	outputOf,
	poll,
	runError,
	TYPES,
} from '../helpers/engine';
import { startFaultProxy, type FaultProxy } from '../helpers/faultProxy';
import { gzip, motoEndpoint, newBucket, testSettings } from '../helpers/s3';

let proxy: FaultProxy;
beforeEach(async () => {
	proxy = await startFaultProxy(motoEndpoint());
});
afterEach(async () => await proxy.close());

const credentials = () => ({ s3InboundAwsApi: testSettings({ endpoint: proxy.endpoint }) });
const HEADER = 'id,score';
const rows = (n: number, from = 1) =>
	Array.from({ length: n }, (_, i) => `${from + i},${i}`).join('\n');
const STRICT = {
	mode: 'strict',
	fields: { field: [{ target: 'id' }, { target: 'score', type: 'number' }] },
};

async function seedFolder(files: Record<string, string | Buffer>) {
	const { bucket, store } = await newBucket('handoff');
	for (const [name, body] of Object.entries(files))
		await store.write(`px/current/dt=20240101/${name}`, body);
	await store.write('px/current/dt=20240101/_SUCCESS', '');
	return { bucket, store };
}

function markerFlow(bucket: string, mapper: object = STRICT) {
	return buildWorkflow({
		nodes: [
			node('Trigger', TYPES.trigger, {
				mode: 'markerFolders',
				bucketPath: bucket,
				baseFolder: 'px',
			}),
			node('Field Mapper', TYPES.fieldMapper, mapper),
			node('Destination', TYPES.destination, { replaceJson: false }),
		],
		connections: connect(['Trigger', 'Field Mapper'], ['Field Mapper', 'Destination']),
	});
}

describe('the trigger hands on files, not rows', () => {
	it('a poll lists and claims, and emits one small item per data file without downloading any', async () => {
		const { bucket } = await seedFolder({
			'a.csv.gz': gzip(`${HEADER}\n${rows(50_000)}\n`),
			'b.csv': `${HEADER}\n${rows(3)}\n`,
			'c.csv': `${HEADER}\n${rows(2)}\n`,
		});
		const workflow = markerFlow(bucket);
		const data = await poll(workflow, 'Trigger', credentials());
		const metas = data![0].map((i) => importOf(i.json)!);
		expect(metas.map((m) => m.file.key.split('/').pop())).toEqual(['a.csv.gz', 'b.csv', 'c.csv']);
		expect(metas.every(isFileToRead)).toBe(true);
		expect(metas[0].file.csv).toEqual({
			delimiter: ',',
			encoding: 'utf-8',
			rowLimit: 1_000_000,
			allowBareQuotes: false,
		});
		// What the poll asked S3 for: listings and the batch journal's lookup, never a data file.
		expect(proxy.log.filter((r) => /\.csv/.test(r))).toEqual([]);
		// The execution's start payload is O(files), stored the way n8n stores it (flatted, which
		// keeps the batch object that the file items share once): under a kilobyte per file here.
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const { stringify } = require('flatted') as { stringify: (value: unknown) => string };
		expect(stringify(data).length).toBeLessThan(3 * 1024);

		const run = await execute(workflow, 'Trigger', data!, credentials());
		expect(runError(run)).toBeUndefined();
		expect(outputOf(run, 'Destination')).toHaveLength(50_005);
		expect(proxy.log.filter((r) => r.startsWith('GET') && /\.csv/.test(r))).toHaveLength(3);
	});

	it('the file is read only in the version listed (If-Match on its ETag): a file overwritten after the poll is not mixed in', async () => {
		const { bucket, store } = await seedFolder({ 'a.csv': `${HEADER}\n${rows(2)}\n` });
		const workflow = markerFlow(bucket);
		const data = await poll(workflow, 'Trigger', credentials());
		await store.write('px/current/dt=20240101/a.csv', `${HEADER}\n${rows(5, 100)}\n`);
		const run = await execute(workflow, 'Trigger', data!, credentials());
		expect(runError(run)).toMatch(/a\.csv changed while it was being processed/);
		expect(outputOf(run, 'Destination')).toEqual([]);
	});
});

describe('a Field Mapper set to read rows', () => {
	it('says what to change when it is given the trigger’s files (a version 1 node, made before files were handed on)', async () => {
		const { bucket } = await seedFolder({ 'a.csv': `${HEADER}\n${rows(2)}\n` });
		const workflow = buildWorkflow({
			nodes: [
				node('Trigger', TYPES.trigger, {
					mode: 'markerFolders',
					bucketPath: bucket,
					baseFolder: 'px',
				}),
				node('Field Mapper', TYPES.fieldMapper, STRICT, { typeVersion: 1 }),
			],
			connections: connect(['Trigger', 'Field Mapper']),
		});
		const run = await execute(
			workflow,
			'Trigger',
			(await poll(workflow, 'Trigger', credentials()))!,
			credentials(),
		);
		expect(runError(run)).toMatch(
			/Item 1 is a file from the S3 CSV Inbound Trigger, not a row \(Set Input to “Files From the S3 CSV Inbound Trigger”/,
		);
	});
});

describe('strict mode decides per file by its identity, never by object identity', () => {
	it('rows copied and interleaved on the way (a Code node, queue mode): a file with one bad value among 20 delivers none of its rows', async () => {
		const bad = rows(20).split('\n');
		bad[13] = '14,not-a-number';
		const { bucket } = await seedFolder({
			'bad.csv': `${HEADER}\n${bad.join('\n')}\n`,
			'good.csv': `${HEADER}\n${rows(20, 100)}\n`,
		});
		const workflow = buildWorkflow({
			nodes: [
				node('Trigger', TYPES.trigger, {
					mode: 'markerFolders',
					bucketPath: bucket,
					baseFolder: 'px',
				}),
				node('Read', TYPES.fieldMapper, { mode: 'lenient', options: { keepUnmapped: true } }),
				node('Copy', TYPES.copy, {}),
				node('Field Mapper', TYPES.fieldMapper, { ...STRICT, input: 'rows' }),
				node('Destination', TYPES.destination, { replaceJson: false }),
			],
			connections: connect(
				['Trigger', 'Read'],
				['Read', 'Copy'],
				['Copy', 'Field Mapper'],
				['Field Mapper', 'Destination'],
			),
		});
		const run = await execute(
			workflow,
			'Trigger',
			(await poll(workflow, 'Trigger', credentials()))!,
			credentials(),
		);
		expect(runError(run)).toBeUndefined();
		const delivered = outputOf(run, 'Destination').map((i) => Number(i.json.id));
		expect(delivered.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => 100 + i));
		const rejected = outputOf(run, 'Field Mapper', 1);
		expect(rejected).toHaveLength(1);
		expect(rejected[0].json.key).toBe('px/current/dt=20240101/bad.csv');
		expect(rejected[0].json.reasons).toEqual([
			"Row 14, column 'score': 'not-a-number' is not a number (expected number: digits with an optional '.' decimal point, no thousands separators)",
		]);
	});

	it('mapStrict on cloned rows of two files, interleaved', () => {
		const mapping = new FieldMapping(
			[
				{ target: 'id', type: 'string' },
				{ target: 'score', type: 'number' },
			],
			{
				mode: 'strict',
				dateFormat: 'yyyy-MM-dd',
				strictMaxRows: 10,
				requiredColumns: ['id'],
				maxReasons: 5,
			},
		);
		const file = (key: string) => ({
			bucket: 'b',
			key,
			etag: 'e',
			size: 1,
			rows: 2,
			header: ['id', 'score'],
		});
		const items = [
			{ id: '1', score: '1', _import: { file: file('a'), row: 1 } },
			{ id: '2', score: 'x', _import: { file: file('b'), row: 1 } },
			{ id: '3', score: '3', _import: { file: file('a'), row: 2 } },
			{ id: '4', score: '4', _import: { file: file('b'), row: 2 } },
		].map((i) => structuredClone(i));
		const result = mapStrict(items, mapping);
		expect(result.valid.map((v) => v.json.id)).toEqual(['1', '3']);
		expect(result.rejected.map((r) => r.json.key)).toEqual(['b']);
	});
});

describe('the Field Mapper reads CSV files as binary data from any node', () => {
	function binaryFlow(
		files: Array<{ name: string; text: string; gzip?: boolean }>,
		mapper: object,
	) {
		return buildWorkflow({
			nodes: [
				node('Start', TYPES.destination, { replaceJson: false }),
				node('Files', TYPES.binarySource, { files: JSON.stringify(files) }),
				node('Field Mapper', TYPES.fieldMapper, { input: 'binary', ...mapper }),
			],
			connections: connect(['Start', 'Files'], ['Files', 'Field Mapper']),
		});
	}
	const start = [[{ json: {} }]];

	it('typed, strict import of gzipped and plain files; a bad file is rejected whole with file, row and column', async () => {
		const workflow = binaryFlow(
			[
				{ name: 'users.csv.gz', text: `${HEADER}\n${rows(3)}\n`, gzip: true },
				{ name: 'more.csv', text: `${HEADER}\n7,1.5\n8,abc\n` },
			],
			STRICT,
		);
		const run = await execute(workflow, 'Start', start, {});
		expect(runError(run)).toBeUndefined();
		const valid = outputOf(run, 'Field Mapper', 0);
		expect(valid.map((i) => [i.json.id, i.json.score])).toEqual([
			['1', 0],
			['2', 1],
			['3', 2],
		]);
		expect(importOf(valid[0].json)).toMatchObject({
			file: { key: 'users.csv.gz', rows: 3 },
			row: 1,
		});
		const rejected = outputOf(run, 'Field Mapper', 1);
		expect(rejected.map((i) => [i.json.file, i.json.reasons])).toEqual([
			['more.csv', [expect.stringMatching(/^Row 2, column 'score': 'abc' is not a number/)]],
		]);
	});

	it('lenient with Keep Unmapped Columns: every column as text, no field needed', async () => {
		const workflow = binaryFlow([{ name: 'any.csv', text: 'a;b\n1;x\n' }], {
			mode: 'lenient',
			options: { keepUnmapped: true, delimiter: ';' },
		});
		const run = await execute(workflow, 'Start', start, {});
		expect(
			outputOf(run, 'Field Mapper', 0).map((i) => ({ ...i.json, _import: undefined })),
		).toEqual([{ a: '1', b: 'x', _import: undefined }]);
	});

	it('names the missing binary field', async () => {
		const workflow = binaryFlow([{ name: 'a.csv', text: 'id\n1\n' }], {
			...STRICT,
			binaryPropertyName: 'attachment_0',
		});
		const run = await execute(workflow, 'Start', start, {});
		expect(runError(run)).toMatch(/Item 1 has no binary field 'attachment_0'/);
	});
});

describe('mapCsvFile (the core, no n8n)', () => {
	const mapping = (mode: 'strict' | 'lenient', maxRows = 350_000) =>
		new FieldMapping(
			[
				{ target: 'id', type: 'string' },
				{ target: 'score', type: 'number' },
			],
			{
				mode,
				dateFormat: 'yyyy-MM-dd',
				strictMaxRows: maxRows,
				requiredColumns: mode === 'strict' ? ['id'] : [],
				maxReasons: 2,
			},
		);
	const file = { bucket: '', key: 'f.csv', etag: '', size: 0 };
	const csv = { delimiter: ',', encoding: 'utf-8' as const, rowLimit: 1_000_000 };
	const open = (text: string) => async () => Readable.from([Buffer.from(text)]);

	it('strict: counts the rows past the limit without keeping them, and keeps only the first reasons', async () => {
		const tooMany = await mapCsvFile(open(`${HEADER}\n${rows(14)}\n`), file, {
			mapping: mapping('strict', 10),
			keepUnmapped: false,
			csv,
		});
		expect(tooMany.valid).toEqual([]);
		expect(tooMany.rejected[0]).toMatchObject({
			rows: 14,
			reasons: ['Too many rows: the file has 14 rows; at most 10 are allowed per file'],
		});
		const bad = await mapCsvFile(open(`${HEADER}\n1,a\n2,b\n3,3\n4,c\n5,d\n`), file, {
			mapping: mapping('strict', 10),
			keepUnmapped: false,
			csv,
		});
		expect(bad.valid).toEqual([]);
		expect(bad.rejected[0]).toMatchObject({
			rows: 5,
			reasonCount: 4,
			reasons: [
				expect.stringMatching(/^Row 1, column 'score': 'a'/),
				expect.stringMatching(/^Row 2, column 'score': 'b'/),
				'... and 2 more',
			],
		});
	});

	it('lenient: a bad row is rejected alone; an unreadable file gives no row at all', async () => {
		const ok = await mapCsvFile(open(`${HEADER}\n1,2\n2,x\n`), file, {
			mapping: mapping('lenient'),
			keepUnmapped: false,
			csv,
		});
		expect(ok.valid.map((v) => v.id)).toEqual(['1']);
		expect(ok.rejected.map((r) => r.row)).toEqual([2]);
		const ragged = await mapCsvFile(open(`${HEADER}\n1,2\n2,3,4\n`), file, {
			mapping: mapping('lenient'),
			keepUnmapped: false,
			csv,
		});
		expect(ragged).toMatchObject({
			valid: [],
			unreadable:
				'line 3: the row has 3 fields but the header has 2; check for an unquoted delimiter or a missing field',
		});
	});

	it('retries a source that fails in passing, from the start of the file', async () => {
		const { S3InboundError } = await import('../../lib/s3/errors');
		let calls = 0;
		const flaky = async () => {
			calls++;
			if (calls === 1) {
				const cut = async function* () {
					yield Buffer.from(`${HEADER}\n1,1\n`);
					throw new S3InboundError('cut', 'retry', 'NetworkingError', 'b', 'k', true);
				};
				return Readable.from(cut());
			}
			return Readable.from([Buffer.from(`${HEADER}\n1,1\n2,2\n`)]);
		};
		const result = await mapCsvFile(
			flaky,
			file,
			{ mapping: mapping('lenient'), keepUnmapped: false, csv },
			{ attempts: 2, delayMs: 1 },
		);
		expect(calls).toBe(2);
		expect(result.valid.map((v) => v.id)).toEqual(['1', '2']);
	});
});

describe('state after a poll stays small', () => {
	it('the trigger state holds leases, not rows', async () => {
		const { bucket } = await seedFolder({ 'a.csv': `${HEADER}\n${rows(10_000)}\n` });
		const staticData: IDataObject = {};
		const workflow = buildWorkflow({
			nodes: [
				node('Trigger', TYPES.trigger, {
					mode: 'markerFolders',
					bucketPath: bucket,
					baseFolder: 'px',
				}),
			],
			connections: {},
			staticData,
		});
		await poll(workflow, 'Trigger', credentials());
		expect(JSON.stringify(staticData).length).toBeLessThan(1024);
	});
});
