/**
 * Finish Import (the node type pxStatusWriter) on files outside marker folders, in n8n's real
 * engine against moto: New Files → Field Mapper → Destination (error output on) → Finish Import.
 * Polls run through n8n-core's poll machinery (test/helpers/published.ts), so the New Files lease
 * that retries a failed import is what n8n keeps. The decisions are tabled in
 * test/unit/afterImport/plan.test.ts, test/unit/px/outcome.test.ts (decideFile) and
 * test/unit/trigger/newFiles.test.ts (leases).
 */
import { GetObjectTaggingCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import type { IDataObject } from 'n8n-workflow';

import { importOf } from '../../lib/importMetadata';
import { s3ClientFor, settingsFromCredential } from '../../lib/s3/connection';
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
import { startReceiver, type Receiver } from '../helpers/http';
import { PublishedWorkflow } from '../helpers/published';
import { newBucket, testSettings } from '../helpers/s3';
import { received } from '../helpers/TestDestination.node';

const API_KEY = 'finish-import-callback-key-51c2';
const MINUTE = 60_000;
let receiver: Receiver;
const published: PublishedWorkflow[] = [];
const track = (p: PublishedWorkflow) => (published.push(p), p);
beforeEach(async () => {
	receiver = await startReceiver([200]);
	received.length = 0;
});
afterEach(async () => {
	published.splice(0).forEach((p) => p.dispose());
	await receiver.close();
});

const credentials = () => ({
	s3InboundAwsApi: testSettings(),
	importStatusCallbackApi: { url: receiver.url, apiKey: API_KEY },
});

/** The day folder a move made today goes to (the placeholders are UTC). */
const today = () => new Date().toISOString().slice(0, 10).replace(/-/g, '');

interface FlowOptions {
	finish?: IDataObject;
	destination?: IDataObject;
	trigger?: IDataObject;
	triggerOptions?: IDataObject;
	finishVersion?: number;
	/** Without the Field Mapper: files handed on whole to the destination (files that are not CSV). */
	whole?: boolean;
}

/** New Files → Field Mapper (lenient) → Destination (error output on) → Finish Import. */
function newFilesFlow(bucket: string, staticData: IDataObject, o: FlowOptions = {}) {
	const nodes = [
		node(
			'Trigger',
			TYPES.trigger,
			{
				mode: 'newFiles',
				bucket,
				folder: 'incoming',
				...o.trigger,
				options: { maxFilesPerRun: 10, ...o.triggerOptions },
			},
			{ typeVersion: 2 },
		),
		node('Destination', TYPES.destination, o.destination ?? {}, {
			onError: 'continueErrorOutput',
		}),
		node(
			'Finish Import',
			TYPES.statusWriter,
			{ afterImport: 'move', moveTo: 'processed/{yyyy}{MM}{dd}/', ...o.finish },
			{ typeVersion: o.finishVersion ?? 2 },
		),
	];
	if (o.whole)
		return buildWorkflow({
			nodes,
			connections: connect(
				['Trigger', 'Destination'],
				['Destination', 'Finish Import', 0, 0],
				['Destination', 'Finish Import', 1, 1],
			),
			staticData,
		});
	nodes.push(
		node('Field Mapper', TYPES.fieldMapper, { mode: 'lenient', options: { keepUnmapped: true } }),
	);
	return buildWorkflow({
		nodes,
		connections: connect(
			['Trigger', 'Field Mapper'],
			['Field Mapper', 'Destination', 0, 0],
			['Field Mapper', 'Finish Import', 1, 2],
			['Destination', 'Finish Import', 0, 0],
			['Destination', 'Finish Import', 1, 1],
		),
		staticData,
	});
}

async function keys(store: { listObjects(p: string): Promise<Array<{ key: string }>> }) {
	return (await store.listObjects('')).map((o) => o.key).sort();
}

const finished = (run: Parameters<typeof outputOf>[0]) =>
	outputOf(run, 'Finish Import').map((i) => i.json);

describe('Finish Import: the action after a successful import (New Files, in the engine, moto)', () => {
	it('move: every row delivered → the file moves to the dated folder (verified copy, then delete), with its status file and callback', async () => {
		const { bucket, store } = await newBucket('finish');
		await store.write('incoming/a.csv', 'id,v\n1,x\n2,y\n');
		await store.write('incoming/b.csv', 'id,v\n3,z\n');
		const workflow = newFilesFlow(bucket, {}, { finish: { statusFile: true, sendCallback: true } });
		const items = await poll(workflow, 'Trigger', credentials());
		// A Finish Import that moves files after the trigger: each file comes with its lease.
		expect(importOf(items![0][0].json)!.file.origin?.leaseUntil).toMatch(/^\d{4}-/);
		const run = await execute(workflow, 'Trigger', items!, credentials());
		expect(runError(run)).toBeUndefined();
		const day = today();
		expect(await keys(store)).toEqual([
			`processed/${day}/a.csv`,
			`processed/${day}/a.csv.status.txt`,
			`processed/${day}/b.csv`,
			`processed/${day}/b.csv.status.txt`,
		]);
		expect(await store.readText(`processed/${day}/a.csv`)).toBe('id,v\n1,x\n2,y\n');
		expect(await store.readText(`processed/${day}/a.csv.status.txt`)).toBe(
			'SUCCESS\n2 records were uploaded\n',
		);
		expect(finished(run)).toEqual([
			expect.objectContaining({
				key: 'incoming/a.csv',
				success: true,
				status: 'SUCCESS',
				action: 'moved',
				movedTo: `processed/${day}/a.csv`,
				statusFile: `processed/${day}/a.csv.status.txt`,
				counts: { rows: 2, uploaded: 2, failed: 0, rejectedRows: 0 },
				callback: expect.objectContaining({ delivered: true, attempts: 1 }),
			}),
			expect.objectContaining({ key: 'incoming/b.csv', action: 'moved' }),
		]);
		expect(receiver.requests.map((r) => JSON.parse(r.body))).toEqual([
			{
				folder_path: `processed/${day}`,
				file_path: `processed/${day}/a.csv`,
				success: true,
				message: '2 records were uploaded',
			},
			{
				folder_path: `processed/${day}`,
				file_path: `processed/${day}/b.csv`,
				success: true,
				message: '1 records were uploaded',
			},
		]);
		expect(receiver.requests[0].headers['x-api-key']).toBe(API_KEY);
		expect(receiver.requests[0].headers['idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
		expect(JSON.stringify(finished(run))).not.toContain(API_KEY);
	});

	it('the destination failing leaves the file where it was, loudly; after the lease the trigger hands it on again, and once the destination recovers it is moved once', async () => {
		const { bucket, store } = await newBucket('finish');
		await store.write('incoming/a.csv', 'id,v\n1,x\n2,y\n');
		await store.write('incoming/b.csv', 'id,v\n3,z\n');
		let destination: IDataObject = { failWhen: 'id', failValue: '2' };
		const n8n = track(
			new PublishedWorkflow(
				(sd) =>
					newFilesFlow(bucket, sd, {
						destination,
						finish: { statusFile: true },
						triggerOptions: { leaseMinutes: 30 },
					}),
				'Trigger',
				credentials(),
			),
		);
		const first = await n8n.pollAndRun();
		const error = runError(first!);
		expect(error).toMatch(
			/^1 file not imported, left where it is: s3:\/\/.*\/incoming\/a\.csv: Destination Errors:\[ a\.csv row 2: Destination refused row 1 \] 1 records were uploaded \(the trigger hands it on again at its first poll after \d{4}-.*\)/,
		);
		const day = today();
		// b went through and moved; a stays, with its status next to it.
		expect(await keys(store)).toEqual([
			'incoming/a.csv',
			'incoming/a.csv.status.txt',
			`processed/${day}/b.csv`,
			`processed/${day}/b.csv.status.txt`,
		]);
		expect(await store.readText('incoming/a.csv.status.txt')).toBe(
			'ERROR\nDestination Errors:[\n       a.csv row 2: Destination refused row 1\n]\n1 records were uploaded\n',
		);
		// Within its lease the file is not handed on again (a restart of n8n keeps the lease).
		n8n.advance(10 * MINUTE);
		n8n.restart();
		expect((await n8n.poll()).emitted).toBeNull();
		// The destination recovers; after the lease the file comes again, and is moved once.
		destination = {};
		n8n.advance(21 * MINUTE);
		const second = await n8n.pollAndRun();
		expect(runError(second!)).toBeUndefined();
		expect(finished(second!).map((f) => [f.key, f.action])).toEqual([['incoming/a.csv', 'moved']]);
		expect(await keys(store)).toEqual([
			`processed/${day}/a.csv`,
			`processed/${day}/a.csv.status.txt`,
			`processed/${day}/b.csv`,
			`processed/${day}/b.csv.status.txt`,
		]);
		expect(await store.readText(`processed/${day}/a.csv.status.txt`)).toBe(
			'SUCCESS\n2 records were uploaded\n',
		);
		// Nothing is left to hand on, even long after.
		n8n.advance(120 * MINUTE);
		expect((await n8n.poll()).emitted).toBeNull();
	});

	it('delete: only the version imported; a file written over meanwhile is left alone, and its new version is handed on by itself', async () => {
		const { bucket, store } = await newBucket('finish');
		await store.write('incoming/a.csv', 'id\n1\n');
		await store.write('incoming/b.csv', 'id\n2\n');
		const n8n = track(
			new PublishedWorkflow(
				(sd) => newFilesFlow(bucket, sd, { finish: { afterImport: 'delete' } }),
				'Trigger',
				credentials(),
			),
		);
		const { emitted } = await n8n.poll();
		// b is written over after its rows were delivered, before Finish Import runs.
		const run = await execute(
			newFilesFlow(bucket, {}, { finish: { afterImport: 'delete' } }),
			'Trigger',
			emitted!,
			credentials(),
			async (name) => {
				if (name === 'Destination') await store.write('incoming/b.csv', 'id\n3\n');
			},
		);
		expect(runError(run)).toBeUndefined();
		expect(finished(run).map((f) => [f.key, f.action])).toEqual([
			['incoming/a.csv', 'deleted'],
			['incoming/b.csv', 'changed'],
		]);
		expect(await keys(store)).toEqual(['incoming/b.csv']);
		const next = await n8n.pollAndRun();
		expect(finished(next!).map((f) => [f.key, f.action])).toEqual([['incoming/b.csv', 'deleted']]);
		// b's rows came twice: its first version's, then its new version's.
		expect(received.flat().map((i) => (i.json as { id?: string }).id)).toEqual(['1', '2', '3']);
		expect(await keys(store)).toEqual([]);
	});

	it('tag: the tag is added to the file’s own tags, and the file stays; no lease (the trigger hands each version once)', async () => {
		const { bucket, store, client } = await newBucket('finish');
		await store.write('incoming/a.csv', 'id\n1\n');
		await client.send(
			new PutObjectTaggingCommand({
				Bucket: bucket,
				Key: 'incoming/a.csv',
				Tagging: { TagSet: [{ Key: 'owner', Value: 'acme' }] },
			}),
		);
		const workflow = newFilesFlow(
			bucket,
			{},
			{ finish: { afterImport: 'tag', tagKey: 'imported', tagValue: 'true' } },
		);
		const items = await poll(workflow, 'Trigger', credentials());
		expect(importOf(items![0][0].json)!.file.origin?.leaseUntil).toBeUndefined();
		const run = await execute(workflow, 'Trigger', items!, credentials());
		expect(finished(run).map((f) => f.action)).toEqual(['tagged']);
		const tags = await client.send(
			new GetObjectTaggingCommand({ Bucket: bucket, Key: 'incoming/a.csv' }),
		);
		expect(tags.TagSet).toEqual([
			{ Key: 'owner', Value: 'acme' },
			{ Key: 'imported', Value: 'true' },
		]);
	});

	it('a file not imported makes the execution fail (version 2), or succeed with a warning (the option off), and says when it comes again', async () => {
		for (const [afterImport, failOnErrorBatch] of [
			['keep', true],
			['move', false],
		] as const) {
			const { bucket, store } = await newBucket('finish');
			await store.write('incoming/a.csv', 'id,n\n1,x\n');
			const workflow = newFilesFlow(
				bucket,
				{},
				{
					finish: { afterImport, failOnErrorBatch },
					destination: { failWhen: 'id', failValue: '1' },
				},
			);
			const run = await execute(
				workflow,
				'Trigger',
				(await poll(workflow, 'Trigger', credentials()))!,
				credentials(),
			);
			const message =
				/^1 file not imported, left where it is: .*a\.csv: Destination Errors:\[ a\.csv row 1: Destination refused row 0 \] 0 records were uploaded \((it is not handed on again until it changes|the trigger hands it on again at its first poll after \d{4}-.*)\)/;
			if (failOnErrorBatch) {
				expect(runError(run)).toMatch(message);
				expect(runError(run)).toMatch(/not handed on again until it changes/);
			} else {
				expect(runError(run)).toBeUndefined();
				expect(run.data.resultData.runData['Finish Import'][0].hints![0]).toMatchObject({
					type: 'warning',
					message: expect.stringMatching(message),
				});
				expect(finished(run)).toEqual([
					expect.objectContaining({
						key: 'incoming/a.csv',
						success: false,
						status: 'ERROR',
						action: 'leftInPlace',
						handedOnAgainAfter: expect.stringMatching(/^\d{4}-/),
					}),
				]);
			}
			expect(await keys(store)).toEqual(['incoming/a.csv']);
		}
	});

	it('files that are not CSV, handed on whole to the destination, are moved once they reached Imported Rows; one that failed there stays', async () => {
		const { bucket, store } = await newBucket('finish');
		await store.write('incoming/scan.pdf', Buffer.from('%PDF-1.4 one'));
		await store.write('incoming/bad.pdf', Buffer.from('%PDF-1.4 two'));
		const workflow = newFilesFlow(
			bucket,
			{},
			{
				whole: true,
				trigger: { filePattern: '*' },
				destination: { failWhen: 'fileName', failValue: 'bad.pdf', replaceJson: false },
				finish: { failOnErrorBatch: false, statusFile: true },
			},
		);
		const run = await execute(
			workflow,
			'Trigger',
			(await poll(workflow, 'Trigger', credentials()))!,
			credentials(),
		);
		expect(finished(run).map((f) => [f.key, f.action, f.message])).toEqual([
			[
				'incoming/bad.pdf',
				'leftInPlace',
				'Destination Errors:[\n       bad.pdf: Destination refused row 0\n]\n0 records were uploaded',
			],
			['incoming/scan.pdf', 'moved', 'the file was delivered'],
		]);
		expect(await keys(store)).toEqual([
			'incoming/bad.pdf',
			'incoming/bad.pdf.status.txt',
			`processed/${today()}/scan.pdf`,
			`processed/${today()}/scan.pdf.status.txt`,
		]);
		// The status file next to the file left in place is never handed on as a new file.
		expect(
			(await poll(
				newFilesFlow(bucket, {}, { trigger: { filePattern: '*' } }),
				'Trigger',
				credentials(),
			))![0].map((i) => i.json.key),
		).toEqual(['incoming/bad.pdf']);
	});

	it('a file of the same name moved there before is not written over: the new one gets its ETag in its name', async () => {
		const { bucket, store } = await newBucket('finish');
		const day = today();
		await store.write(`processed/${day}/a.csv`, 'id\nearlier\n');
		const { etag } = await store.write('incoming/a.csv', 'id\nlater\n');
		const workflow = newFilesFlow(bucket, {});
		const run = await execute(
			workflow,
			'Trigger',
			(await poll(workflow, 'Trigger', credentials()))!,
			credentials(),
		);
		const to = `processed/${day}/a.${etag.slice(0, 8)}.csv`;
		expect(finished(run)[0]).toMatchObject({ action: 'moved', movedTo: to });
		expect(await store.readText(`processed/${day}/a.csv`)).toBe('id\nearlier\n');
		expect(await store.readText(to)).toBe('id\nlater\n');
	});

	it('a destination error that names no row keeps every file where it was', async () => {
		const { bucket, store } = await newBucket('finish');
		await store.write('incoming/a.csv', 'id\n1\n');
		await store.write('incoming/b.csv', 'id\n2\n');
		const workflow = newFilesFlow(
			bucket,
			{},
			{ destination: { failWholeCall: 'Invalid string length' } },
		);
		const run = await execute(
			workflow,
			'Trigger',
			(await poll(workflow, 'Trigger', credentials()))!,
			credentials(),
		);
		expect(runError(run)).toMatch(
			/^2 files not imported, left where they are: .*Invalid string length/,
		);
		expect(await keys(store)).toEqual(['incoming/a.csv', 'incoming/b.csv']);
	});

	it('a move that cannot be verified keeps the original, and the execution fails naming it', async () => {
		const { bucket, store } = await newBucket('finish');
		await store.write('incoming/a.csv', 'id\n1\n');
		// moto cannot be made to fail one CopyObject on demand: the shared client's middleware fails
		// it, an injected fault.
		const client = s3ClientFor(
			settingsFromCredential(testSettings() as unknown as Record<string, unknown>),
		);
		client.middlewareStack.add(
			(next, context) => async (args) => {
				if (context.commandName === 'CopyObjectCommand')
					throw Object.assign(new Error('injected'), {
						name: 'InternalError',
						$metadata: { httpStatusCode: 500 },
					});
				return await next(args);
			},
			{ step: 'initialize', name: 'failCopy' },
		);
		let run;
		try {
			const workflow = newFilesFlow(bucket, {});
			run = await execute(
				workflow,
				'Trigger',
				(await poll(workflow, 'Trigger', credentials()))!,
				credentials(),
			);
		} finally {
			client.middlewareStack.remove('failCopy');
		}
		expect(runError(run)).toMatch(
			/^Could not finish 1 file: s3:\/\/.*\/incoming\/a\.csv: S3 is busy \(InternalError\) while trying to copy .*; the file is where it was \(the trigger hands it on again/,
		);
		expect(await keys(store)).toEqual(['incoming/a.csv']);
	});

	it('Report File Outcome reports a file outside marker folders, for the parent’s Finish Import', async () => {
		const { bucket, store } = await newBucket('finish');
		await store.write('incoming/a.csv', 'id\n1\n2\n');
		const workflow = newFilesFlow(bucket, {}, { finish: { operation: 'reportFiles' } });
		const run = await execute(
			workflow,
			'Trigger',
			(await poll(workflow, 'Trigger', credentials()))!,
			credentials(),
		);
		const [item] = outputOf(run, 'Finish Import');
		expect(item.json).toMatchObject({ success: true, rows: 2, delivered: 2 });
		expect(importOf(item.json)).toMatchObject({
			row: 0,
			file: { key: 'incoming/a.csv' },
			outcome: { rows: 2, delivered: 2, missing: [] },
		});
		// Report File Outcome does nothing to the file; nor does a trigger lease it.
		const again = await poll(
			newFilesFlow(bucket, {}, { finish: { operation: 'reportFiles' } }),
			'Trigger',
			credentials(),
		);
		expect(importOf(again![0][0].json)!.file.origin?.leaseUntil).toBeUndefined();
		expect(await keys(store)).toEqual(['incoming/a.csv']);
	});

	it('a single file (overwrite mode) moves too, by its name', async () => {
		const { bucket, store } = await newBucket('finish');
		await store.write('staircase/accounts.csv', 'id\n1\n');
		const workflow = newFilesFlow(
			bucket,
			{},
			{
				trigger: { mode: 'singleFile', fileKey: 'staircase/accounts.csv' },
				finish: { moveTo: 'imported/' },
			},
		);
		const run = await execute(
			workflow,
			'Trigger',
			(await poll(workflow, 'Trigger', credentials()))!,
			credentials(),
		);
		expect(finished(run)[0]).toMatchObject({ action: 'moved', movedTo: 'imported/accounts.csv' });
		expect(await keys(store)).toEqual(['imported/accounts.csv']);
	});
});
