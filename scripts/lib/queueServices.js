// @ts-check
/**
 * Redis and PostgreSQL for n8n's queue mode, started on free 127.0.0.1 ports in a temporary
 * folder and stopped afterwards. Debian's `redis-server` and `postgresql` packages are installed
 * the first time if they are missing (as root, with apt-get), so nothing is needed by hand.
 */
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readdirSync, rmSync, chmodSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const { freePort } = require('./moto');

function postgresBin() {
	const root = '/usr/lib/postgresql';
	if (!existsSync(root)) return undefined;
	const versions = readdirSync(root)
		.filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
		.sort((a, b) => Number(b) - Number(a));
	return versions.length > 0 ? path.join(root, versions[0], 'bin') : undefined;
}

/** Installs Debian's redis-server and postgresql when they are not there yet. */
function ensureQueueServices() {
	const haveRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
	if (haveRedis && postgresBin()) return;
	if (process.getuid?.() !== 0) {
		throw new Error(
			'Queue mode needs redis-server and PostgreSQL: apt-get install redis-server postgresql (as root), then run again.',
		);
	}
	process.stderr.write('[queue] Installing redis-server and postgresql from Debian (once)...\n');
	execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
	execFileSync(
		'apt-get',
		['install', '-y', '-qq', '--no-install-recommends', 'redis-server', 'postgresql'],
		{
			stdio: 'inherit',
			env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
		},
	);
}

/** @param {string} cmd @param {string[]} args @param {boolean} asPostgres */
function run(cmd, args, asPostgres) {
	const [c, a] = asPostgres ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
	execFileSync(c, a, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * @returns {Promise<{ env: Record<string, string>, stop(): Promise<void> }>} n8n's queue-mode
 *   environment (Redis, PostgreSQL) and a stop function
 */
async function startQueueServices() {
	ensureQueueServices();
	const bin = postgresBin();
	if (!bin) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql');
	const dir = mkdtempSync(path.join(tmpdir(), 'n8n-queue-'));
	chmodSync(dir, 0o777);
	const asPostgres = process.getuid?.() === 0;
	const redisPort = await freePort();
	const pgPort = await freePort();

	const redis = spawn(
		'redis-server',
		[
			'--port',
			String(redisPort),
			'--bind',
			'127.0.0.1',
			'--save',
			'',
			'--appendonly',
			'no',
			'--dir',
			dir,
		],
		{ stdio: 'ignore', detached: true },
	);
	const data = path.join(dir, 'pg');
	run(
		path.join(bin, 'initdb'),
		['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
		asPostgres,
	);
	run(
		path.join(bin, 'pg_ctl'),
		[
			'-D',
			data,
			'-l',
			path.join(dir, 'pg.log'),
			'-w',
			'-o',
			`-p ${pgPort} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
			'start',
		],
		asPostgres,
	);
	run(
		path.join(bin, 'createdb'),
		['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'postgres', 'n8n'],
		false,
	);

	// Redis answers PING once it is up.
	const deadline = Date.now() + 20_000;
	for (;;) {
		const ping = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(redisPort), 'ping'], {
			encoding: 'utf8',
		});
		if (ping.stdout?.trim() === 'PONG') break;
		if (Date.now() > deadline) throw new Error('redis-server did not start');
		await new Promise((r) => setTimeout(r, 100));
	}
	return {
		env: {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(redisPort),
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(pgPort),
			DB_POSTGRESDB_DATABASE: 'n8n',
			DB_POSTGRESDB_USER: 'postgres',
			DB_POSTGRESDB_PASSWORD: '',
			// Workers run the executions, including manual ones.
			OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		},
		stop: async () => {
			try {
				run(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], asPostgres);
			} catch {
				// already stopped
			}
			try {
				if (redis.pid) process.kill(-redis.pid, 'SIGKILL');
			} catch {
				redis.kill('SIGKILL');
			}
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

module.exports = { startQueueServices, ensureQueueServices };
