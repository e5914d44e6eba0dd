#!/usr/bin/env node
// @ts-check
/**
 * Where the Postgres node's time goes: the bench's 350 upserts of 1,000 rows each
 * (`json_populate_recordset`, the example's statement), sent straight from Node.js with `pg` and
 * `pg-promise` from n8n's own installation, no n8n, beside `psql \copy` of the same file.
 * `node scripts/bench-pg-direct.js` (PostgreSQL as the bench starts it; n8n installed by
 * scripts/ensure-n8n.sh). The batches are the table's rows as PostgreSQL's `json_agg` writes them.
 */
const path = require('node:path');

const { startPostgres } = require('./lib/postgres');
const { userCsvGz } = require('./lib/benchData');
const { tableSql, insertSql } = require('./lib/benchDb');
const { copyFloor } = require('./lib/copyFloor');
const { ensureN8n } = require('./lib/n8n');

const ROWS = 350_000;
const modules = path.join(path.dirname(ensureN8n().bin), '..', '..');
const pg = require(path.join(modules, 'pg'));
const pgp = require(path.join(modules, 'pg-promise'))();
const out = (/** @type {string} */ t) => process.stdout.write(`${t}\n`);

(async () => {
	const postgres = await startPostgres({ databases: ['b'] });
	try {
		const gz = userCsvGz(ROWS);
		const floor = copyFloor(postgres, [gz], {
			database: 'b',
			table: 'src',
			createSql: tableSql('src'),
			rows: ROWS,
		});
		out(
			`\\copy of the file: ${floor.copyMs.toFixed(0)} ms (gunzip ${floor.gunzipMs.toFixed(0)} ms)`,
		);
		const connection = {
			host: postgres.host,
			port: postgres.port,
			user: 'postgres',
			database: 'b',
		};
		const client = new pg.Client(connection);
		await client.connect();
		/** @type {string[]} */
		const batches = [];
		const ids = (await client.query('select id from src order by id')).rows.map(
			(/** @type {{ id: string }} */ r) => r.id,
		);
		for (let i = 0; i < ids.length; i += 1000) {
			const last = ids[Math.min(i + 999, ids.length - 1)];
			const r = await client.query(
				'select json_agg(s)::text as j from src s where id >= $1 and id <= $2',
				[ids[i], last],
			);
			batches.push(r.rows[0].j);
		}
		out(`${batches.length} batches, ${batches.reduce((a, b) => a + b.length, 0)} bytes of JSON`);
		const fresh = () => {
			postgres.psql('drop table if exists t', { database: 'b' });
			postgres.psql(tableSql('t'), { database: 'b' });
		};
		const upsert = insertSql('t');
		/** @type {Array<[string, (batch: string) => Promise<unknown>]>} */
		const ways = [
			['pg, server-side $1, the example upsert', (b) => client.query(upsert, [b])],
			[
				"pg-promise's client-side formatting (as n8n's Postgres node), the example upsert",
				(b) => client.query(pgp.as.format(upsert, [b])),
			],
			[
				'pg, server-side $1, plain insert',
				(b) =>
					client.query('insert into t select * from json_populate_recordset(null::t, $1::json)', [
						b,
					]),
			],
		];
		for (const round of [1, 2])
			for (const [label, send] of ways) {
				fresh();
				const t0 = Date.now();
				for (const b of batches) await send(b);
				out(`round ${round}: ${label}: ${Date.now() - t0} ms`);
			}
		await client.end();
	} finally {
		await postgres.stop();
	}
})().catch((error) => {
	console.error(error);
	process.exit(1);
});
