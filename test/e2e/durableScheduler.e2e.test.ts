/**
 * Single-file mode under n8n's opt-in durable scheduler for poll triggers (n8n 2.41.1 on Node 24,
 * regular mode): a mapping change, published through n8n's API, is imported at the next minute poll.
 *
 * Under n8n's default poll machinery a publication that leaves the trigger unchanged keeps the
 * trigger of the first activation, whose polls see the downstream nodes of that activation, so a
 * changed mapping is not noticed until the next activation (test/e2e/importFlows.ts covers that
 * path). With N8N_SCHEDULER_ENABLED and N8N_SCHEDULER_POLL_TRIGGERS_ENABLED each scheduled poll is
 * built from the published version (n8n's PollTriggerTaskHandler: findPublishedWorkflowData, then
 * createPollExecutionContext builds a new Workflow), so the trigger's fingerprint of the
 * downstream nodes changes at the next poll. Its state is the workflow's static data, which n8n
 * saves when a poll hands something on and reads from the database at the next poll: the test
 * also checks that an unchanged file is not imported again at the following poll.
 *
 * A server of its own, since the scheduler changes how every poll trigger of the server runs (the
 * other trigger tests run under n8n's defaults). About two and a half minutes.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

import { startMoto } from '../../scripts/lib/moto';
import { startN8n } from '../../scripts/lib/n8n';
import { startReceiver } from '../../scripts/lib/receiver';
import { waitFor } from './importFlows';

const PACKAGE = 'n8n-nodes-s3-inbound';
const BUCKET = 'durable-scheduler';
const KEY = 'staircase/accounts.csv';
const SECRET = 'e2e-secret-key-value';
/** n8n's durable scheduler, taking over poll triggers (names as in @n8n/config's SchedulerConfig). */
const SCHEDULER_ENV = {
	N8N_SCHEDULER_ENABLED: 'true',
	N8N_SCHEDULER_POLL_TRIGGERS_ENABLED: 'true',
};
type Row = { id: string; value: string; at: number };
type Node = { name: string; parameters: Record<string, unknown> };

describe('single file under n8n’s durable poll scheduler (regular mode)', () => {
	let moto: Awaited<ReturnType<typeof startMoto>>;
	let receiver: Awaited<ReturnType<typeof startReceiver>>;
	let n8n: Awaited<ReturnType<typeof startN8n>>;
	let s3: S3Client;
	let workflowId: string;
	const rows: Row[] = [];

	/** The mapping: the destination's `value` from the CSV column `source`. */
	const fields = (source: string) => ({
		field: [
			{ target: 'id', source: 'id', type: 'string', required: true },
			{ target: 'value', source, type: 'string', required: false },
		],
	});

	beforeAll(async () => {
		moto = await startMoto();
		receiver = await startReceiver();
		receiver.onEvent = (kind, request) => {
			if (kind === 'row') rows.push({ ...(JSON.parse(request.body) as Row), at: Date.now() });
		};
		n8n = await startN8n({
			userFolder: mkdtempSync(join(tmpdir(), 'n8n-durable-scheduler-')),
			quiet: true,
			env: SCHEDULER_ENV,
			label: 'n8n scheduler',
		});
		s3 = new S3Client({
			region: 'us-east-1',
			endpoint: moto.endpoint,
			forcePathStyle: true,
			credentials: { accessKeyId: 'e2e', secretAccessKey: SECRET },
		});
		await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
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
		const credentials = { s3InboundAwsApi: { id: credential.id, name: 'moto' } };
		const created = await n8n.api('POST', '/workflows', {
			name: 'mapping change',
			nodes: [
				{
					id: randomUUID(),
					name: 'Trigger',
					type: `${PACKAGE}.s3CsvInboundTrigger`,
					typeVersion: 2,
					position: [0, 0],
					parameters: {
						pollTimes: { item: [{ mode: 'everyMinute' }] },
						mode: 'singleFile',
						bucket: BUCKET,
						fileKey: KEY,
					},
					credentials,
				},
				{
					id: randomUUID(),
					name: 'Field Mapper',
					type: `${PACKAGE}.fieldMapper`,
					typeVersion: 2,
					position: [220, 0],
					parameters: { input: 's3Files', mode: 'lenient', fields: fields('v') },
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
						jsonBody: '={{ JSON.stringify({ id: $json.id, value: $json.value }) }}',
						options: {},
					},
				},
			],
			connections: {
				Trigger: { main: [[{ node: 'Field Mapper', type: 'main', index: 0 }]] },
				'Field Mapper': { main: [[{ node: 'Send to Destination', type: 'main', index: 0 }]] },
			},
			settings: { executionOrder: 'v1' },
		});
		workflowId = created.id;
		const body = 'id,v,w\nacc-1,from v,from w\n';
		await s3.send(
			new PutObjectCommand({
				Bucket: BUCKET,
				Key: KEY,
				Body: body,
				ContentLength: Buffer.byteLength(body),
			}),
		);
	}, 300_000);

	afterAll(async () => {
		await n8n?.stop();
		await receiver?.close();
		await moto?.stop();
		s3?.destroy();
	});

	it('a mapping change published through the API is imported at the next minute poll, once', async () => {
		await n8n.api('POST', `/workflows/${workflowId}/publish`, {});
		await waitFor('the import at publishing', async () => rows.length >= 1, 60_000);
		expect(rows.map((r) => [r.id, r.value])).toEqual([['acc-1', 'from v']]);

		// The Field Mapper now takes `value` from column w; the trigger itself is unchanged.
		const workflow = await n8n.api('GET', `/workflows/${workflowId}`);
		const mapper = (workflow.nodes as Node[]).find((n) => n.name === 'Field Mapper');
		if (!mapper) throw new Error('no Field Mapper in the workflow');
		mapper.parameters.fields = fields('w');
		await n8n.api('PUT', `/workflows/${workflowId}`, {
			name: workflow.name,
			nodes: workflow.nodes,
			connections: workflow.connections,
			settings: { executionOrder: 'v1' },
		});
		const published = Date.now();
		await n8n.api('POST', `/workflows/${workflowId}/publish`, {});
		await waitFor('the re-import with the new mapping', async () => rows.length >= 2, 150_000);
		const reImported = rows[1].at - published;
		expect(reImported).toBeLessThan(120_000);
		expect(rows.map((r) => [r.id, r.value])).toEqual([
			['acc-1', 'from v'],
			['acc-1', 'from w'],
		]);

		// The next minute poll reads the trigger's state back from n8n's database: nothing changed,
		// nothing is imported.
		await new Promise((r) => setTimeout(r, 65_000));
		expect(rows).toHaveLength(2);
		const executions = (await n8n.api('GET', `/executions?workflowId=${workflowId}`))
			.data as Array<{
			status: string;
		}>;
		expect(executions.map((e) => e.status)).toEqual(['success', 'success']);
		expect(n8n.log()).not.toContain(SECRET);
		console.log(
			`durable scheduler: the mapping change was imported ${Math.round(reImported / 1000)} s after it was published (Poll Times every minute)`,
		);
	});
});
