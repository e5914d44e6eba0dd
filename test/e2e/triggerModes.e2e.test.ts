/**
 * The trigger's newer modes in a real n8n server (2.41.1 on Node 24), in regular mode and in queue
 * mode (main + one worker, Redis, PostgreSQL): New Files (200 files in three waves, each imported
 * once across a restart of n8n; an overwrite imported again), S3 event notifications through
 * moto's SQS (a marker folder within seconds of its marker, a duplicated event imported once, a
 * folder whose event never came imported by the fallback listing), Staircase's timings (a new
 * upload at the next minute poll, an unchanged file re-read after its interval and not before), and
 * New Files with Finish Import moving each file after its import (examples/new-files-import.json):
 * a destination failing leaves every file in place, and after it recovers every file is moved once.
 *
 * To keep CI short, every case runs in the same server at once: the waits (Poll Times at every
 * minute, the re-read interval, the fallback listing) overlap, and the restart serves them all.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
	CreateBucketCommand,
	GetObjectCommand,
	ListObjectsV2Command,
	PutBucketNotificationConfigurationCommand,
	PutObjectCommand,
	S3Client,
} from '@aws-sdk/client-s3';
import {
	CreateQueueCommand,
	GetQueueAttributesCommand,
	SendMessageCommand,
	SQSClient,
} from '@aws-sdk/client-sqs';

import { startMoto } from '../../scripts/lib/moto';
import { startN8n } from '../../scripts/lib/n8n';
import { startQueueServices } from '../../scripts/lib/queueServices';
import { startReceiver } from '../../scripts/lib/receiver';
import { waitFor } from './importFlows';

const PACKAGE = 'n8n-nodes-s3-inbound';
const BUCKET = 'trigger-modes';
const SECRET = 'e2e-secret-key-value';
type N8n = Awaited<ReturnType<typeof startN8n>>;
type Row = { wf: string; key: string; id: string; v: string; at: number };
type Execution = {
	id: string;
	status: string;
	startedAt?: string;
	stoppedAt?: string;
	data?: { resultData?: { error?: { message?: string } } };
};

/**
 * The destination of examples/new-files-import.json: takes each batch of rows (a JSON array), or
 * answers 503 while it is down, as a service that is unavailable would.
 */
async function startDestination() {
	const state = { down: true, rows: [] as Array<{ id: string }>, refused: 0 };
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			if (state.down) {
				state.refused++;
				res.writeHead(503, { 'content-type': 'text/plain' });
				res.end('Service Unavailable');
				return;
			}
			for (const row of JSON.parse(Buffer.concat(chunks).toString('utf8')) as Array<{ id: string }>)
				state.rows.push(row);
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end('{"ok":true}');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const address = server.address();
	const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/bulk`;
	return {
		state,
		url,
		close: async () => {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}

function describeTriggerModes(title: string, queueMode: boolean) {
	describe(title, () => {
		let moto: Awaited<ReturnType<typeof startMoto>>;
		let receiver: Awaited<ReturnType<typeof startReceiver>>;
		let services: Awaited<ReturnType<typeof startQueueServices>> | undefined;
		let n8n: N8n;
		const workers: N8n[] = [];
		let env: Record<string, string> = {};
		let userFolder: string;
		let s3: S3Client;
		let sqs: SQSClient;
		const rows: Row[] = [];
		const workflows: Record<string, string> = {};
		let markerQueue: { url: string; arn: string };
		let publishedAt = 0;
		let destination: Awaited<ReturnType<typeof startDestination>>;
		/** What S3 held when the first import failed, then the destination recovers (see beforeAll). */
		let whileDown: Promise<{ keys: string[]; error: string; recoveredAt: number }>;

		const put = async (key: string, body: string) =>
			await s3.send(
				new PutObjectCommand({
					Bucket: BUCKET,
					Key: key,
					Body: body,
					ContentLength: Buffer.byteLength(body),
				}),
			);
		const rowsOf = (wf: string) => rows.filter((r) => r.wf === wf);
		const createQueue = async (name: string) => {
			const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
			const a = await sqs.send(
				new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
			);
			return { url: QueueUrl as string, arn: a.Attributes?.QueueArn as string };
		};

		/** Trigger → Field Mapper (reads each file: lenient, every column) → HTTP Request to the receiver. */
		const createWorkflow = async (wf: string, trigger: { type: string; parameters: object }) => {
			const credentials = { s3InboundAwsApi: { id: workflows.credential, name: 'moto' } };
			const nodes = [
				{
					id: randomUUID(),
					name: 'Trigger',
					type: `${PACKAGE}.${trigger.type}`,
					typeVersion: trigger.type === 's3CsvInboundTrigger' ? 2 : 1,
					position: [0, 0],
					parameters: trigger.parameters,
					credentials,
				},
				{
					id: randomUUID(),
					name: 'Field Mapper',
					type: `${PACKAGE}.fieldMapper`,
					typeVersion: 2,
					position: [220, 0],
					parameters: { input: 's3Files', mode: 'lenient', options: { keepUnmapped: true } },
					credentials,
				},
				{
					id: randomUUID(),
					name: 'Send to Destination',
					type: 'n8n-nodes-base.httpRequest',
					typeVersion: 4.2,
					position: [440, 0],
					parameters: {
						method: 'POST',
						url: `${receiver.url}/rows`,
						sendBody: true,
						specifyBody: 'json',
						jsonBody: `={{ JSON.stringify({ wf: '${wf}', key: $json._import.file.key, id: $json.id, v: $json.v }) }}`,
						options: {},
					},
				},
			];
			const connections = {
				Trigger: { main: [[{ node: 'Field Mapper', type: 'main', index: 0 }]] },
				'Field Mapper': { main: [[{ node: 'Send to Destination', type: 'main', index: 0 }]] },
			};
			const created = await n8n.api('POST', '/workflows', {
				name: wf,
				nodes,
				connections,
				settings: { executionOrder: 'v1' },
			});
			workflows[wf] = created.id;
		};
		const publish = async (wf: string) =>
			await n8n.api('POST', `/workflows/${workflows[wf]}/publish`, {});
		const keysUnder = async (prefix: string) =>
			((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? [])
				.map((o) => o.Key as string)
				.sort();
		const executionsOf = async (wf: string) =>
			(await n8n.api('GET', `/executions?workflowId=${workflows[wf]}&includeData=true`))
				.data as Execution[];
		/** examples/new-files-import.json, pointed at this bucket, folder, destination and credential. */
		const createMovingWorkflow = async () => {
			const example = JSON.parse(
				readFileSync(join(__dirname, '..', '..', 'examples', 'new-files-import.json'), 'utf8'),
			) as {
				nodes: Array<{
					name: string;
					parameters: Record<string, unknown>;
					credentials?: Record<string, unknown>;
				}>;
				connections: unknown;
			};
			for (const node of example.nodes) {
				if (node.credentials)
					node.credentials = { s3InboundAwsApi: { id: workflows.credential, name: 'moto' } };
				if (node.name === 'S3 CSV Inbound Trigger')
					Object.assign(node.parameters, {
						pollTimes: everyMinute,
						bucket: BUCKET,
						folder: 'moving/',
						options: { maxFilesPerRun: 100, leaseMinutes: 1 },
					});
				if (node.name === 'Send Rows') node.parameters.url = destination.url;
			}
			const created = await n8n.api('POST', '/workflows', {
				name: 'moving',
				nodes: example.nodes,
				connections: example.connections,
				settings: { executionOrder: 'v1' },
			});
			workflows.moving = created.id;
		};
		const everyMinute = { item: [{ mode: 'everyMinute' }] };
		const csv = (id: string, v: string) => `id,v\n${id},${v}\n`;
		const wave = async (from: number, to: number) => {
			for (let i = from; i < to; i++)
				await put(`inbox/file-${String(i).padStart(3, '0')}.csv`, csv(String(i), '1'));
		};

		beforeAll(async () => {
			moto = await startMoto();
			receiver = await startReceiver();
			destination = await startDestination();
			receiver.onEvent = (kind, request) => {
				if (kind !== 'row') return;
				const row = JSON.parse(request.body) as Row;
				rows.push({ ...row, at: Date.now() });
			};
			if (queueMode) services = await startQueueServices();
			env = { ...(services?.env ?? {}) };
			userFolder = mkdtempSync(join(tmpdir(), 'n8n-trigger-modes-'));
			n8n = await startN8n({ userFolder, quiet: true, env, label: 'n8n main' });
			if (queueMode)
				workers.push(
					await startN8n({
						userFolder: `${userFolder}-worker`,
						quiet: true,
						env,
						worker: true,
						label: 'n8n worker',
					}),
				);
			// (The SDK marks a credentials object it is given: each client gets its own.)
			const credentials = () => ({ accessKeyId: 'e2e', secretAccessKey: SECRET });
			s3 = new S3Client({
				region: 'us-east-1',
				endpoint: moto.endpoint,
				forcePathStyle: true,
				credentials: credentials(),
			});
			sqs = new SQSClient({
				region: 'us-east-1',
				endpoint: moto.endpoint,
				credentials: credentials(),
			});
			await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
			markerQueue = await createQueue('marker-events');
			const fallbackQueue = await createQueue('fallback-events');
			// Marker folders under events-px/ notify the queue; fallback-px/ notifies nothing (its
			// events are lost, as after a purge).
			await s3.send(
				new PutBucketNotificationConfigurationCommand({
					Bucket: BUCKET,
					NotificationConfiguration: {
						QueueConfigurations: [
							{
								QueueArn: markerQueue.arn,
								Events: ['s3:ObjectCreated:*'],
								Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'events-px/' }] } },
							},
						],
					},
				}),
			);
			const credential = await n8n.api('POST', '/credentials', {
				name: 'moto',
				type: 's3InboundAwsApi',
				data: {
					authentication: 'accessKeys',
					accessKeyId: 'e2e',
					secretAccessKey: SECRET,
					region: 'us-east-1',
					endpoint: moto.endpoint,
					forcePathStyle: true,
				},
			});
			workflows.credential = credential.id;
			await createWorkflow('newFiles', {
				type: 's3CsvInboundTrigger',
				parameters: {
					pollTimes: everyMinute,
					mode: 'newFiles',
					bucket: BUCKET,
					folder: 'inbox',
					options: { maxFilesPerRun: 100 },
				},
			});
			await createWorkflow('staircase', {
				type: 's3CsvInboundTrigger',
				parameters: {
					pollTimes: everyMinute,
					mode: 'singleFile',
					bucket: BUCKET,
					fileKey: 'staircase/accounts.csv',
					reReadMinutes: 2,
				},
			});
			await createWorkflow('events', {
				type: 's3CsvInboundEventTrigger',
				parameters: {
					queueUrl: markerQueue.url,
					fallbackMinutes: 60,
					mode: 'markerFolders',
					bucketPath: BUCKET,
					baseFolder: 'events-px',
				},
			});
			await createWorkflow('fallback', {
				type: 's3CsvInboundEventTrigger',
				parameters: {
					queueUrl: fallbackQueue.url,
					fallbackMinutes: 1,
					mode: 'markerFolders',
					bucketPath: BUCKET,
					baseFolder: 'fallback-px',
				},
			});
			await createMovingWorkflow();
			// Wave 1, the single file and the files to move are there before publishing.
			await wave(0, 70);
			await put('staircase/accounts.csv', csv('acc-1', 'first'));
			for (let i = 0; i < 5; i++) await put(`moving/m-${i}.csv`, csv(`m${i}`, 'x'));
			publishedAt = Date.now();
			for (const wf of ['newFiles', 'staircase', 'events', 'fallback', 'moving']) await publish(wf);
			// The destination is down for the first import of the files to move; once that execution
			// has failed, what S3 holds is noted and the destination recovers. Runs beside the other
			// cases, which share this server (and its restart).
			whileDown = (async () => {
				const failed = await waitFor(
					'the failed import while the destination is down',
					async () => {
						try {
							return (await executionsOf('moving')).find((e) => e.status === 'error');
						} catch {
							return undefined; // n8n restarting
						}
					},
					120_000,
				);
				const keys = [...(await keysUnder('moving/')), ...(await keysUnder('processed/'))];
				destination.state.down = false;
				return {
					keys,
					error: failed.data?.resultData?.error?.message ?? '',
					recoveredAt: Date.now(),
				};
			})();
			whileDown.catch(() => undefined);
		}, 600_000);

		afterAll(async () => {
			for (const w of workers) await w.stop();
			await n8n?.stop();
			await services?.stop();
			await receiver?.close();
			await destination?.close();
			await moto?.stop();
			s3?.destroy();
			sqs?.destroy();
		});

		it('events: a marker folder is imported within 10 s of its _SUCCESS (the fallback listing is hourly); a duplicated event imports nothing more', async () => {
			await put('events-px/current/dt=20240101/a.csv', csv('m1', 'x'));
			await put('events-px/current/dt=20240101/b.csv', csv('m2', 'x'));
			await new Promise((r) => setTimeout(r, 2000));
			expect(rowsOf('events')).toEqual([]);
			const marked = Date.now();
			await put('events-px/current/dt=20240101/_SUCCESS', '');
			await waitFor('the folder’s rows', async () => rowsOf('events').length >= 2, 30_000);
			const took = Math.max(...rowsOf('events').map((r) => r.at)) - marked;
			expect(took).toBeLessThan(10_000);
			expect(
				rowsOf('events')
					.map((r) => r.id)
					.sort(),
			).toEqual(['m1', 'm2']);
			// SQS delivers at least once: the same notification again.
			await sqs.send(
				new SendMessageCommand({
					QueueUrl: markerQueue.url,
					MessageBody: JSON.stringify({
						Records: [
							{
								eventVersion: '2.1',
								eventSource: 'aws:s3',
								eventName: 'ObjectCreated:Put',
								s3: {
									bucket: { name: BUCKET },
									object: { key: 'events-px/current/dt%3D20240101/_SUCCESS', size: 0 },
								},
							},
						],
					}),
				}),
			);
			await new Promise((r) => setTimeout(r, 6000));
			expect(rowsOf('events')).toHaveLength(2);
			console.log(`${title}: marker folder imported ${took} ms after its _SUCCESS`);
		});

		it('events: a folder whose event never came is imported by the fallback listing (List Every 1 minute)', async () => {
			const written = Date.now();
			await put('fallback-px/current/dt=20240102/c.csv', csv('f1', 'x'));
			await put('fallback-px/current/dt=20240102/_SUCCESS', '');
			await waitFor('the fallback listing', async () => rowsOf('fallback').length >= 1, 100_000);
			expect(Date.now() - written).toBeLessThan(90_000);
			expect(rowsOf('fallback').map((r) => r.id)).toEqual(['f1']);
		});

		it('New Files: 200 files in three waves are each imported once, across a restart of n8n; a file overwritten with new bytes is imported again', async () => {
			await waitFor('wave 1 at publishing', async () => rowsOf('newFiles').length >= 70, 60_000);
			await wave(70, 140);
			await waitFor(
				'wave 2 at the next minute poll',
				async () => rowsOf('newFiles').length >= 140,
				90_000,
			);
			await wave(140, 200);
			await put('inbox/file-000.csv', csv('0', '2'));
			// n8n restarts: the trigger's state is what n8n saved; its activation poll sees wave 3.
			await n8n.stop();
			n8n = await startN8n({
				userFolder,
				port: n8n.port,
				fresh: false,
				quiet: true,
				env,
				label: 'n8n main',
			});
			await waitFor(
				'wave 3 after the restart',
				async () => rowsOf('newFiles').length >= 201,
				120_000,
			);
			await new Promise((r) => setTimeout(r, 3000));
			const ids = rowsOf('newFiles').map((r) => `${r.id}:${r.v}`);
			expect(ids).toHaveLength(201);
			expect(new Set(ids).size).toBe(201);
			expect(ids).toContain('0:1');
			expect(ids).toContain('0:2');
			expect(new Set(rowsOf('newFiles').map((r) => r.id)).size).toBe(200);
		});

		it('Staircase timings: the file at publishing, re-read after its interval (2 minutes) and not before; a new upload at the next minute poll', async () => {
			const imports = () => rowsOf('staircase').map((r) => r.at);
			await waitFor('the re-read', async () => imports().length >= 2, 240_000);
			const [first, second] = imports();
			expect(first - publishedAt).toBeLessThan(30_000);
			// Due two minutes after the import; polls come each minute and a check up to 30 s early
			// counts, so the re-read comes 90-150 s after the first import's poll (measured here at the
			// rows' arrival, a few seconds after each poll): never at the minute poll in between.
			expect(second - first).toBeGreaterThanOrEqual(85_000);
			expect(second - first).toBeLessThan(170_000);
			const uploaded = Date.now();
			await put('staircase/accounts.csv', csv('acc-1', 'second'));
			await waitFor(
				'the new upload',
				async () => rowsOf('staircase').some((r) => r.v === 'second'),
				90_000,
			);
			expect(Date.now() - uploaded).toBeLessThan(70_000);
		});

		it('New Files, moving each file after its import: the destination failing leaves every file in place, and after it recovers every file is moved once', async () => {
			const down = await whileDown;
			const files = Array.from({ length: 5 }, (_, i) => `m-${i}.csv`);
			// The failed execution names the files; they, with their ERROR status files, stayed.
			expect(down.error).toMatch(/^5 files not imported, left where they are: s3:\/\/.*m-0\.csv: /);
			expect(down.error).toMatch(/503/);
			expect(down.keys).toEqual(files.flatMap((f) => [`moving/${f}`, `moving/${f}.status.txt`]));
			expect(destination.state.refused).toBeGreaterThan(0);
			// After the lease (1 minute) the trigger hands them on again; now they go through and move.
			const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
			const moved = files.flatMap((f) => [
				`processed/${day}/${f}`,
				`processed/${day}/${f}.status.txt`,
			]);
			await waitFor(
				'every file moved',
				async () => JSON.stringify(await keysUnder('processed/')) === JSON.stringify(moved),
				180_000,
			);
			await new Promise((r) => setTimeout(r, 3000));
			expect(await keysUnder('moving/')).toEqual([]);
			expect(await keysUnder('processed/')).toEqual(moved);
			const status = await s3.send(
				new GetObjectCommand({ Bucket: BUCKET, Key: `processed/${day}/m-0.csv.status.txt` }),
			);
			expect(await status.Body?.transformToString()).toBe('SUCCESS\n1 records were uploaded\n');
			// Each file's rows were delivered once (while it was down, none were taken).
			expect(destination.state.rows.map((r) => r.id).sort()).toEqual([
				'm0',
				'm1',
				'm2',
				'm3',
				'm4',
			]);
			// The only failed executions are those while the destination was down.
			const executions = await executionsOf('moving');
			const failed = executions.filter((e) => e.status === 'error');
			expect(failed.length).toBeGreaterThanOrEqual(1);
			for (const e of failed) expect(Date.parse(e.startedAt ?? '')).toBeLessThan(down.recoveredAt);
			const moving = executions.find((e) => e.status === 'success');
			expect(moving).toBeDefined();
			console.log(
				`${title}: files moved ${Math.round((Date.parse(moving?.stoppedAt ?? '') - down.recoveredAt) / 1000)} s after the destination recovered (lease 1 minute, polls every minute)`,
			);
		});

		it('every execution succeeded; no secret reached the n8n log', async () => {
			for (const wf of ['newFiles', 'staircase', 'events', 'fallback']) {
				const executions = (await n8n.api('GET', `/executions?workflowId=${workflows[wf]}`))
					.data as Execution[];
				expect(executions.filter((e) => e.status !== 'success' && e.status !== 'running')).toEqual(
					[],
				);
			}
			expect([n8n.log(), ...workers.map((w) => w.log())].join('\n')).not.toContain(SECRET);
		});
	});
}

describeTriggerModes('trigger modes in a real n8n server (regular mode)', false);
describeTriggerModes('trigger modes in queue mode (main + worker, Redis, PostgreSQL)', true);
