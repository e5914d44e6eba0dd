// @ts-check
/**
 * The floor for loading a CSV file into PostgreSQL: `gunzip` alone, and `psql \copy` of the same
 * rows (the same CSV, decompressed) into the same table, timed from the outside as a person
 * would run them.
 */
const { execFileSync } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

/** @param {() => void} fn */
const timed = (fn) => {
	const started = process.hrtime.bigint();
	fn();
	return Number(process.hrtime.bigint() - started) / 1e6;
};

/**
 * Times, for these gzipped CSV files: `gzip -dc` of each to a plain file, then `\copy` of each
 * plain file into `table` (created empty here, like `likeTable`), then checks the row count.
 * @param {import('./postgres').Postgres} postgres
 * @param {Buffer[]} gzFiles
 * @param {{ database: string, table: string, createSql: string, rows: number }} into
 * @returns {{ gunzipMs: number, copyMs: number, rows: number }}
 */
function copyFloor(postgres, gzFiles, into) {
	const dir = mkdtempSync(path.join(tmpdir(), 'bench-copy-'));
	try {
		postgres.psql(`drop table if exists ${into.table}`, { database: into.database });
		postgres.psql(into.createSql, { database: into.database });
		const plain = gzFiles.map((gz, i) => {
			const file = path.join(dir, `users-${i}.csv.gz`);
			writeFileSync(file, gz);
			return file;
		});
		let gunzipMs = 0;
		for (const file of plain) gunzipMs += timed(() => execFileSync('gzip', ['-d', file]));
		let copyMs = 0;
		for (const file of plain) {
			const csv = file.replace(/\.gz$/, '');
			copyMs += timed(() =>
				execFileSync(
					path.join(postgres.bin, 'psql'),
					[
						'-h',
						postgres.host,
						'-p',
						String(postgres.port),
						'-U',
						postgres.user,
						'-d',
						into.database,
						'-v',
						'ON_ERROR_STOP=1',
						'-qAtX',
						'-c',
						`\\copy ${into.table} from '${csv}' with (format csv, header true)`,
					],
					{ stdio: ['ignore', 'ignore', 'pipe'] },
				),
			);
		}
		const rows = Number(
			postgres.psql(`select count(*) from ${into.table}`, { database: into.database }),
		);
		if (rows !== into.rows) throw new Error(`\\copy loaded ${rows} rows, not ${into.rows}`);
		return { gunzipMs, copyMs, rows };
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

module.exports = { copyFloor };
