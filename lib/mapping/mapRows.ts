import {
	IMPORT_KEY,
	fileIdentity,
	fileLabel,
	importOf,
	type ImportFile,
	type ImportMetadata,
} from '../importMetadata';
import { compileDatePattern } from './javaDate';
import { ReasonList, type FieldMapping, type MappingProblem } from './fields';

export interface MappedRow {
	json: Record<string, unknown>;
	/** Index of the input item it came from. */
	source: number;
}

export interface MapResult {
	valid: MappedRow[];
	rejected: MappedRow[];
}

/** Metadata that earlier nodes attached and later ones need: kept on every mapped row. */
export const MATCH_KEY = '_match';
const carried = (item: Record<string, unknown>): Record<string, unknown> =>
	MATCH_KEY in item ? { [MATCH_KEY]: item[MATCH_KEY] } : {};

/** The history column of Staircase's S3 guide: `date`, yyyy-mm-dd. */
export const HISTORY_COLUMN = 'date';
const historyDate = compileDatePattern('yyyy-MM-dd');

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

/**
 * Strict mode (PX's S3 import guide) for one file: it passes whole or not at all. Fed the header and then
 * the rows as they are read; any problem (an unknown or missing column, too many rows, a value
 * that does not parse) rejects the whole file, and from then on rows are only checked and counted,
 * never kept, so a bad file costs no memory.
 */
export class StrictFileCheck {
	readonly reasons: ReasonList;
	private readonly kept: Array<Record<string, unknown>> = [];
	private readonly sources: number[] = [];
	private rows = 0;

	constructor(private readonly mapping: FieldMapping) {
		this.reasons = new ReasonList(mapping.options.maxReasons);
	}

	/** Returns false when the file is rejected by its header alone: its rows need not be read. */
	header(columns: string[]): boolean {
		for (const problem of this.mapping.checkHeader(columns)) this.reasons.add(problem.reason);
		return this.reasons.count === 0;
	}

	/** Counts a row; false when it is past the row limit (then it is only counted, not mapped). */
	next(): boolean {
		this.rows++;
		return this.rows <= this.mapping.options.strictMaxRows;
	}

	/** A mapped row, or its problems (which reject the file and drop every row kept so far). */
	accept(
		fields: Record<string, unknown>,
		problems: MappingProblem[] | undefined,
		source: number,
	): void {
		if (problems) {
			for (const p of problems) this.reasons.add(p.reason);
			this.kept.length = 0;
			this.sources.length = 0;
		} else if (this.reasons.count === 0) {
			this.kept.push(fields);
			this.sources.push(source);
		}
	}

	/** The file's rows (and the input items they came from) when it passed, or its reasons. `rowCount` is the file's row count when known. */
	finish(
		rowCount = this.rows,
	):
		| { passed: true; rows: Array<Record<string, unknown>>; sources: number[] }
		| { passed: false; reasons: ReasonList } {
		if (rowCount > this.mapping.options.strictMaxRows) {
			this.reasons.add(
				`Too many rows: the file has ${rowCount} rows; at most ${this.mapping.options.strictMaxRows} are allowed per file`,
			);
		}
		if (this.reasons.count > 0) return { passed: false, reasons: this.reasons };
		return { passed: true, rows: this.kept, sources: this.sources };
	}
}

/** A column lenient mode keeps besides the mapped ones: the history date (checked), or text. */
function addUnmapped(
	fields: Record<string, unknown>,
	problems: string[],
	row: number,
	column: string,
	value: unknown,
): void {
	if (column === HISTORY_COLUMN) {
		if (typeof value !== 'string' || value === '') return;
		const parsed = historyDate.parse(value);
		if (parsed) fields[HISTORY_COLUMN] = parsed.date;
		else
			problems.push(
				`Row ${row}, column 'date': '${value}' is not a date in the format yyyy-mm-dd (expected date)`,
			);
	} else {
		fields[column] = value === undefined || value === null ? null : String(value);
	}
}

type LenientResult =
	| { fields: Record<string, unknown>; problems?: undefined }
	| { fields?: undefined; problems: string[] };

/**
 * Lenient mode (Staircase's S3 guide) for one row: unmapped columns are dropped (or kept as text with
 * `keepUnmapped`), a `date` column (yyyy-mm-dd) is kept as the row's point in time, and a bad
 * value rejects only this row. Returns the mapped fields, or the row's problems.
 */
export function mapLenientRow(
	record: Record<string, unknown>,
	row: number,
	mapping: FieldMapping,
	unmapped: readonly string[],
): LenientResult {
	const fields: Record<string, unknown> = {};
	const problems = mapping.mapRow(record, row, fields)?.map((p) => p.reason) ?? [];
	for (const column of unmapped) addUnmapped(fields, problems, row, column, record[column]);
	if (problems.length > 0) return { problems };
	if (MATCH_KEY in record) fields[MATCH_KEY] = record[MATCH_KEY];
	return { fields };
}

/** `mapLenientRow` for a row read as values (see `FieldMapping.mapValues`); `unmapped` holds [position, column]. */
export function mapLenientValues(
	values: readonly string[],
	indexes: Int32Array,
	unmapped: ReadonlyArray<readonly [number, string]>,
	row: number,
	mapping: FieldMapping,
): LenientResult {
	const fields: Record<string, unknown> = {};
	const problems = mapping.mapValues(values, indexes, row, fields)?.map((p) => p.reason) ?? [];
	for (const [at, column] of unmapped) addUnmapped(fields, problems, row, column, values[at]);
	return problems.length > 0 ? { problems } : { fields };
}

/**
 * The columns of a row that lenient mode keeps besides the mapped ones: the history column when it
 * is not mapped, and, with `keepUnmapped`, every other column.
 */
export function unmappedColumns(
	columns: readonly string[],
	mapping: FieldMapping,
	keepUnmapped: boolean,
): string[] {
	const dateMapped = mapping.fields.some(
		(f) => f.source === HISTORY_COLUMN || f.target === HISTORY_COLUMN,
	);
	return columns.filter(
		(c) =>
			c !== IMPORT_KEY &&
			c !== MATCH_KEY &&
			!mapping.isMapped(c) &&
			(keepUnmapped ? !(c === HISTORY_COLUMN && dateMapped) : c === HISTORY_COLUMN && !dateMapped),
	);
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

/**
 * Strict mode over row items (from any node). The rows of one file are grouped by the file's
 * identity (bucket, key, ETag), never by object identity: items may have been copied on the way
 * (a Code node, queue mode), and a file with one bad value must still lose all its rows. Rows
 * without import metadata form one file.
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
		const check = new StrictFileCheck(mapping);
		const first = items[indices[0]];
		const header =
			file?.header ?? Object.keys(first).filter((k) => k !== IMPORT_KEY && k !== MATCH_KEY);
		if (check.header(header)) {
			for (let n = 0; n < indices.length; n++) {
				if (!check.next()) continue;
				const item = items[indices[n]];
				const fields: Record<string, unknown> = {};
				const problems = mapping.mapRow(item, importOf(item)?.row ?? n + 1, fields);
				if (!problems) {
					if (MATCH_KEY in item) fields[MATCH_KEY] = item[MATCH_KEY];
					if (item[IMPORT_KEY] !== undefined) fields[IMPORT_KEY] = item[IMPORT_KEY];
				}
				check.accept(fields, problems, indices[n]);
			}
		}
		const outcome = check.finish(file?.rows ?? indices.length);
		if (!outcome.passed) {
			result.rejected.push({
				json: rejectedFileJson(file, outcome.reasons, file?.rows ?? indices.length),
				source: indices[0],
			});
			continue;
		}
		for (let k = 0; k < outcome.rows.length; k++)
			result.valid.push({ json: outcome.rows[k], source: outcome.sources[k] });
	}
	return result;
}

/** Lenient mode over row items (from any node): each row on its own. */
export function mapLenient(
	items: Array<Record<string, unknown>>,
	mapping: FieldMapping,
	keepUnmapped = false,
): MapResult {
	const result: MapResult = { valid: [], rejected: [] };
	let lastColumns: string[] | undefined;
	let lastUnmapped: string[] = [];
	for (let i = 0; i < items.length; i++) {
		const item = items[i];
		const meta = importOf(item);
		if (meta && meta.row === 0) {
			result.rejected.push({ json: problemJson(meta), source: i });
			continue;
		}
		// Rows of one file share their columns: the unmapped ones are worked out once per shape.
		const columns = meta?.file.header ?? Object.keys(item);
		if (columns !== lastColumns) {
			lastColumns = columns;
			lastUnmapped = unmappedColumns(columns, mapping, keepUnmapped);
		}
		const row = meta?.row ?? i + 1;
		const mapped = mapLenientRow(item, row, mapping, lastUnmapped);
		if (mapped.problems) {
			result.rejected.push({
				json: lenientRejectedJson(meta?.file, row, mapped.problems, item, meta),
				source: i,
			});
		} else {
			if (meta) mapped.fields[IMPORT_KEY] = meta;
			result.valid.push({ json: mapped.fields, source: i });
		}
	}
	return result;
}
