import { fileIdentity, importOf, type ImportMetadata } from '../importMetadata';
import { KEY_FUNCTIONS, type MatchingType } from './normalise';

/** What duplicates are counted within: a row's batch folder, else its file, else the whole input. */
function importUnit(meta: ImportMetadata | undefined): string {
	if (!meta) return '';
	return meta.file.batch
		? `batch:${meta.file.batch.bucket}/${meta.file.batch.folder}`
		: `file:${fileIdentity(meta.file)}`;
}

export type DirectoryRecord = Record<string, unknown>;

export interface ScopeFilter {
	field: string;
	operator: 'equals' | 'notEquals' | 'contains' | 'isEmpty' | 'isNotEmpty';
	value?: string;
}

export interface AccountScope {
	/** Every filter must hold (the CS–Staircase integration guide's "Sync specific accounts"); none means all accounts. */
	filters: ScopeFilter[];
	/** Churned and prospect accounts: the status field and the statuses left out. */
	statusField?: string;
	excludedStatuses: string[];
}

/** keepAll: rows are not one per account (e.g. users that belong to accounts): no de-duplication. */
export type DuplicatePolicy = 'rejectAll' | 'keepFirst' | 'keepLast' | 'keepAll';

export interface MatcherOptions {
	entity: 'account' | 'stakeholder';
	matchingType: MatchingType;
	/** The CSV column that holds the identity (the "matching property name"). */
	matchingColumn: string;
	/** The directory field that holds the same identity. */
	directoryKeyField: string;
	/** The directory field whose value is attached as the id. */
	directoryIdField: string;
	duplicates: DuplicatePolicy;
	scope: AccountScope;
	/** With this column in the rows, "one row per account" becomes one row per account and date. */
	dateColumn: string;
}

export interface IndexEntry {
	records: DirectoryRecord[];
	/** The id of the first record; with `ambiguous`, the records do not agree on one id. */
	id: unknown;
	ambiguous: boolean;
}

export interface DirectoryIndex {
	byKey: Map<string, IndexEntry>;
	/** Keys of directory records left out of scope, with why: an unmatched row says which. */
	leftOut: Map<string, string>;
	inScope: number;
	total: number;
}

const text = (value: unknown): string =>
	value === undefined || value === null ? '' : String(value);

const OPERATOR_WORDS: Record<ScopeFilter['operator'], string> = {
	equals: 'equals',
	notEquals: 'does not equal',
	contains: 'contains',
	isEmpty: 'is empty',
	isNotEmpty: 'is not empty',
};

/** Why a directory record is out of the account scope, or undefined when it is in scope. */
function outOfScope(record: DirectoryRecord, scope: AccountScope): string | undefined {
	if (scope.statusField && scope.excludedStatuses.length > 0) {
		const raw = text(record[scope.statusField]).trim();
		const status = raw.toLowerCase();
		if (scope.excludedStatuses.some((s) => s.trim().toLowerCase() === status))
			return `its ${scope.statusField} is ${raw} (Leave Out by Status)`;
	}
	for (const f of scope.filters) {
		const value = text(record[f.field]);
		const wanted = text(f.value);
		let pass = true;
		switch (f.operator) {
			case 'equals':
				pass = value.toLowerCase() === wanted.toLowerCase();
				break;
			case 'notEquals':
				pass = value.toLowerCase() !== wanted.toLowerCase();
				break;
			case 'contains':
				pass = value.toLowerCase().includes(wanted.toLowerCase());
				break;
			case 'isEmpty':
				pass = value === '';
				break;
			case 'isNotEmpty':
				pass = value !== '';
				break;
		}
		if (!pass) {
			const needs =
				f.operator === 'isEmpty' || f.operator === 'isNotEmpty'
					? OPERATOR_WORDS[f.operator]
					: `${OPERATOR_WORDS[f.operator]} '${wanted}'`;
			return `it is outside the account scope (filter: ${f.field} ${needs}; it has '${value}')`;
		}
	}
	return undefined;
}

/** The matching types in the user's words. */
const MATCHING_WORDS: Record<MatchingType, string> = {
	crmId: 'CRM ID',
	name: 'name',
	domain: 'domain',
	appId: 'app ID',
	email: 'email',
};

/** Indexes the directory once per execution: linear in its size. */
export function indexDirectory(
	records: DirectoryRecord[],
	options: MatcherOptions,
): DirectoryIndex {
	const keyOf = KEY_FUNCTIONS[options.matchingType];
	const byKey = new Map<string, IndexEntry>();
	const idField = options.directoryIdField;
	const leftOut = new Map<string, string>();
	let count = 0;
	for (const record of records) {
		const why = options.entity === 'account' ? outOfScope(record, options.scope) : undefined;
		if (why) {
			const raw = record[options.directoryKeyField];
			for (const value of Array.isArray(raw) ? raw : [raw]) {
				if (value === undefined || value === null || value === '') continue;
				const k = keyOf(String(value));
				if ('key' in k && !leftOut.has(k.key)) leftOut.set(k.key, why);
			}
			continue;
		}
		count++;
		const raw = record[options.directoryKeyField];
		const values = Array.isArray(raw) ? raw : [raw];
		for (const value of values) {
			if (value === undefined || value === null || value === '') continue;
			const k = keyOf(String(value));
			if (!('key' in k)) continue;
			const entry = byKey.get(k.key);
			if (!entry) byKey.set(k.key, { records: [record], id: record[idField], ambiguous: false });
			else if (!entry.records.includes(record)) {
				entry.records.push(record);
				if (text(record[idField]) !== text(entry.id)) entry.ambiguous = true;
			}
		}
	}
	return { byKey, leftOut, inScope: count, total: records.length };
}

export interface MatchInfo {
	entity: 'account' | 'stakeholder';
	matchingType: MatchingType;
	/** The value in the row's matching column. */
	value: string;
	/** The normalised key it was compared by. */
	key?: string;
	id?: unknown;
	reason?: string;
	candidates?: DirectoryRecord[];
}

export interface MatchedRow {
	source: number;
	match: MatchInfo;
}

export interface MatchResult {
	matched: MatchedRow[];
	unmatched: MatchedRow[];
	ambiguous: MatchedRow[];
	duplicates: number;
}

export class MissingMatchingColumnError extends Error {}

const baseName = (key: string) => key.slice(key.lastIndexOf('/') + 1);

/**
 * How a reason names rows: by the file's row (`_import.row`), which earlier nodes cannot shift by
 * dropping rows, with the file's name when the rows come from several files (a batch folder);
 * rows without import metadata by their input item.
 */
export function rowNames(
	sources: number[],
	metaOf: (source: number) => ImportMetadata | undefined,
): { list: string; of: (source: number) => string } {
	const metas = sources.map(metaOf);
	if (metas.some((m) => !m || m.row < 1)) {
		return {
			list: `input ${sources.length === 1 ? 'item' : 'items'} ${sources.map((s) => s + 1).join(', ')}`,
			of: (source) => `item ${source + 1}`,
		};
	}
	const files = new Set(metas.map((m) => fileIdentity(m!.file)));
	if (files.size === 1) {
		return {
			list: `${sources.length === 1 ? 'row' : 'rows'} ${metas.map((m) => m!.row).join(', ')}`,
			of: (source) => `row ${metaOf(source)!.row}`,
		};
	}
	const named = (source: number) => {
		const meta = metaOf(source)!;
		return `${baseName(meta.file.key)} row ${meta.row}`;
	};
	return { list: sources.map(named).join(', '), of: named };
}

/** Matches rows to directory records: linear in rows plus records. */
export function matchRows(
	rows: Array<Record<string, unknown>>,
	index: DirectoryIndex,
	options: MatcherOptions,
	/** A row's import metadata: in its `_import` field unless the caller keeps it elsewhere. */
	metaOf: (index: number) => ImportMetadata | undefined = (i) => importOf(rows[i]),
): MatchResult {
	const keyOf = KEY_FUNCTIONS[options.matchingType];
	const result: MatchResult = { matched: [], unmatched: [], ambiguous: [], duplicates: 0 };
	if (rows.length > 0 && !rows.some((r) => options.matchingColumn in r)) {
		const columns = Object.keys(rows[0]).filter((c) => c !== '_import');
		throw new MissingMatchingColumnError(
			`The matching column '${options.matchingColumn}' is not in the rows. Their columns are: ${columns.join(', ')}. Set "Matching Property Name" to the CSV column that holds the ${options.entity}'s identity.`,
		);
	}
	const dedupe = options.duplicates !== 'keepAll';
	/** id (+ date) to the positions in `result.matched` of its rows. */
	const seen = new Map<string, number[]>();
	for (let i = 0; i < rows.length; i++) {
		const row = rows[i];
		const raw = row[options.matchingColumn];
		const value = typeof raw === 'string' ? raw : text(raw);
		const k = keyOf(value);
		if (!('key' in k)) {
			result.unmatched.push({
				source: i,
				match: {
					entity: options.entity,
					matchingType: options.matchingType,
					value,
					reason: k.reason,
				},
			});
			continue;
		}
		const entry = index.byKey.get(k.key);
		if (!entry) {
			result.unmatched.push({
				source: i,
				match: {
					entity: options.entity,
					matchingType: options.matchingType,
					value,
					key: k.key,
					reason: index.leftOut.has(k.key)
						? `the ${options.entity} with this ${MATCHING_WORDS[options.matchingType]} is left out: ${index.leftOut.get(k.key)}`
						: `no ${options.entity} in the directory has this ${MATCHING_WORDS[options.matchingType]}`,
				},
			});
			continue;
		}
		if (entry.ambiguous) {
			result.ambiguous.push({
				source: i,
				match: {
					entity: options.entity,
					matchingType: options.matchingType,
					value,
					key: k.key,
					reason: `${entry.records.length} ${options.entity}s share this key`,
					candidates: entry.records,
				},
			});
			continue;
		}
		// Kept lean: one of these rides on every matched row.
		result.matched.push({
			source: i,
			match: { entity: options.entity, matchingType: options.matchingType, value, id: entry.id },
		});
		if (!dedupe) continue;
		// One row per account (and date) within one import unit: the batch folder (marker imports),
		// else the file. Two days' folders or two files in one execution never collide.
		const date = row[options.dateColumn];
		const dedupeKey = `${importUnit(metaOf(i))}\u0000${text(entry.id)}${date === undefined ? '' : `\u0000${text(date)}`}`;
		const earlier = seen.get(dedupeKey);
		if (earlier) earlier.push(result.matched.length - 1);
		else seen.set(dedupeKey, [result.matched.length - 1]);
	}
	// One row per account (and date): apply the duplicates policy.
	const drop = new Set<number>();
	for (const positions of seen.values()) {
		if (positions.length < 2) continue;
		result.duplicates += positions.length;
		const keep =
			options.duplicates === 'keepFirst'
				? positions[0]
				: options.duplicates === 'keepLast'
					? positions[positions.length - 1]
					: -1;
		const names = rowNames(
			positions.map((p) => result.matched[p].source),
			metaOf,
		);
		const rowsOf = positions.length > 10 ? `${positions.length} rows` : names.list;
		for (const p of positions) {
			if (p === keep) continue;
			drop.add(p);
			const m = result.matched[p];
			const reason =
				keep === -1
					? `duplicate: ${rowsOf} are all for ${options.entity} ${text(m.match.id)}; none was kept (policy: reject all)`
					: `duplicate: ${rowsOf} are for ${options.entity} ${text(m.match.id)}; ${names.of(result.matched[keep].source)} was kept`;
			result.unmatched.push({ source: m.source, match: { ...m.match, reason } });
		}
	}
	if (drop.size > 0) {
		result.matched = result.matched.filter((_, p) => !drop.has(p));
		result.unmatched.sort((a, b) => a.source - b.source);
	}
	return result;
}
