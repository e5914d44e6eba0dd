// @ts-check
/**
 * Redis and PostgreSQL for n8n's queue mode, started on free 127.0.0.1 ports in a temporary
 * folder and stopped afterwards. Debian's `redis-server` and `postgresql` packages are installed
 * the first time if they are missing (as root, with apt-get), so nothing is needed by hand.
 */
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const { mkdtempSync, rmSync, chmodSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const { freePort } = require('./moto');
const { startPostgres, postgresBin } = require('./postgres');

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

/**
 * @returns {Promise<{ env: Record<string, string>, postgres: import('./postgres').Postgres, stop(): Promise<void> }>} n8n's queue-mode
 *   environment (Redis, PostgreSQL) and a stop function
 */
async function startQueueServices() {
	ensureQueueServices();
	const dir = mkdtempSync(path.join(tmpdir(), 'n8n-queue-'));
	chmodSync(dir, 0o777);
	const redisPort = await freePort();

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
	const pg = await startPostgres({ databases: ['n8n'] });

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
			DB_POSTGRESDB_PORT: String(pg.port),
			DB_POSTGRESDB_DATABASE: 'n8n',
			DB_POSTGRESDB_USER: 'postgres',
			DB_POSTGRESDB_PASSWORD: '',
			// Workers run the executions, including manual ones.
			OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		},
		/** The PostgreSQL server n8n uses, which tests may use for their own databases too. */
		postgres: pg,
		stop: async () => {
			await pg.stop();
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
