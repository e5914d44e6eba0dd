// @ts-check
/**
 * The demo set-up shared by `npm start` and the e2e test: moto with the demo bucket, a local
 * receiver (directory, destination rows, callbacks), and n8n with this package and both example
 * workflows imported, pointed at them, and activated.
 */
const { readFileSync } = require('node:fs');
const path = require('node:path');
const {
	ListObjectsV2Command,
	GetObjectCommand,
	PutObjectCommand,
	S3Client,
} = require('@aws-sdk/client-s3');

const { startMoto } = require('./moto');
const { startReceiver } = require('./receiver');
const { startN8n, PACKAGE_NAME, ROOT } = require('./n8n');
const { startQueueServices } = require('./queueServices');
const { seedDemoBucket, DEMO_BUCKET, DIRECTORY, PX_BASE, STAIRCASE_KEY } = require('./demoData');

const DEMO_ACCESS_KEY = 'demo';
const DEMO_SECRET_KEY = 'demo-secret-key-value';
const DEMO_CALLBACK_KEY = 'demo-callback-api-key';

/** @param {string} name */
function loadExample(name) {
	return JSON.parse(readFileSync(path.join(ROOT, 'examples', name), 'utf8'));
}

/**
 * Points an example workflow at the demo's bucket, receiver and credentials.
 * @param {any} workflow
 * @param {{ bucket: string, receiverUrl: string, s3: string, callback: string }} at
 */
function pointAt(workflow, at) {
	for (const node of workflow.nodes) {
		if (node.type === `${PACKAGE_NAME}.s3CsvInboundTrigger`) {
			if (node.parameters.mode === 'markerFolders') node.parameters.bucketPath = at.bucket;
			else node.parameters.bucket = at.bucket;
		}
		if (node.type === 'n8n-nodes-base.httpRequest') {
			node.parameters.url =
				node.parameters.method === 'POST'
					? `${at.receiverUrl}/rows`
					: `${at.receiverUrl}/directory`;
		}
		if (node.credentials?.s3InboundAwsApi)
			node.credentials.s3InboundAwsApi = { id: at.s3, name: 'Demo bucket (moto)' };
		if (node.credentials?.importStatusCallbackApi)
			node.credentials.importStatusCallbackApi = {
				id: at.callback,
				name: 'Demo callback receiver',
			};
	}
	return {
		name: workflow.name,
		nodes: workflow.nodes,
		connections: workflow.connections,
		settings: workflow.settings,
	};
}

/**
 * @param {{ userFolder?: string, port?: number, quiet?: boolean, env?: Record<string, string>, queueWorkers?: number }} [options]
 *   `queueWorkers`: run n8n in queue mode (Redis, PostgreSQL) with one main instance and this many workers.
 */
async function startDemo(options = {}) {
	const moto = await startMoto();
	/** @type {Array<() => Promise<unknown>>} */
	const stops = [() => moto.stop()];
	try {
		await seedDemoBucket(moto.endpoint);
		const receiver = await startReceiver({ directory: DIRECTORY, apiKey: DEMO_CALLBACK_KEY });
		stops.push(() => receiver.close());
		const userFolder = options.userFolder ?? path.join(ROOT, '.demo', 'n8n');
		/** @type {Record<string, string>} */
		let env = { ...(options.env ?? {}) };
		/** @type {import('./n8n').N8nServer[]} */
		const workers = [];
		if (options.queueWorkers) {
			const services = await startQueueServices();
			stops.push(() => services.stop());
			env = { ...services.env, ...env };
		}
		const n8n = await startN8n({
			userFolder,
			port: options.port,
			quiet: options.quiet,
			env,
			label: options.queueWorkers ? 'n8n main' : 'n8n',
		});
		stops.push(() => n8n.stop());
		for (let i = 1; i <= (options.queueWorkers ?? 0); i++) {
			// Each worker has its own user folder with the package installed, as on its own host.
			const worker = await startN8n({
				userFolder: `${userFolder}-worker-${i}`,
				quiet: options.quiet,
				env,
				worker: true,
				label: `n8n worker ${i}`,
			});
			stops.push(() => worker.stop());
			workers.push(worker);
		}
		const s3 = await n8n.api('POST', '/credentials', {
			name: 'Demo bucket (moto)',
			type: 's3InboundAwsApi',
			data: {
				authentication: 'accessKeys',
				accessKeyId: DEMO_ACCESS_KEY,
				secretAccessKey: DEMO_SECRET_KEY,
				region: 'us-east-1',
				endpoint: moto.endpoint,
				forcePathStyle: true,
			},
		});
		const callback = await n8n.api('POST', '/credentials', {
			name: 'Demo callback receiver',
			type: 'importStatusCallbackApi',
			data: { url: receiver.callbackUrl, apiKey: DEMO_CALLBACK_KEY },
		});
		const at = { bucket: DEMO_BUCKET, receiverUrl: receiver.url, s3: s3.id, callback: callback.id };
		/** @type {Record<string, string>} */
		const workflows = {};
		for (const [key, file] of [
			['hourly', 'hourly-overwrite-import.json'],
			['marker', 'marker-folder-import.json'],
		]) {
			const created = await n8n.api('POST', '/workflows', pointAt(loadExample(file), at));
			workflows[key] = created.id;
		}
		const s3client = new S3Client({
			region: 'us-east-1',
			endpoint: moto.endpoint,
			forcePathStyle: true,
			credentials: { accessKeyId: DEMO_ACCESS_KEY, secretAccessKey: DEMO_SECRET_KEY },
		});
		const demo = {
			moto,
			receiver,
			n8n,
			workers,
			workflows,
			credentials: { s3: s3.id, callback: callback.id },
			bucket: DEMO_BUCKET,
			secrets: [DEMO_SECRET_KEY, DEMO_CALLBACK_KEY],
			/** @param {string} id */
			activate: async (id) => await n8n.api('POST', `/workflows/${id}/publish`, {}),
			/** All keys in the demo bucket. */
			keys: async () => {
				/** @type {string[]} */
				const keys = [];
				let token;
				do {
					/** @type {import("@aws-sdk/client-s3").ListObjectsV2CommandOutput} */
					const page = await s3client.send(
						new ListObjectsV2Command({ Bucket: DEMO_BUCKET, ContinuationToken: token }),
					);
					for (const o of page.Contents ?? []) keys.push(o.Key ?? '');
					token = page.IsTruncated ? page.NextContinuationToken : undefined;
				} while (token);
				return keys.sort();
			},
			/** @param {string} key @param {string | Buffer} body */
			write: async (key, body) => {
				await s3client.send(
					new PutObjectCommand({
						Bucket: DEMO_BUCKET,
						Key: key,
						Body: body,
						ContentLength: Buffer.byteLength(body),
					}),
				);
			},
			/** Creates (not yet published) a workflow from an example, pointed at the demo. @param {string} file @param {(workflow: any) => void} [edit] */
			createFromExample: async (file, edit) => {
				const workflow = loadExample(file);
				edit?.(workflow);
				return (await n8n.api('POST', '/workflows', pointAt(workflow, at))).id;
			},
			/** @param {string} key */
			read: async (key) => {
				try {
					const r = await s3client.send(new GetObjectCommand({ Bucket: DEMO_BUCKET, Key: key }));
					return await r.Body?.transformToString();
				} catch {
					return undefined;
				}
			},
			stop: async () => {
				s3client.destroy();
				for (const stop of stops.reverse()) await stop().catch(() => undefined);
			},
		};
		return demo;
	} catch (error) {
		for (const stop of stops.reverse()) await stop().catch(() => undefined);
		throw error;
	}
}

module.exports = {
	startDemo,
	pointAt,
	loadExample,
	DEMO_BUCKET,
	PX_BASE,
	STAIRCASE_KEY,
	DEMO_CALLBACK_KEY,
	DEMO_SECRET_KEY,
};
