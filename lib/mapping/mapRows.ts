import { IMPORT_KEY, importOf, type ImportFile, type ImportMetadata } from '../importMetadata';
import { compileDatePattern } from './javaDate';
import { ReasonList, type FieldMapping } from './fields';

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
const MATCH_KEY = '_match';
const carried = (item: Record<string, unknown>): Record<string, unknown> => (MATCH_KEY in item ? { [MATCH_KEY]: item[MATCH_KEY] } : {});

/** The history column of reference 000: `date`, yyyy-mm-dd. */
export const HISTORY_COLUMN = 'date';
const historyDate = compileDatePattern('yyyy-MM-dd');

function fileLabel(file: ImportFile | undefined): string {
	return file ? `s3://${file.bucket}/${file.key}` : 'input';
}

function rejectedFile(file: ImportFile | undefined, meta: ImportMetadata | undefined, reasons: ReasonList, rows: number): Record<string, unknown> {
	return {
		file: fileLabel(file),
		key: file?.key,
		batchFolder: file?.batch?.folder,
		rows,
		reasons: reasons.lines(),
		reasonCount: reasons.count,
		[IMPORT_KEY]: meta ? { file: meta.file, row: 0 } : undefined,
	};
}

/** An item that stands for a whole file or batch (row 0): passed on as rejected, with its reason. */
function fileItem(meta: ImportMetadata): Record<string, unknown> {
	const reasons = new ReasonList(1);
	if (meta.file.error) reasons.add(meta.file.error);
	return {
		...rejectedFile(meta.file, meta, reasons, 0),
		...(meta.file.batch?.resume ? { resume: true } : {}),
	};
}

/**
 * Strict mode (reference 001): a file passes whole or not at all. Items of one file arrive
 * together, as the trigger hands them on; each file is checked for its columns, its row count and
 * every value, and any problem rejects the whole file with its reasons.
 */
export function mapStrict(items: Array<Record<string, unknown>>, mapping: FieldMapping): MapResult {
	const result: MapResult = { valid: [], rejected: [] };
	let start = 0;
	while (start < items.length) {
		const meta = importOf(items[start]);
		if (meta && meta.row === 0) {
			result.rejected.push({ json: fileItem(meta), source: start });
			start++;
			continue;
		}
		const file = meta?.file;
		let end = start + 1;
		while (end < items.length) {
			const next = importOf(items[end]);
			if (next?.row === 0 || next?.file !== file) break;
			end++;
		}
		const reasons = new ReasonList(mapping.options.maxReasons);
		const header = file?.header ?? Object.keys(items[start]).filter((k) => k !== IMPORT_KEY && k !== MATCH_KEY);
		for (const problem of mapping.checkHeader(header)) reasons.add(problem.reason);
		const rowCount = file?.rows ?? end - start;
		if (rowCount > mapping.options.maxRows) {
			reasons.add(`Too many rows: the file has ${rowCount} rows; at most ${mapping.options.maxRows} are allowed per file`);
		}
		const mapped: MappedRow[] = [];
		if (reasons.count === 0) {
			for (let i = start; i < end; i++) {
				const item = items[i];
				const rowMeta = item[IMPORT_KEY] as ImportMetadata | undefined;
				const fields: Record<string, unknown> = {};
				const problems = mapping.mapRow(item, rowMeta?.row ?? i - start + 1, fields);
				if (problems) for (const p of problems) reasons.add(p.reason);
				else if (reasons.count === 0) {
					if (MATCH_KEY in item) fields[MATCH_KEY] = item[MATCH_KEY];
					fields[IMPORT_KEY] = rowMeta;
					mapped.push({ json: fields, source: i });
				}
			}
		}
		if (reasons.count > 0) result.rejected.push({ json: rejectedFile(file, meta, reasons, rowCount), source: start });
		else for (const m of mapped) result.valid.push(m);
		start = end;
	}
	return result;
}

/**
 * Lenient mode (reference 000): unmapped columns are dropped, a `date` column (yyyy-mm-dd) is
 * kept as the row's point in time, and a row with a bad value is rejected on its own.
 */
export function mapLenient(items: Array<Record<string, unknown>>, mapping: FieldMapping): MapResult {
	const result: MapResult = { valid: [], rejected: [] };
	const dateMapped = mapping.fields.some((f) => f.source === HISTORY_COLUMN || f.target === HISTORY_COLUMN);
	for (let i = 0; i < items.length; i++) {
		const item = items[i];
		const meta = importOf(item);
		if (meta && meta.row === 0) {
			result.rejected.push({ json: fileItem(meta), source: i });
			continue;
		}
		const row = meta?.row ?? i + 1;
		const fields: Record<string, unknown> = {};
		const problems = mapping.mapRow(item, row, fields)?.map((p) => p.reason) ?? [];
		if (!dateMapped && typeof item[HISTORY_COLUMN] === 'string' && item[HISTORY_COLUMN] !== '') {
			const parsed = historyDate.parse(item[HISTORY_COLUMN] as string);
			if (parsed) fields[HISTORY_COLUMN] = parsed.date;
			else problems.push(`Row ${row}, column 'date': '${String(item[HISTORY_COLUMN])}' is not a date in the format yyyy-mm-dd (expected date)`);
		}
		if (problems.length > 0) {
			result.rejected.push({
				json: { file: fileLabel(meta?.file), row, reasons: problems.map((p) => `${fileLabel(meta?.file)}: ${p}`), ...carried(item), [IMPORT_KEY]: meta },
				source: i,
			});
		} else {
			if (MATCH_KEY in item) fields[MATCH_KEY] = item[MATCH_KEY];
			fields[IMPORT_KEY] = meta;
			result.valid.push({ json: fields, source: i });
		}
	}
	return result;
}
