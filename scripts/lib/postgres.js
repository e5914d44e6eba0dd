// @ts-check
/**
 * A throwaway PostgreSQL server (Debian's `postgresql` package): a new cluster in a temporary folder,
 * listening on a free 127.0.0.1 port, stopped and removed afterwards. As root, the package is
 * installed with apt-get the first time if it is missing.
 */
const { execFileSync, spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readdirSync, rmSync, chmodSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const { freePort } = require('./moto');

/** The newest installed PostgreSQL's bin folder, if any. */
function postgresBin() {
	const root = '/usr/lib/postgresql';
	if (!existsSync(root)) return undefined;
	const versions = readdirSync(root)
		.filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
		.sort((a, b) => Number(b) - Number(a));
	return versions.length > 0 ? path.join(root, versions[0], 'bin') : undefined;
}

/** Installs Debian's postgresql when it is missing (as root); false when it cannot be. */
function ensurePostgres() {
	if (postgresBin()) return true;
	if (process.getuid?.() !== 0) return false;
	process.stderr.write('[postgres] Installing postgresql from Debian (once)...\n');
	try {
		execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
		execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], {
			stdio: 'inherit',
			env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
		});
	} catch {
		return false;
	}
	return postgresBin() !== undefined;
}

/** @param {string} cmd @param {string[]} args @param {boolean} asPostgres */
function run(cmd, args, asPostgres) {
	const [c, a] = asPostgres ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
	return execFileSync(c, a, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * @typedef {{
 *   host: string, port: number, user: string, database: string, bin: string, dir: string,
 *   psql(sql: string, options?: { database?: string }): string,
 *   stop(): Promise<void>,
 * }} Postgres
 */

/**
 * Starts a cluster with one database (`databases[0]`, default `postgres`; more are created too),
 * user `postgres` with trust authentication on 127.0.0.1.
 * @param {{ databases?: string[], settings?: Record<string, string> }} [options]
 * @returns {Promise<Postgres>}
 */
async function startPostgres(options = {}) {
	if (!ensurePostgres()) {
		throw new Error(
			'PostgreSQL is not installed and cannot be installed here: apt-get install postgresql (as root), then run again.',
		);
	}
	const bin = /** @type {string} */ (postgresBin());
	const dir = mkdtempSync(path.join(tmpdir(), 'pg-'));
	chmodSync(dir, 0o777);
	const asPostgres = process.getuid?.() === 0;
	const port = await freePort();
	const data = path.join(dir, 'data');
	run(
		path.join(bin, 'initdb'),
		['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
		asPostgres,
	);
	const settings = { listen_addresses: '127.0.0.1', fsync: 'off', ...(options.settings ?? {}) };
	run(
		path.join(bin, 'pg_ctl'),
		[
			'-D',
			data,
			'-l',
			path.join(dir, 'pg.log'),
			'-w',
			'-o',
			[`-p ${port}`, `-k ${dir}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(
				' ',
			),
			'start',
		],
		asPostgres,
	);
	const databases = options.databases ?? [];
	for (const name of databases) {
		run(
			path.join(bin, 'createdb'),
			['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', name],
			false,
		);
	}
	const database = databases[0] ?? 'postgres';
	return {
		host: '127.0.0.1',
		port,
		user: 'postgres',
		database,
		bin,
		dir,
		psql: (sql, o = {}) =>
			execFileSync(
				path.join(bin, 'psql'),
				[
					'-h',
					'127.0.0.1',
					'-p',
					String(port),
					'-U',
					'postgres',
					'-d',
					o.database ?? database,
					'-v',
					'ON_ERROR_STOP=1',
					'-AtX',
					'-c',
					sql,
				],
				{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
			),
		stop: async () => {
			try {
				run(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], asPostgres);
			} catch {
				// already stopped
			}
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

/** Whether `psql` and a server can be had here (installed, or installable as root). */
function postgresAvailable() {
	return (
		postgresBin() !== undefined ||
		(process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).status === 0)
	);
}

module.exports = { startPostgres, ensurePostgres, postgresBin, postgresAvailable };
