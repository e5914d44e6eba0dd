// @ts-check
/**
 * Runs a real n8n server with this package installed the way n8n installs community packages
 * (under <user folder>/.n8n/nodes/node_modules), and drives it through its REST and public APIs.
 */
const { spawn, execFileSync } = require('node:child_process');
const { mkdirSync, symlinkSync, existsSync, rmSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const { freePort } = require('./moto');

const ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE_NAME = 'n8n-nodes-s3-inbound';

/** Installs (once) and locates n8n 2.41.1 on Node 24. */
function ensureN8n() {
	const out = execFileSync('bash', [path.join(ROOT, 'scripts', 'ensure-n8n.sh')], {
		stdio: ['ignore', 'pipe', 'inherit'],
	}).toString();
	/** @type {Record<string, string>} */
	const vars = {};
	for (const line of out.trim().split('\n')) {
		const [k, ...v] = line.split('=');
		vars[k] = v.join('=');
	}
	return { node: vars.N8N_NODE, bin: vars.N8N_BIN };
}

/**
 * @typedef {{
 *   url: string, port: number, userFolder: string, pid: number | undefined,
 *   api(method: string, route: string, body?: unknown): Promise<any>,
 *   rest(method: string, route: string, body?: unknown): Promise<any>,
 *   log(): string,
 *   stop(): Promise<void>,
 * }} N8nServer
 */

/**
 * @param {{ userFolder: string, port?: number, env?: Record<string, string>, quiet?: boolean, fresh?: boolean, worker?: boolean, label?: string }} options
 *   `worker`: start `n8n worker` (queue mode) instead of the main instance; it has no API.
 * @returns {Promise<N8nServer>}
 */
async function startN8n(options) {
	const { node, bin } = ensureN8n();
	const userFolder = path.resolve(options.userFolder);
	if (options.fresh !== false) rmSync(userFolder, { recursive: true, force: true });
	// Installed as a community package: <user folder>/.n8n/nodes/node_modules/n8n-nodes-s3-inbound
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	mkdirSync(path.join(nodesDir, 'node_modules'), { recursive: true });
	const link = path.join(nodesDir, 'node_modules', PACKAGE_NAME);
	if (!existsSync(link)) symlinkSync(ROOT, link, 'dir');
	writeFileSync(
		path.join(nodesDir, 'package.json'),
		JSON.stringify(
			{ name: 'installed-nodes', private: true, dependencies: { [PACKAGE_NAME]: `file:${ROOT}` } },
			null,
			2,
		),
	);
	const port = options.port ?? (await freePort());
	const runnersPort = await freePort();
	let output = '';
	const child = spawn(node, [bin, options.worker ? 'worker' : 'start'], {
		cwd: userFolder,
		env: {
			...process.env,
			PATH: `${path.dirname(node)}:${process.env.PATH ?? ''}`,
			NODE_ENV: 'production',
			N8N_USER_FOLDER: userFolder,
			N8N_PORT: String(port),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: '127.0.0.1',
			N8N_ENCRYPTION_KEY: 'local-demo-encryption-key-not-secret',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_SECURE_COOKIE: 'false',
			N8N_DISABLED_MODULES: 'mcp-registry',
			N8N_RUNNERS_BROKER_PORT: String(runnersPort),
			N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
			N8N_PUBLIC_API_DISABLED: 'false',
			N8N_LOG_LEVEL: process.env.N8N_LOG_LEVEL ?? 'info',
			DB_SQLITE_POOL_SIZE: '2',
			N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '5',
			QUEUE_HEALTH_CHECK_PORT: String(port),
			...(options.env ?? {}),
		},
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true,
	});
	const keep = (/** @type {Buffer} */ d) => {
		const text = d.toString();
		output = (output + text).slice(-200_000);
		if (!options.quiet)
			process.stdout.write(text.replace(/^(?=.)/gm, `  [${options.label ?? 'n8n'}] `));
	};
	child.stdout?.on('data', keep);
	child.stderr?.on('data', keep);
	const url = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + 180_000;
	for (;;) {
		if (child.exitCode !== null)
			throw new Error(`n8n exited (${child.exitCode}):\n${output.slice(-5000)}`);
		if (options.worker) {
			if (output.includes('n8n worker is now ready')) break;
		} else {
			try {
				const r = await fetch(`${url}/healthz/readiness`);
				if (r.ok) break;
			} catch {
				// not up yet
			}
		}
		if (Date.now() > deadline)
			throw new Error(`n8n did not become ready in 180 s:\n${output.slice(-5000)}`);
		await new Promise((r) => setTimeout(r, 250));
	}

	let cookie = '';
	let apiKey = '';
	/** @param {Response} r */
	const parse = async (r) => {
		const text = await r.text();
		let body;
		try {
			body = text ? JSON.parse(text) : undefined;
		} catch {
			body = text;
		}
		if (!r.ok) throw new Error(`${r.status} ${r.statusText}: ${text.slice(0, 2000)}`);
		return body;
	};
	/** @type {N8nServer['rest']} */
	const rest = async (method, route, body) => {
		const r = await fetch(`${url}/rest${route}`, {
			method,
			headers: {
				'content-type': 'application/json',
				...(cookie ? { cookie } : {}),
				'browser-id': 'demo',
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const setCookie = r.headers.get('set-cookie');
		if (setCookie) cookie = setCookie.split(';')[0];
		return await parse(r);
	};
	/** @type {N8nServer['api']} */
	const api = async (method, route, body) => {
		const r = await fetch(`${url}/api/v1${route}`, {
			method,
			headers: { 'content-type': 'application/json', 'x-n8n-api-key': apiKey },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		return await parse(r);
	};
	const server = {
		url,
		port,
		userFolder,
		pid: child.pid,
		api,
		rest,
		log: () => output,
		stop: () =>
			new Promise((resolve) => {
				if (child.exitCode !== null) return resolve(undefined);
				/** @param {NodeJS.Signals} signal */
				const signalGroup = (signal) => {
					try {
						if (child.pid) process.kill(-child.pid, signal);
					} catch {
						child.kill(signal);
					}
				};
				// Whatever happens, nothing of the group outlives this: SIGKILL after 15 s.
				const hard = setTimeout(() => signalGroup('SIGKILL'), 15_000);
				child.once('exit', () => {
					clearTimeout(hard);
					// The task runner child, if it lingers.
					setTimeout(() => signalGroup('SIGKILL'), 500).unref();
					resolve(undefined);
				});
				signalGroup('SIGTERM');
			}),
	};
	if (options.worker) return server;
	// Owner and API key, as a person would set them up in the browser; a restarted server
	// (`fresh: false` on a user folder that has its owner) signs in as that owner instead.
	const owner = { email: 'demo@example.com', password: 'Demo-password-1' };
	try {
		try {
			await rest('POST', '/owner/setup', { ...owner, firstName: 'Demo', lastName: 'Owner' });
		} catch (error) {
			if (options.fresh !== false) throw error;
			await rest('POST', '/login', { emailOrLdapLoginId: owner.email, password: owner.password });
		}
		const created = await rest('POST', '/api-keys', {
			// Labels are unique per user: a restarted server adds one of its own.
			label: options.fresh === false ? `demo-${Date.now()}` : 'demo',
			expiresAt: null,
			scopes: API_SCOPES,
		});
		apiKey = created?.data?.rawApiKey ?? created?.rawApiKey ?? created?.data?.apiKey;
		if (!apiKey) throw new Error(`Could not create an n8n API key: ${JSON.stringify(created)}`);
	} catch (error) {
		// Nothing of a server that could not be set up outlives this.
		await server.stop();
		throw error;
	}
	return server;
}

const API_SCOPES = [
	'credential:create',
	'credential:delete',
	'workflow:create',
	'workflow:read',
	'workflow:update',
	'workflow:delete',
	'workflow:list',
	'workflow:activate',
	'workflow:deactivate',
	'execution:read',
	'execution:list',
];

module.exports = { startN8n, ensureN8n, PACKAGE_NAME, ROOT };
