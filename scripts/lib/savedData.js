// @ts-check
/**
 * What n8n saved of each execution: its status and the size of its data (the run data n8n
 * serialised into `execution_data.data`), read from n8n's own database: SQLite in regular mode
 * (through Node 24's `node:sqlite`, the runtime n8n runs on), PostgreSQL in queue mode.
 */
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const { ensureN8n } = require('./n8n');

/**
 * `saved: false`: n8n deleted the execution when it ended, as its workflow's settings ask (a
 * per-file workflow that saves failed executions only). n8n deletes only what it does not save, and
 * saves failures, so such an execution succeeded. (With pruning on, n8n's default, the row stays
 * for a while with `deletedAt` set and its last status, `running`, never updated.)
 * @typedef {{ id: string, workflowId: string, status: string, bytes: number, saved: boolean }} SavedExecution
 */

/** @param {Array<SavedExecution & { deleted?: unknown }>} rows @returns {SavedExecution[]} */
const withSaved = (rows) =>
	rows.map(({ deleted, ...x }) =>
		deleted ? { ...x, status: 'success', bytes: 0, saved: false } : { ...x, saved: true },
	);

/**
 * @param {{ userFolder?: string, postgres?: import('./postgres').Postgres, database?: string }} from
 *   `userFolder` for SQLite (regular mode), or `postgres` (+ `database`, default n8n) for queue mode
 * @returns {SavedExecution[]}
 */
function savedExecutions(from) {
	if (from.postgres) {
		const text = from.postgres.psql(
			`select coalesce(json_agg(x order by x.id), '[]') from (
				select e.id::text as id, e."workflowId" as "workflowId", e.status,
					coalesce(octet_length(d.data), 0) as bytes, e."deletedAt" is not null as deleted
				from execution_entity e left join execution_data d on d."executionId" = e.id) x`,
			{ database: from.database ?? 'n8n' },
		);
		return withSaved(JSON.parse(text || '[]'));
	}
	if (!from.userFolder) throw new Error('savedExecutions: userFolder or postgres');
	const file = path.join(from.userFolder, '.n8n', 'database.sqlite');
	const script = `
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(process.argv[1], { readOnly: true });
const rows = db.prepare(\`select cast(e.id as text) as id, e.workflowId as workflowId, e.status as status,
	coalesce(length(cast(d.data as blob)), 0) as bytes, e.deletedAt is not null as deleted
	from execution_entity e left join execution_data d on d.executionId = e.id order by e.id\`).all();
process.stdout.write(JSON.stringify(rows));`;
	const out = execFileSync(ensureN8n().node, ['--no-warnings', '-e', script, file], {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	return withSaved(JSON.parse(out));
}

module.exports = { savedExecutions };
