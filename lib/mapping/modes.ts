import { IMPORT_KEY } from '../importMetadata';
import { compileDatePattern } from './javaDate';
import { ReasonList, type FieldMapping } from './fields';

/** Metadata that earlier nodes attached and later ones need (the Account Matcher's match). */
export const MATCH_KEY = '_match';

/** The history column of Staircase's guide: `date`, yyyy-mm-dd. */
export const HISTORY_COLUMN = 'date';
const historyDate = compileDatePattern('yyyy-MM-dd');

/**
 * One file's rows mapped the way one mode says, whether they come from a CSV stream (the Field
 * Mapper reading a file) or as items from another node: fed the file's columns once, then each
 * row as its values in the columns' order. One implementation per mode, for both.
 */
export interface ModeMapping {
	/** The file's columns; false when the header alone rejects the file (its rows need not be read). */
	columns(header: readonly string[]): boolean;
	/**
	 * One row. `source` is the input item it came from; `carried` are fields an earlier node
	 * attached (kept on the mapped row, never checked as columns).
	 */
	row(
		values: readonly unknown[],
		row: number,
		source: number,
		carried?: Record<string, unknown>,
	): void;
	/** The outcome once every row was fed; `rowCount` is the file's row count. */
	finish(rowCount: number): ModeOutcome;
}

export interface ModeOutcome {
	/** Mapped rows, their file rows and the input items they came from. */
	valid: Array<Record<string, unknown>>;
	rows: number[];
	sources: number[];
	/** Lenient: each rejected row with its problems. */
	rejectedRows: Array<{
		row: number;
		source: number;
		problems: string[];
		carried?: Record<string, unknown>;
	}>;
	/** Strict: the reasons the whole file is rejected (then `valid` is empty). */
	fileReasons?: ReasonList;
}

export function modeMapping(mapping: FieldMapping, keepUnmapped: boolean): ModeMapping {
	return mapping.options.mode === 'strict'
		? new StrictMapping(mapping)
		: new LenientMapping(mapping, keepUnmapped);
}

/**
 * Strict mode (marker imports) for one file: it passes whole or not at all. Any problem (an
 * unknown or missing column, too many rows, a value that does not parse) rejects the whole file,
 * and from then on rows are only checked and counted, never kept, so a bad file costs no memory.
 */
class StrictMapping implements ModeMapping {
	private readonly reasons: ReasonList;
	private indexes: Int32Array = new Int32Array(0);
	private kept: Array<Record<string, unknown>> = [];
	private sources: number[] = [];
	private seen = 0;

	constructor(private readonly mapping: FieldMapping) {
		this.reasons = new ReasonList(mapping.options.maxReasons);
	}

	columns(header: readonly string[]): boolean {
		this.indexes = this.mapping.columnIndexes(header);
		for (const problem of this.mapping.checkHeader([...header])) this.reasons.add(problem.reason);
		return this.reasons.count === 0;
	}

	row(
		values: readonly unknown[],
		row: number,
		source: number,
		carried?: Record<string, unknown>,
	): void {
		// Past the row limit a row is only counted, not mapped.
		if (++this.seen > this.mapping.options.strictMaxRows) return;
		const fields: Record<string, unknown> = {};
		const problems = this.mapping.mapValues(values, this.indexes, row, fields);
		if (problems) {
			for (const p of problems) this.reasons.add(p.reason);
			this.kept = [];
			this.sources = [];
		} else if (this.reasons.count === 0) {
			if (carried) Object.assign(fields, carried);
			this.kept.push(fields);
			this.sources.push(source);
		}
	}

	finish(rowCount: number): ModeOutcome {
		const max = this.mapping.options.strictMaxRows;
		if (rowCount > max) {
			this.reasons.add(
				`Too many rows: the file has ${rowCount} rows; at most ${max} are allowed per file`,
			);
		}
		if (this.reasons.count > 0) {
			return { valid: [], rows: [], sources: [], rejectedRows: [], fileReasons: this.reasons };
		}
		// A file that passed kept every row, in order: rows 1, 2, 3...
		return { valid: this.kept, rows: [], sources: this.sources, rejectedRows: [] };
	}
}

/**
 * Lenient mode (overwrite imports) for one file: unmapped columns are dropped (or kept as text
 * with `keepUnmapped`), a `date` column (yyyy-mm-dd) is kept as the row's point in time, and a bad
 * value rejects only its row.
 */
class LenientMapping implements ModeMapping {
	private indexes: Int32Array = new Int32Array(0);
	private unmapped: Array<readonly [number, string]> = [];
	private readonly outcome: ModeOutcome = { valid: [], rows: [], sources: [], rejectedRows: [] };

	constructor(
		private readonly mapping: FieldMapping,
		private readonly keepUnmapped: boolean,
	) {}

	columns(header: readonly string[]): boolean {
		this.indexes = this.mapping.columnIndexes(header);
		this.unmapped = unmappedColumns(header, this.mapping, this.keepUnmapped).map(
			(column) => [header.indexOf(column), column] as const,
		);
		return true;
	}

	row(
		values: readonly unknown[],
		row: number,
		source: number,
		carried?: Record<string, unknown>,
	): void {
		const fields: Record<string, unknown> = {};
		const problems =
			this.mapping.mapValues(values, this.indexes, row, fields)?.map((p) => p.reason) ?? [];
		for (const [at, column] of this.unmapped)
			addUnmapped(fields, problems, row, column, values[at]);
		if (problems.length > 0) {
			this.outcome.rejectedRows.push({ row, source, problems, carried });
			return;
		}
		if (carried) Object.assign(fields, carried);
		this.outcome.valid.push(fields);
		this.outcome.rows.push(row);
		this.outcome.sources.push(source);
	}

	finish(): ModeOutcome {
		return this.outcome;
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
