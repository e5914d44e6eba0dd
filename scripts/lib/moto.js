// @ts-check
/** Starts and stops moto_server, the local S3 (and IAM/STS) server used by the tests, demo and bench. */
const { spawn, spawnSync } = require('node:child_process');
const { createServer } = require('node:net');

const INSTALL_HINT =
	'moto_server was not found on PATH. The tests, the demo and the benchmark run against a real S3 server: install it with\n' +
	"  pip install 'moto[server]'\n" +
	'(or `pipx install "moto[server]"`), then run again. Set MOTO_SERVER to its path if it is elsewhere.';

/** @returns {string} the moto_server command, or throws with how to install it */
function motoCommand() {
	const command = process.env.MOTO_SERVER || 'moto_server';
	const found = spawnSync(command, ['--help'], { stdio: 'ignore' });
	if (found.error || found.status !== 0) throw new Error(INSTALL_HINT);
	return command;
}

/** @returns {Promise<number>} a free TCP port on 127.0.0.1 */
function freePort() {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

/**
 * @typedef {{ endpoint: string, port: number, pid: number | undefined, stop(): Promise<void> }} MotoServer
 */

/**
 * Starts moto_server on a free 127.0.0.1 port. `env` can turn on IAM enforcement
 * (INITIAL_NO_AUTH_ACTION_COUNT).
 * @param {Record<string, string>} [env]
 * @returns {Promise<MotoServer>}
 */
async function startMoto(env = {}) {
	const command = motoCommand();
	const port = await freePort();
	let log = '';
	const child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], {
		env: { ...process.env, ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const keep = (/** @type {Buffer} */ d) => (log = (log + d.toString()).slice(-4000));
	child.stdout?.on('data', keep);
	child.stderr?.on('data', keep);
	const endpoint = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + 20_000;
	for (;;) {
		if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${log}`);
		try {
			const response = await fetch(`${endpoint}/moto-api/`);
			if (response.status < 500) break;
		} catch {
			// not up yet
		}
		if (Date.now() > deadline) throw new Error(`moto_server did not start within 20 s: ${log}`);
		await new Promise((r) => setTimeout(r, 100));
	}
	return {
		endpoint,
		port,
		pid: child.pid,
		stop: () =>
			new Promise((resolve) => {
				if (child.exitCode !== null) return resolve();
				child.once('exit', () => resolve());
				child.kill('SIGTERM');
				setTimeout(() => child.kill('SIGKILL'), 3000).unref();
			}),
	};
}

module.exports = { startMoto, freePort, motoCommand };
