// @ts-check
/**
 * n8n's debug log, read back as stages: each execution's start and finish, each node's run inside
 * it, and the saving of its data. n8n writes the log as JSON lines when started with
 * `N8N_LOG_OUTPUT=console,file` (`<user folder>/.n8n/logs/n8n.log`, rotated at 16 MB).
 */
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');

/** The env that makes n8n write its debug log where `readLog` finds it. */
const LOG_ENV = { N8N_LOG_LEVEL: 'debug', N8N_LOG_OUTPUT: 'console,file' };

/**
 * @typedef {{ t: number, message: string, meta: Record<string, any> }} LogEvent
 * @typedef {{ name: string, start: number, ms: number }} NodeRun
 * @typedef {{
 *   workflowId: string, executionId?: string, start: number, end?: number,
 *   nodes: NodeRun[], saveStart?: number, saveEnd?: number,
 * }} ExecutionStages
 */

/**
 * Every event in the JSON log files of these user folders (main instance and workers), by time.
 * @param {string[]} userFolders
 * @returns {LogEvent[]}
 */
function readLog(userFolders) {
	/** @type {LogEvent[]} */
	const events = [];
	for (const folder of userFolders) {
		const dir = path.join(folder, '.n8n', 'logs');
		if (!existsSync(dir)) continue;
		for (const file of readdirSync(dir).filter((f) => f.startsWith('n8n'))) {
			for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
				if (!line.startsWith('{')) continue;
				try {
					const entry = JSON.parse(line);
					const meta = entry.metadata ?? {};
					const t = Date.parse(entry.timestamp ?? meta.timestamp);
					if (Number.isFinite(t)) events.push({ t, message: String(entry.message), meta });
				} catch {
					// a line cut by rotation
				}
			}
		}
	}
	return events.sort((a, b) => a.t - b.t);
}

/**
 * The executions in the log since `since` (ms), with their node runs and saving. n8n logs node runs
 * by workflow, not by execution; executions of one workflow here run one after another (the
 * per-file sub-workflow is called once per file, waiting for each), so each node run belongs to
 * the open execution of its workflow.
 * @param {LogEvent[]} events @param {number} since
 * @returns {ExecutionStages[]}
 */
function executionStages(events, since) {
	/** @type {ExecutionStages[]} */
	const executions = [];
	/** @type {Map<string, ExecutionStages>} open execution per workflow */
	const open = new Map();
	/** @type {Map<string, number>} node start per workflow and node */
	const nodeStart = new Map();
	/** @type {Map<string, ExecutionStages[]>} finished, not yet saved, per workflow */
	const unsaved = new Map();
	/** @type {Map<string, ExecutionStages>} saving, per execution id */
	const saving = new Map();
	for (const e of events) {
		if (e.t < since) continue;
		const workflowId = String(e.meta.workflowId ?? '');
		if (e.message === 'Workflow execution started') {
			const x = { workflowId, start: e.t, nodes: [] };
			executions.push(x);
			open.set(workflowId, x);
			continue;
		}
		const node = /^Running node "(.+)" (started|finished)/.exec(e.message);
		if (node) {
			const key = `${workflowId}\0${node[1]}`;
			if (node[2] === 'started') nodeStart.set(key, e.t);
			else {
				const started = nodeStart.get(key);
				open
					.get(workflowId)
					?.nodes.push({ name: node[1], start: started ?? e.t, ms: e.t - (started ?? e.t) });
			}
			continue;
		}
		if (e.message.startsWith('Workflow execution finished')) {
			const x = open.get(workflowId);
			if (!x) continue;
			x.end = e.t;
			open.delete(workflowId);
			unsaved.set(workflowId, [...(unsaved.get(workflowId) ?? []), x]);
			continue;
		}
		if (e.message.startsWith('Save execution data to database')) {
			const x = unsaved.get(workflowId)?.shift();
			if (!x) continue;
			x.executionId = String(e.meta.executionId);
			x.saveStart = e.t;
			saving.set(x.executionId, x);
			continue;
		}
		if (e.message === 'Execution finalized' || e.message.startsWith('Execution removed')) {
			const x = saving.get(String(e.meta.executionId));
			if (x && x.saveEnd === undefined) x.saveEnd = e.t;
		}
	}
	return executions;
}

/** Total ms of a node's runs in an execution. @param {ExecutionStages} x @param {string} name */
const nodeMs = (x, name) =>
	x.nodes.filter((n) => n.name === name).reduce((sum, n) => sum + n.ms, 0);

/**
 * What n8n was doing at time `t`: the innermost node running then, or the saving of an execution.
 * @param {ExecutionStages[]} executions @param {number} t
 */
function stageAt(executions, t) {
	for (const x of executions)
		if (x.saveStart !== undefined && t >= x.saveStart && t <= (x.saveEnd ?? Infinity))
			return `saving execution ${x.executionId}`;
	/** @type {NodeRun | undefined} */
	let found;
	for (const x of executions)
		for (const n of x.nodes)
			if (t >= n.start && t <= n.start + n.ms && (!found || n.start >= found.start)) found = n;
	return found ? found.name : 'between nodes';
}

module.exports = { LOG_ENV, readLog, executionStages, nodeMs, stageAt };
