import type {
	IDataObject,
	INodeExecutionData,
	INodeProperties,
	IPairedItemData,
} from 'n8n-workflow';

import { IMPORT_KEY, type ImportFile, type ImportMetadata } from '../../lib/importMetadata';

/**
 * How the Field Mapper hands mapped rows on.
 * - `rows`, metadata `item` (version 3): one item per row whose JSON is the mapped fields only, so
 *   a database node's "Map Automatically" takes it as it is; the import metadata travels beside the
 *   JSON (`item._import`), where the Account Matcher and the PX Status Writer read it.
 * - `rows`, metadata `json` (versions 1 and 2, or the option in version 3): `json._import` too.
 * - `batches`: one item per `rowsPerBatch` rows: `json.rows` holds the rows, `json._import` the
 *   file and the first and last row, for a destination that takes many rows per call. With
 *   `rowsAs: 'text'` the rows are one JSON text: a SQL parameter or a request body takes it as it
 *   is, where an expression that stringifies an array reads every value of it through n8n's
 *   expression engine (the bench measured that as most of an import's time).
 */
export interface RowOutput {
	form: 'rows' | 'batches';
	metadata: 'item' | 'json';
	rowsPerBatch: number;
	rowsAs?: 'array' | 'text';
}

/** The Field Mapper's Output parameters (from its version 3), and the Account Matcher's for matched rows. */
export const outputProperties = (
	show: NonNullable<INodeProperties['displayOptions']>['show'] = {},
	rowsAre = 'the mapped fields only, ready for a node that maps fields to columns (the Account Matcher works on rows)',
): INodeProperties[] => [
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'One Item per Row',
				value: 'rows',
				description: `Each row is an item with ${rowsAre}`,
			},
			{
				name: 'One Item per Batch of Rows',
				value: 'batches',
				description:
					'Each item holds many rows in its "rows" field: one call per batch to a database or bulk API, much faster for large files',
			},
		],
		default: 'rows',
		displayOptions: { show },
	},
	{
		displayName: 'Rows per Batch',
		name: 'rowsPerBatch',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 1000,
		description:
			'How many rows each item holds. One insert statement or request per batch: 1,000 suits most databases and bulk APIs.',
		displayOptions: { show: { ...show, output: ['batches'] } },
	},
	{
		displayName: 'Rows As',
		name: 'rowsAs',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Array',
				value: 'array',
				description: 'The rows as an array of objects, for a Code node or a node that reads fields',
			},
			{
				name: 'JSON Text',
				value: 'text',
				description:
					'The rows as one JSON text, passed as it is to a SQL parameter or a request body: the fastest for large files',
			},
		],
		default: 'array',
		displayOptions: { show: { ...show, output: ['batches'] } },
	},
	{
		displayName:
			'Each item is {"rows": …rows…, "_import": {file, row (the first), lastRow, rowCount}}. In the Postgres node, Execute Query, one statement per item: insert into my_table select * from json_populate_recordset(null::my_table, $1::json), with Query Parameters {{ $json.rows }} for JSON Text ({{ JSON.stringify($json.rows) }} for an array, much slower).',
		name: 'batchNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { ...show, output: ['batches'] } },
	},
];

/** The Output parameters as the node's settings (version 3 of the Field Mapper, the Account Matcher). */
export function rowOutputOf(
	parameter: (name: string, fallback: unknown) => unknown,
	metadata: RowOutput['metadata'],
): RowOutput {
	return {
		form: parameter('output', 'rows') === 'batches' ? 'batches' : 'rows',
		metadata,
		rowsPerBatch: parameter('rowsPerBatch', 1000) as number,
		rowsAs: parameter('rowsAs', 'array') === 'text' ? 'text' : 'array',
	};
}

/** A batch's rows as the output wants them: the array, or one JSON text. */
function batchRows(rows: ReadonlyArray<Record<string, unknown>>, output: RowOutput) {
	return output.rowsAs === 'text' ? JSON.stringify(rows) : (rows as IDataObject[]);
}

function distinctPairs(
	start: number,
	end: number,
	pairedOf: (index: number) => IPairedItemData,
): IPairedItemData[] {
	const seen = new Map<string, IPairedItemData>();
	for (let i = start; i < end; i++) {
		const p = pairedOf(i);
		seen.set(`${p.input ?? 0}:${p.item}`, p);
	}
	return [...seen.values()];
}

/** The v3 option that puts `_import` into each row's JSON, as versions 1 and 2 did. */
export const METADATA_IN_ROWS_OPTION: INodeProperties = {
	displayName: 'Add Import Metadata to Each Row',
	name: 'importMetadataInRows',
	type: 'boolean',
	default: false,
	description:
		'Whether each row’s JSON gets an _import field (file and row, e.g. for an idempotency key). Off, a row holds only its mapped fields, and the status writer still traces it.',
	displayOptions: { show: { '/output': ['rows'], '@version': [{ _cnd: { gte: 3 } }] } },
};

/**
 * Items for one file's mapped rows, in the requested form. `rowOf(i)` is the file row of `rows[i]`;
 * `paired` the input item the rows came from (one file item), or each row's own (row items).
 */
export function rowItems(
	rows: ReadonlyArray<Record<string, unknown>>,
	rowOf: (index: number) => number,
	file: ImportFile,
	paired: IPairedItemData | ((index: number) => IPairedItemData),
	output: RowOutput,
): INodeExecutionData[] {
	const pairedOf = typeof paired === 'function' ? paired : () => paired;
	const items: INodeExecutionData[] = [];
	if (output.form === 'batches') {
		const size = Math.max(1, Math.floor(output.rowsPerBatch));
		for (let start = 0; start < rows.length; start += size) {
			const end = Math.min(rows.length, start + size);
			const meta: ImportMetadata = {
				file,
				row: rowOf(start),
				lastRow: rowOf(end - 1),
				rowCount: end - start,
			};
			const pairedItem =
				typeof paired === 'function' ? distinctPairs(start, end, pairedOf) : paired;
			items.push({
				json: {
					rows: batchRows(rows.slice(start, end), output),
					[IMPORT_KEY]: meta as unknown as IDataObject,
				},
				pairedItem,
			});
		}
		return items;
	}
	for (let i = 0; i < rows.length; i++) {
		const json = rows[i] as IDataObject;
		const meta = { file, row: rowOf(i) } as unknown as IDataObject;
		if (output.metadata === 'json') {
			json[IMPORT_KEY] = meta;
			items.push({ json, pairedItem: pairedOf(i) });
		} else items.push({ json, [IMPORT_KEY]: meta, pairedItem: pairedOf(i) });
	}
	return items;
}

/** A row to hand on: its fields (without `_import`), its import metadata, and the input item it came from. */
export interface RowToHandOn {
	json: Record<string, unknown>;
	meta?: ImportMetadata;
	paired: IPairedItemData;
}

/**
 * Items for rows that came as items (the Field Mapper's Rows input, the Account Matcher's matched
 * rows): each row's metadata goes where the output wants it; a batch holds consecutive rows of one
 * file, paired with every input item its rows came from.
 */
export function handOnRows(rows: readonly RowToHandOn[], output: RowOutput): INodeExecutionData[] {
	const items: INodeExecutionData[] = [];
	let start = 0;
	while (start < rows.length) {
		const file = rows[start].meta?.file;
		let end = start + 1;
		while (end < rows.length && rows[end].meta?.file === file) end++;
		const group = rows.slice(start, end);
		const fields = group.map((r) => r.json);
		const pairedOf = (i: number): IPairedItemData => group[i].paired;
		if (file) {
			const rowOf = (i: number) => group[i].meta?.row ?? i + 1;
			for (const item of rowItems(fields, rowOf, file, pairedOf, output)) items.push(item);
		} else if (output.form === 'batches') {
			const size = Math.max(1, Math.floor(output.rowsPerBatch));
			for (let b = 0; b < fields.length; b += size) {
				const pairedItem = group.slice(b, b + size).map((r) => r.paired);
				items.push({ json: { rows: batchRows(fields.slice(b, b + size), output) }, pairedItem });
			}
		} else
			fields.forEach((json, i) =>
				items.push({ json: json as IDataObject, pairedItem: pairedOf(i) }),
			);
		start = end;
	}
	return items;
}

/** A row's fields without `_import` (copied only when it has one). */
export function withoutImport(json: Record<string, unknown>): Record<string, unknown> {
	if (!(IMPORT_KEY in json)) return json;
	const copy = { ...json };
	delete copy[IMPORT_KEY];
	return copy;
}
