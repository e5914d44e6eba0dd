import {
	IMPORT_KEY,
	fileIdentity,
	fileLabel,
	importOf,
	type ImportFile,
	type ImportMetadata,
} from '../importMetadata';
import { ReasonList, type FieldMapping } from './fields';
import { MATCH_KEY, modeMapping, type ModeMapping } from './modes';

export interface MappedRow {
	json: Record<string, unknown>;
	/** Index of the input item it came from. */
	source: number;
}

export interface MapResult {
	valid: MappedRow[];
	rejected: MappedRow[];
}

const carried = (item: Record<string, unknown>): Record<string, unknown> =>
	MATCH_KEY in item ? { [MATCH_KEY]: item[MATCH_KEY] } : {};

/** The item that says a whole file was rejected (strict mode) or could not be read, and why. */
export function rejectedFileJson(
	file: ImportFile | undefined,
	reasons: ReasonList,
	rows: number,
): Record<string, unknown> {
	return {
		file: fileLabel(file),
		key: file?.key,
		batchFolder: file?.batch?.folder,
		rows,
		reasons: reasons.lines(),
		reasonCount: reasons.count,
		[IMPORT_KEY]: file ? { file, row: 0 } : undefined,
	};
}

/** An item that stands for a whole file or batch that gave no rows (row 0): passed on as rejected, with its reason. */
export function problemJson(meta: ImportMetadata): Record<string, unknown> {
	const reasons = new ReasonList(1);
	if (meta.file.error) reasons.add(meta.file.error);
	return {
		...rejectedFileJson(meta.file, reasons, 0),
		...(meta.file.batch?.resume ? { resume: true } : {}),
	};
}

export function lenientRejectedJson(
	file: ImportFile | undefined,
	row: number,
	problems: string[],
	record: Record<string, unknown>,
	meta: ImportMetadata | undefined,
): Record<string, unknown> {
	const label = fileLabel(file);
	return {
		file: label,
		row,
		reasons: problems.map((p) => `${label}: ${p}`),
		...carried(record),
		[IMPORT_KEY]: meta,
	};
}

/** What an item says of its file and its columns, and the fields it carries for later nodes. */
function rowOf(item: Record<string, unknown>): {
	meta?: ImportMetadata;
	carried?: Record<string, unknown>;
} {
	const meta = importOf(item);
	if (!(MATCH_KEY in item) && item[IMPORT_KEY] === undefined) return { meta };
	const carried: Record<string, unknown> = {};
	if (MATCH_KEY in item) carried[MATCH_KEY] = item[MATCH_KEY];
	if (item[IMPORT_KEY] !== undefined) carried[IMPORT_KEY] = item[IMPORT_KEY];
	return { meta, carried };
}

const columnsOf = (item: Record<string, unknown>) =>
	Object.keys(item).filter((k) => k !== IMPORT_KEY && k !== MATCH_KEY);

/**
 * Strict mode over row items (from any node). The rows of one file are grouped by the file's
 * identity (bucket, key, ETag), never by object identity: items may have been copied on the way
 * (a Code node, queue mode), and a file with one bad value must still lose all its rows. Rows
 * without import metadata form one file. Each file goes through strict mode's one implementation
 * (lib/mapping/modes.ts), as a file read from a stream does.
 */
export function mapStrict(items: Array<Record<string, unknown>>, mapping: FieldMapping): MapResult {
	const result: MapResult = { valid: [], rejected: [] };
	const groups = new Map<string, { meta?: ImportMetadata; indices: number[] }>();
	for (let i = 0; i < items.length; i++) {
		const meta = importOf(items[i]);
		if (meta && meta.row === 0) {
			result.rejected.push({ json: problemJson(meta), source: i });
			continue;
		}
		const id = meta ? fileIdentity(meta.file) : '';
		let group = groups.get(id);
		if (!group) groups.set(id, (group = { meta, indices: [] }));
		group.indices.push(i);
	}
	for (const { meta, indices } of groups.values()) {
		const file = meta?.file;
		const mode = modeMapping(mapping, false);
		const header = file?.header ?? columnsOf(items[indices[0]]);
		if (mode.columns(header)) {
			for (let n = 0; n < indices.length; n++) {
				const item = items[indices[n]];
				const { meta: own, carried } = rowOf(item);
				mode.row(valuesOf(item, header), own?.row ?? n + 1, indices[n], carried);
			}
		}
		const rowCount = file?.rows ?? indices.length;
		const outcome = mode.finish(rowCount);
		if (outcome.fileReasons) {
			result.rejected.push({
				json: rejectedFileJson(file, outcome.fileReasons, rowCount),
				source: indices[0],
			});
			continue;
		}
		for (let k = 0; k < outcome.valid.length; k++)
			result.valid.push({ json: outcome.valid[k], source: outcome.sources[k] });
	}
	return result;
}

/** Lenient mode over row items (from any node): each row on its own, through lenient mode's one implementation. */
export function mapLenient(
	items: Array<Record<string, unknown>>,
	mapping: FieldMapping,
	keepUnmapped = false,
): MapResult {
	const result: MapResult = { valid: [], rejected: [] };
	let columns: readonly string[] | undefined;
	let mode: ModeMapping | undefined;
	const flush = () => {
		if (!mode) return;
		const outcome = mode.finish(0);
		for (let k = 0; k < outcome.valid.length; k++)
			pending.push({ at: outcome.sources[k], json: outcome.valid[k] });
		for (const r of outcome.rejectedRows) {
			const item = items[r.source];
			const meta = importOf(item);
			pending.push({
				at: r.source,
				rejected: lenientRejectedJson(meta?.file, r.row, r.problems, item, meta),
			});
		}
	};
	const pending: Array<{
		at: number;
		json?: Record<string, unknown>;
		rejected?: Record<string, unknown>;
	}> = [];
	for (let i = 0; i < items.length; i++) {
		const item = items[i];
		const meta = importOf(item);
		if (meta && meta.row === 0) {
			pending.push({ at: i, rejected: problemJson(meta) });
			continue;
		}
		// Rows of one file share their columns: the mode is told them once per shape.
		const shape = meta?.file.header ?? columnsOf(item);
		if (!mode || !sameColumns(shape, columns)) {
			flush();
			mode = modeMapping(mapping, keepUnmapped);
			mode.columns(shape);
			columns = shape;
		}
		const { carried } = rowOf(item);
		mode.row(valuesOf(item, shape), meta?.row ?? i + 1, i, carried);
	}
	flush();
	pending.sort((a, b) => a.at - b.at);
	for (const p of pending) {
		if (p.json) result.valid.push({ json: p.json, source: p.at });
		else if (p.rejected) result.rejected.push({ json: p.rejected, source: p.at });
	}
	return result;
}

function sameColumns(a: readonly string[], b: readonly string[] | undefined): boolean {
	if (a === b) return true;
	if (!b || a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
	return true;
}

/** An item's values in the order of `columns`. */
function valuesOf(item: Record<string, unknown>, columns: readonly string[]): unknown[] {
	const values = new Array<unknown>(columns.length);
	for (let i = 0; i < columns.length; i++) values[i] = item[columns[i]];
	return values;
}
