// @ts-check
/**
 * The database benchmark's pieces: its table, its field list, the shipped marker-folder example
 * edited for them (ours), and the Code-node pipeline an expert builds with n8n's built-in nodes
 * (code). Both insert into the same table with n8n's Postgres node, one statement per 1,000 rows.
 */
const { loadExample, pointAt } = require('./demo');
const { FIELDS, HEADER } = require('./benchData');
const { PACKAGE_NAME } = require('./n8n');

const TABLE = 'bench_users';

/**
 * The benchmark file's 12 columns as typed columns, named as in the CSV header, so that
 * `psql \copy … (format csv, header)` loads the same file into the same table.
 * @param {string} [table]
 */
const tableSql = (table = TABLE) => `create table ${table} (
	id text primary key, email text, name text, account_crm_id text, signup_date date,
	last_seen timestamptz, score numeric, active boolean, plan text, country text,
	seats integer, mrr numeric
)`;

/**
 * The Field Mapper's fields for the table: the benchmark's 12 typed fields, each target named as
 * its CSV column (the column of the table), in the form the Field Mapper's fixed collection holds.
 */
const DB_FIELDS = FIELDS.map((f) => ({
	target: String(f.source ?? f.target),
	source: '',
	type: f.type,
	required: f.required === true,
	dateFormat: f.dateFormat ?? '',
	userReference: false,
}));
if (DB_FIELDS.map((f) => f.target).join() !== HEADER.join())
	throw new Error('the database fields must be the CSV header, in order');

/** The example's statement for the bench's table: one insert per batch item, re-delivery harmless. */
const insertSql = (/** @type {string} */ table = TABLE) =>
	`insert into ${table}\nselect * from json_populate_recordset(null::${table}, $1::json)\non conflict (id) do update set ${HEADER.slice(
		1,
	)
		.map((c) => `${c} = excluded.${c}`)
		.join(', ')}`;

/**
 * How the batch's rows reach the statement's $1 (the Postgres node's Query Parameters). Under n8n's
 * default ("vm") expression engine an expression reads `$json` through a bridge, one call per
 * value; `$('Node').item` is copied across in one call.
 * - `stringify`: the example's `{{ JSON.stringify($json.rows) }}` (the node evaluates it twice per
 *   item, then JSON-parses the text once to see whether it is JSON);
 * - `array`: `{{ [JSON.stringify($json.rows)] }}`: an array is taken as the parameters as they are,
 *   so the node evaluates the expression once and does not parse the text again;
 * - `item`: `{{ [JSON.stringify($('<node>').item.json.rows)] }}`, the item in one copy, once;
 * - `text`: `{{ $json.rows }}`, for rows that already are JSON text.
 * @typedef {'stringify' | 'array' | 'item' | 'text'} QueryParameter
 * @type {Record<QueryParameter, (rowsNode: string) => string>}
 */
const QUERY_PARAMETERS = {
	stringify: () => '={{ JSON.stringify($json.rows) }}',
	array: () => '={{ [JSON.stringify($json.rows)] }}',
	item: (rowsNode) => `={{ [JSON.stringify($(${JSON.stringify(rowsNode)}).item.json.rows)] }}`,
	text: () => '={{ $json.rows }}',
};

/**
 * @typedef {{ bucket: string, receiverUrl: string, s3: string, callback: string, postgres?: string, fileWorkflow?: string }} DemoPoints
 * @typedef {{ table?: string, rowsPerBatch?: number, queryParameter?: QueryParameter, fileSettings?: Record<string, unknown> }} Variant
 */

/** @param {any} workflow @param {string} type */
const nodeOfType = (workflow, type) => {
	const found = workflow.nodes.find((/** @type {any} */ n) => n.type === type);
	if (!found) throw new Error(`${workflow.name}: no ${type} node`);
	return found;
};

/**
 * Ours, the shipped per-file example (marker-folder-import-file.json) edited for the bench: the
 * Field Mapper's fields and batch size, the Postgres node's statement and Query Parameters.
 * @param {DemoPoints} at @param {Variant} [variant]
 */
function oursFileWorkflow(at, variant = {}) {
	const workflow = loadExample('marker-folder-import-file.json');
	const mapper = nodeOfType(workflow, `${PACKAGE_NAME}.fieldMapper`);
	mapper.parameters.fields = { field: DB_FIELDS };
	mapper.parameters.rowsPerBatch = variant.rowsPerBatch ?? mapper.parameters.rowsPerBatch;
	const insert = nodeOfType(workflow, 'n8n-nodes-base.postgres');
	insert.parameters.query = insertSql(variant.table);
	if (variant.queryParameter) {
		insert.parameters.options.queryReplacement = QUERY_PARAMETERS[variant.queryParameter](
			mapper.name,
		);
		// The example hands each batch on as one JSON text; the other parameters stringify an array.
		mapper.parameters.rowsAs = variant.queryParameter === 'text' ? 'text' : 'array';
	}
	workflow.settings = { ...workflow.settings, ...(variant.fileSettings ?? {}) };
	workflow.name = `bench: ${workflow.name}`;
	return pointAt(workflow, at);
}

/**
 * Ours, the shipped parent example (marker-folder-import.json) on the bench's base folder, calling
 * the per-file workflow `at.fileWorkflow`.
 * @param {DemoPoints} at @param {string} baseFolder
 */
function oursParentWorkflow(at, baseFolder) {
	const workflow = loadExample('marker-folder-import.json');
	const trigger = nodeOfType(workflow, `${PACKAGE_NAME}.s3CsvInboundTrigger`);
	trigger.parameters.baseFolder = baseFolder;
	workflow.name = `bench: ${workflow.name}`;
	return pointAt(workflow, at);
}

/**
 * The Code node an experienced n8n user writes for the benchmark's 12 typed fields ("Run Once for
 * All Items"): one loop, plain JavaScript conversions (no luxon, no per-item expressions), the same
 * checks and output as our Field Mapper (ISO dates, null for an empty optional cell, an error on a
 * value that does not parse). `names`: the output field per CSV column; `rowsPerItem`: 0 for one
 * item per row, else items of `{ rows: [...] }` for a destination that takes many rows at once.
 * `rowsAsText`: each item's rows as one JSON text, for a statement's parameter.
 * @param {{ names: Record<string, string>, rowsPerItem?: number, rowsAsText?: boolean }} options
 */
function expertCode({ names, rowsPerItem = 0, rowsAsText = false }) {
	const n = (/** @type {string} */ column) => JSON.stringify(names[column] ?? column);
	const row = `{
    [${n('id')}]: r.id, [${n('email')}]: text(r.email), [${n('name')}]: text(r.name), [${n('account_crm_id')}]: text(r.account_crm_id),
    [${n('signup_date')}]: ymd(r.signup_date, 'signup_date'), [${n('last_seen')}]: iso(r.last_seen, 'last_seen'),
    [${n('score')}]: num(r.score, 'score'), [${n('active')}]: bool(r.active, 'active'), [${n('plan')}]: text(r.plan), [${n('country')}]: text(r.country),
    [${n('seats')}]: num(r.seats, 'seats'), [${n('mrr')}]: num(r.mrr, 'mrr'),
  }`;
	return `
const items = $input.all();
const text = (s) => (s === undefined || s === '' ? null : s);
const num = (s, f) => {
  if (s === undefined || s === '') return null;
  if (!/^[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?$/.test(s.trim())) throw new Error(f + ': not a number: ' + s);
  return Number(s);
};
const bool = (s, f) => {
  if (s === undefined || s === '') return null;
  const l = s.toLowerCase();
  if (l === 'true') return true;
  if (l === 'false') return false;
  throw new Error(f + ': not a boolean: ' + s);
};
const ymd = (s, f) => {
  if (s === undefined || s === '') return null;
  const y = +s.slice(0, 4), m = +s.slice(4, 6), d = +s.slice(6, 8);
  const t = new Date(Date.UTC(y, m - 1, d));
  if (s.length !== 8 || t.getUTCMonth() !== m - 1 || t.getUTCDate() !== d) throw new Error(f + ': not a date: ' + s);
  return s.slice(0, 4) + '-' + s.slice(4, 6) + '-' + s.slice(6, 8);
};
const iso = (s, f) => {
  if (s === undefined || s === '') return null;
  const t = new Date(s);
  if (Number.isNaN(t.getTime())) throw new Error(f + ': not a date-time: ' + s);
  return t.toISOString();
};
const mapped = new Array(items.length);
for (let i = 0; i < items.length; i++) {
  const r = items[i].json;
  if (!r.id) throw new Error('row ' + (i + 1) + ': id is required');
  mapped[i] = ${row};
}
${
	rowsPerItem > 0
		? `const out = [];
for (let i = 0; i < mapped.length; i += ${rowsPerItem}) {
  const rows = mapped.slice(i, i + ${rowsPerItem});
  out.push({ json: { rows: ${rowsAsText ? 'JSON.stringify(rows)' : 'rows'} } });
}
return out;`
		: 'return mapped.map((json) => ({ json }));'
}
`;
}

/**
 * The expert's pipeline into the same table, per file in a sub-workflow of its own (n8n's advice
 * for large data, and the shape of ours): When Executed by Another Workflow -> S3 (download) ->
 * Compression (gunzip) -> Extract From File (CSV) -> Code (the 12 typed fields, 1,000 rows per
 * item) -> Postgres (Execute Query, the same statement and Query Parameters as ours).
 * @param {{ s3: string, postgres: string }} credentials @param {string} bucket @param {Variant} [variant]
 */
function codeFileWorkflow(credentials, bucket, variant = {}) {
	const rowsPerItem = variant.rowsPerBatch ?? 1000;
	return {
		name: 'bench: import one file with the Code node',
		settings: { executionOrder: 'v1', callerPolicy: 'workflowsFromSameOwner' },
		nodes: [
			{
				id: 'c1',
				name: 'When Executed by Another Workflow',
				type: 'n8n-nodes-base.executeWorkflowTrigger',
				typeVersion: 1.1,
				position: [0, 0],
				parameters: { inputSource: 'passthrough' },
			},
			{
				id: 'c2',
				name: 'S3',
				type: 'n8n-nodes-base.s3',
				typeVersion: 1,
				position: [200, 0],
				credentials: { s3: { id: credentials.s3, name: 'bench s3' } },
				parameters: {
					resource: 'file',
					operation: 'download',
					bucketName: bucket,
					fileKey: '={{ $json.Key }}',
					binaryPropertyName: 'data',
				},
			},
			{
				id: 'c3',
				name: 'Compression',
				type: 'n8n-nodes-base.compression',
				typeVersion: 1.1,
				position: [400, 0],
				parameters: { operation: 'decompress', binaryPropertyName: 'data', outputPrefix: 'file_' },
			},
			{
				id: 'c4',
				name: 'Extract From File',
				type: 'n8n-nodes-base.extractFromFile',
				typeVersion: 1.1,
				position: [600, 0],
				parameters: { operation: 'csv', binaryPropertyName: 'file_0', options: {} },
			},
			{
				id: 'c5',
				name: 'Code',
				type: 'n8n-nodes-base.code',
				typeVersion: 2,
				position: [800, 0],
				parameters: {
					mode: 'runOnceForAllItems',
					language: 'javaScript',
					jsCode: expertCode({
						names: {},
						rowsPerItem,
						rowsAsText: variant.queryParameter === 'text',
					}),
				},
			},
			{
				id: 'c6',
				name: 'Postgres',
				type: 'n8n-nodes-base.postgres',
				typeVersion: 2.6,
				position: [1000, 0],
				credentials: { postgres: { id: credentials.postgres, name: 'bench database' } },
				parameters: {
					operation: 'executeQuery',
					query: insertSql(variant.table),
					options: {
						queryBatching: 'independently',
						queryReplacement: QUERY_PARAMETERS[variant.queryParameter ?? 'stringify']('Code'),
					},
				},
			},
		],
		connections: {
			'When Executed by Another Workflow': { main: [[{ node: 'S3', type: 'main', index: 0 }]] },
			S3: { main: [[{ node: 'Compression', type: 'main', index: 0 }]] },
			Compression: { main: [[{ node: 'Extract From File', type: 'main', index: 0 }]] },
			'Extract From File': { main: [[{ node: 'Code', type: 'main', index: 0 }]] },
			Code: { main: [[{ node: 'Postgres', type: 'main', index: 0 }]] },
		},
	};
}

/**
 * The expert's parent: Webhook -> S3 (list the folder; the empty marker is left out by the node)
 * -> Execute Sub-workflow, once per file, waiting for each. Answers when the last file is in.
 * @param {{ s3: string }} credentials @param {string} bucket @param {string} folder @param {string} fileWorkflow @param {string} path
 */
function codeParentWorkflow(credentials, bucket, folder, fileWorkflow, path) {
	return {
		name: 'bench: import a folder with the Code node',
		settings: { executionOrder: 'v1' },
		nodes: [
			{
				id: 'p1',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: path,
				parameters: {
					httpMethod: 'POST',
					path,
					responseMode: 'lastNode',
					responseData: 'allEntries',
					options: {},
				},
			},
			{
				id: 'p2',
				name: 'List Files',
				type: 'n8n-nodes-base.s3',
				typeVersion: 1,
				position: [200, 0],
				credentials: { s3: { id: credentials.s3, name: 'bench s3' } },
				parameters: {
					resource: 'file',
					operation: 'getAll',
					bucketName: bucket,
					returnAll: true,
					options: { folderKey: folder },
				},
			},
			{
				id: 'p3',
				name: 'Import Each File',
				type: 'n8n-nodes-base.executeWorkflow',
				typeVersion: 1.3,
				position: [400, 0],
				parameters: {
					workflowId: { __rl: true, value: fileWorkflow, mode: 'id' },
					workflowInputs: {
						mappingMode: 'defineBelow',
						value: {},
						matchingColumns: [],
						schema: [],
						attemptToConvertTypes: false,
						convertFieldsToString: true,
					},
					mode: 'each',
					options: { waitForSubWorkflow: true },
				},
			},
		],
		connections: {
			Webhook: { main: [[{ node: 'List Files', type: 'main', index: 0 }]] },
			'List Files': { main: [[{ node: 'Import Each File', type: 'main', index: 0 }]] },
		},
	};
}

module.exports = {
	TABLE,
	DB_FIELDS,
	tableSql,
	insertSql,
	expertCode,
	oursFileWorkflow,
	oursParentWorkflow,
	codeFileWorkflow,
	codeParentWorkflow,
	QUERY_PARAMETERS,
};
