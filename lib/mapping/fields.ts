import { crmIdKey } from '../matching/salesforce';
import { compileDatePattern, type CompiledDatePattern } from './javaDate';

/** `crmId`: text checked like a CRM ID (an 18-character Salesforce ID must have a valid checksum). */
export type FieldType = 'string' | 'number' | 'boolean' | 'date' | 'datetime' | 'crmId';

/** One target field of the destination, and the CSV column it comes from. */
export interface FieldDefinition {
	/** The destination field (in PX's S3 import guide, the attribute's apiName). */
	target: string;
	/** The CSV column; defaults to the target's name. */
	source?: string;
	type: FieldType;
	required?: boolean;
	/** Java-style pattern for date and datetime fields; defaults to the mapper's date format. */
	dateFormat?: string;
	/** A user reference (such as an account owner): S3 import cannot fill these. */
	userReference?: boolean;
}

export interface MapperOptions {
	mode: 'strict' | 'lenient';
	/** Used by date and datetime fields that have no format of their own. */
	dateFormat: string;
	/** Strict mode: at most this many rows per file. */
	maxRows: number;
	/** Strict mode: fields that must be present as columns, `id` by default. */
	requiredColumns: string[];
	/** Extra spellings accepted for true and false, besides "true"/"false" in any case. */
	trueValues?: string[];
	falseValues?: string[];
	/** How many reasons to keep per file; the rest are counted. */
	maxReasons: number;
	/** Lenient mode: keep the columns no field maps, as text (then no field needs to be defined). */
	keepUnmapped?: boolean;
}

export class MappingConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'MappingConfigError';
	}
}

const TYPE_ALIASES: Record<string, FieldType | 'userReference'> = {
	string: 'string',
	text: 'string',
	str: 'string',
	varchar: 'string',
	number: 'number',
	numeric: 'number',
	integer: 'number',
	int: 'number',
	long: 'number',
	float: 'number',
	double: 'number',
	decimal: 'number',
	currency: 'number',
	boolean: 'boolean',
	bool: 'boolean',
	date: 'date',
	datetime: 'datetime',
	date_time: 'datetime',
	timestamp: 'datetime',
	crmid: 'crmId',
	crm_id: 'crmId',
	user: 'userReference',
	userreference: 'userReference',
	user_reference: 'userReference',
	gsid: 'userReference',
};

/**
 * Reads field definitions from JSON that an earlier node fetched, e.g. the destination's attribute
 * list. Accepts an array (or an object with an array under `attributes`, `fields` or `data`) of
 * objects naming the field (`apiName`, `name`, `target` or `field`) and its type.
 */
export function fieldsFromJson(value: unknown): FieldDefinition[] {
	let list: unknown = typeof value === 'string' ? (value.trim() ? JSON.parse(value) : []) : value;
	if (list && !Array.isArray(list) && typeof list === 'object') {
		const o = list as Record<string, unknown>;
		list = o.attributes ?? o.fields ?? o.data ?? [list];
	}
	if (!Array.isArray(list))
		throw new MappingConfigError(
			'The field definitions JSON must be a list of fields (name and type).',
		);
	return list.map((entry, index) => {
		const e = (entry ?? {}) as Record<string, unknown>;
		const target = String(e.apiName ?? e.target ?? e.name ?? e.field ?? '').trim();
		if (!target)
			throw new MappingConfigError(
				`Field definition ${index + 1} has no name (apiName, name or target).`,
			);
		const rawType = String(e.type ?? e.dataType ?? 'string')
			.toLowerCase()
			.replace(/\s+/g, '_');
		const type = TYPE_ALIASES[rawType];
		if (!type)
			throw new MappingConfigError(
				`Field '${target}' has the type '${String(e.type)}', which is not one of string, number, boolean, date, datetime, crmId.`,
			);
		const reference =
			type === 'userReference' || e.userReference === true || e.referenceType === 'user';
		return {
			target,
			source:
				typeof e.source === 'string' && e.source
					? e.source
					: typeof e.column === 'string' && e.column
						? e.column
						: target,
			type: type === 'userReference' ? 'string' : type,
			required: e.required === true,
			...(typeof e.dateFormat === 'string' && e.dateFormat ? { dateFormat: e.dateFormat } : {}),
			...(reference ? { userReference: true } : {}),
		};
	});
}

/** Refuses what S3 import cannot do, before any row is touched. */
export function checkDefinitions(fields: FieldDefinition[]): void {
	const reference = fields.find((f) => f.userReference);
	if (reference) {
		throw new MappingConfigError(
			`The field '${reference.target}' is a user reference: S3 import does not support user reference fields (such as the account owner). Remove it from the mapping.`,
		);
	}
	const seen = new Set<string>();
	for (const f of fields) {
		if (f.target === '_import')
			throw new MappingConfigError(
				"'_import' is reserved for the import metadata; choose another target name.",
			);
		if (seen.has(f.target))
			throw new MappingConfigError(`The field '${f.target}' is mapped twice.`);
		seen.add(f.target);
	}
}

/** What a converter returns for a value it cannot read; the reason is only worded then. */
const INVALID = Symbol('invalid');

interface CompiledField extends FieldDefinition {
	source: string;
	required: boolean;
	convert: (text: string) => unknown;
	reason: (text: string) => string;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export interface MappingProblem {
	row?: number;
	column?: string;
	reason: string;
}

/** Compiles field definitions into a mapper: parameters are read once, not per row. */
export class FieldMapping {
	readonly fields: CompiledField[];
	readonly warnings: string[] = [];
	private readonly bySource = new Map<string, CompiledField>();

	constructor(
		definitions: FieldDefinition[],
		readonly options: MapperOptions,
	) {
		if (definitions.length === 0 && !(options.keepUnmapped && options.mode === 'lenient')) {
			throw new MappingConfigError(
				'No fields are defined: add fields, or give the field definitions as JSON (or, in lenient mode, turn on Keep Unmapped Columns).',
			);
		}
		checkDefinitions(definitions);
		const trueSet = new Set([
			'true',
			...(options.trueValues ?? []).map((v) => v.trim().toLowerCase()),
		]);
		const falseSet = new Set([
			'false',
			...(options.falseValues ?? []).map((v) => v.trim().toLowerCase()),
		]);
		const patterns = new Map<string, CompiledDatePattern>();
		const patternFor = (p: string) => {
			let c = patterns.get(p);
			if (!c) {
				try {
					c = compileDatePattern(p);
				} catch (error) {
					throw new MappingConfigError((error as Error).message);
				}
				patterns.set(p, c);
				this.warnings.push(...c.warnings);
			}
			return c;
		};
		this.fields = definitions.map((d) => {
			const source = d.source || d.target;
			let convert: (text: string) => unknown;
			let reason: (text: string) => string = () => '';
			switch (d.type) {
				case 'string':
					convert = (text) => text;
					break;
				case 'crmId':
					convert = (text) => {
						const key = crmIdKey(text);
						return 'key' in key ? text.trim() : INVALID;
					};
					reason = (text) => {
						const key = crmIdKey(text);
						return `'${text}' is not a valid CRM ID (${'reason' in key ? key.reason : 'not an ID'})`;
					};
					break;
				case 'number':
					convert = (text) => {
						const t = text.trim();
						return NUMBER.test(t) ? Number(t) : INVALID;
					};
					reason = (text) =>
						`'${text}' is not a number (expected number: digits with an optional '.' decimal point, no thousands separators)`;
					break;
				case 'boolean':
					convert = (text) => {
						if (text === 'true') return true;
						if (text === 'false') return false;
						const t = text.trim().toLowerCase();
						return trueSet.has(t) ? true : falseSet.has(t) ? false : INVALID;
					};
					reason = (text) => `'${text}' is not a boolean (expected boolean: true or false)`;
					break;
				case 'date':
				case 'datetime': {
					const pattern = d.dateFormat || options.dateFormat;
					const compiled = patternFor(pattern);
					const key = d.type === 'date' ? 'date' : 'dateTime';
					convert = (text) => compiled.parse(text)?.[key] ?? INVALID;
					reason = (text) =>
						`'${text}' is not a ${d.type} in the format ${pattern} (expected ${d.type})`;
					break;
				}
				default:
					throw new MappingConfigError(
						`The field '${d.target}' has an unknown type '${String(d.type)}'.`,
					);
			}
			const required = d.required === true || options.requiredColumns.includes(source);
			const compiled: CompiledField = { ...d, source, required, convert, reason };
			this.bySource.set(source, compiled);
			return compiled;
		});
	}

	/** Whether a field reads this column. */
	isMapped(column: string): boolean {
		return this.bySource.has(column);
	}

	/** Problems with a file's columns (strict mode): unknown columns and missing required ones. */
	checkHeader(header: string[]): MappingProblem[] {
		const problems: MappingProblem[] = [];
		if (this.options.mode !== 'strict') return problems;
		for (const column of header) {
			if (!this.bySource.has(column))
				problems.push({ column, reason: `Unknown column: '${column}'` });
		}
		const present = new Set(header);
		const required = new Set([
			...this.options.requiredColumns,
			...this.fields.filter((f) => f.required).map((f) => f.source),
		]);
		for (const column of required) {
			if (!present.has(column))
				problems.push({ column, reason: `Missing required column: '${column}'` });
		}
		return problems;
	}

	/**
	 * Maps one row into `fields` (columns that are not mapped are left out). Returns the problems,
	 * or undefined when every value was read.
	 */
	mapRow(
		record: Record<string, unknown>,
		row: number,
		fields: Record<string, unknown> = {},
	): MappingProblem[] | undefined {
		this.inOrder ??= Int32Array.from(this.fields.keys());
		return this.mapValues(
			this.fields.map((f) => record[f.source]),
			this.inOrder,
			row,
			fields,
		);
	}

	private inOrder?: Int32Array;

	/** Each field's column position in a file's header (-1 when the column is absent). */
	columnIndexes(header: readonly string[]): Int32Array {
		const position = new Map(header.map((name, i) => [name, i]));
		return Int32Array.from(this.fields.map((f) => position.get(f.source) ?? -1));
	}

	/**
	 * `mapRow` for a row read as values: field i's text is `values[indexes[i]]` (see
	 * `columnIndexes`). No object is built for the raw row.
	 */
	mapValues(
		values: readonly unknown[],
		indexes: Int32Array,
		row: number,
		fields: Record<string, unknown> = {},
	): MappingProblem[] | undefined {
		let problems: MappingProblem[] | undefined;
		const list = this.fields;
		for (let i = 0; i < list.length; i++) {
			const f = list[i];
			const at = indexes[i];
			const raw = at === -1 ? undefined : values[at];
			if (raw === undefined || raw === null || raw === '') {
				if (f.required)
					(problems ??= []).push({
						row,
						column: f.source,
						reason: `Row ${row}, column '${f.source}': a value is required`,
					});
				else fields[f.target] = null;
				continue;
			}
			const text = typeof raw === 'string' ? raw : String(raw);
			const value = f.convert(text);
			if (value === INVALID)
				(problems ??= []).push({
					row,
					column: f.source,
					reason: `Row ${row}, column '${f.source}': ${f.reason(text)}`,
				});
			else fields[f.target] = value;
		}
		return problems;
	}
}

/** Keeps the first N reasons and counts the rest. */
export class ReasonList {
	readonly reasons: string[] = [];
	more = 0;
	constructor(private readonly max: number) {}
	add(reason: string): void {
		if (this.reasons.length < this.max) this.reasons.push(reason);
		else this.more++;
	}
	get count(): number {
		return this.reasons.length + this.more;
	}
	lines(): string[] {
		return this.more > 0 ? [...this.reasons, `... and ${this.more} more`] : [...this.reasons];
	}
}
