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
const { startPostgres, postgresAvailable } = require('./postgres');
const { seedDemoBucket, DEMO_BUCKET, DIRECTORY, PX_BASE, STAIRCASE_KEY } = require('./demoData');

const DEMO_ACCESS_KEY = 'demo';
const DEMO_SECRET_KEY = 'demo-secret-key-value';
const DEMO_CALLBACK_KEY = 'demo-callback-api-key';

/** @param {string} name */
function loadExample(name) {
	return JSON.parse(readFileSync(path.join(ROOT, 'examples', name), 'utf8'));
}

/**
 * Points an example workflow at the demo's bucket, receiver and credentials, and its Execute
 * Sub-workflow node at the demo's per-file workflow.
 * @param {any} workflow
 * @param {{ bucket: string, receiverUrl: string, s3: string, callback: string, postgres?: string, fileWorkflow?: string }} at
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
		if (node.type === 'n8n-nodes-base.executeWorkflow' && at.fileWorkflow)
			node.parameters.workflowId = { __rl: true, value: at.fileWorkflow, mode: 'id' };
		if (node.credentials?.postgres && at.postgres)
			node.credentials.postgres = { id: at.postgres, name: 'Demo database (PostgreSQL)' };
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

/** The demo's destination table: the PX example's target fields as columns. */
const PX_USERS_TABLE = `create table px_users (
	id text primary key, email text, name text, signup_date date, score numeric, active boolean
)`;

/**
 * @param {{ userFolder?: string, port?: number, quiet?: boolean, env?: Record<string, string>, queueWorkers?: number, destination?: 'postgres' | 'http' }} [options]
 *   `queueWorkers`: run n8n in queue mode (Redis, PostgreSQL) with one main instance and this many workers.
 *   `destination`: where the marker flow's per-file workflow sends rows: a local PostgreSQL table
 *   (the default where PostgreSQL is installed or installable), or the receiver's bulk endpoint.
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
		/** @type {import('./postgres').Postgres | undefined} */
		let postgres;
		if (options.queueWorkers) {
			const services = await startQueueServices();
			stops.push(() => services.stop());
			env = { ...services.env, ...env };
			postgres = services.postgres;
		}
		const destination =
			options.destination ?? (postgres || postgresAvailable() ? 'postgres' : 'http');
		if (destination === 'postgres') {
			if (!postgres) {
				const started = await startPostgres();
				stops.push(() => started.stop());
				postgres = started;
			}
			postgres.psql('create database imports');
			postgres.psql(PX_USERS_TABLE, { database: 'imports' });
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
		const database =
			destination === 'postgres' && postgres
				? await n8n.api('POST', '/credentials', {
						name: 'Demo database (PostgreSQL)',
						type: 'postgres',
						data: {
							host: postgres.host,
							port: postgres.port,
							database: 'imports',
							user: postgres.user,
							password: '',
							ssl: 'disable',
						},
					})
				: undefined;
		/** @type {{ bucket: string, receiverUrl: string, s3: string, callback: string, postgres?: string, fileWorkflow?: string }} */
		const at = {
			bucket: DEMO_BUCKET,
			receiverUrl: receiver.url,
			s3: s3.id,
			callback: callback.id,
			postgres: database?.id,
		};
		/** @type {Record<string, string>} */
		const workflows = {};
		// The marker flow imports each file in a sub-workflow of its own, created first.
		const fileExample =
			destination === 'postgres'
				? 'marker-folder-import-file.json'
				: 'marker-folder-import-file-http.json';
		workflows.markerFile = (
			await n8n.api('POST', '/workflows', pointAt(loadExample(fileExample), at))
		).id;
		at.fileWorkflow = workflows.markerFile;
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
			destination,
			postgres,
			/** The marker flow's rows in the demo table, by id (PostgreSQL destination). */
			tableRows: async () =>
				/** @type {Array<Record<string, unknown>>} */ (
					JSON.parse(
						postgres?.psql("select coalesce(json_agg(t order by t.id), '[]') from px_users t", {
							database: 'imports',
						}) || '[]',
					)
				),
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
			/**
			 * Creates (not yet published) a workflow from an example, pointed at the demo (and, for a
			 * marker-flow copy, at `fileWorkflow`, its own per-file sub-workflow).
			 * @param {string} file @param {(workflow: any) => void} [edit] @param {{ fileWorkflow?: string }} [also]
			 */
			createFromExample: async (file, edit, also = {}) => {
				const workflow = loadExample(file);
				edit?.(workflow);
				return (await n8n.api('POST', '/workflows', pointAt(workflow, { ...at, ...also }))).id;
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
