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
	/** Strict mode: at most this many rows per file (PX's 350,000); more rejects the file. */
	strictMaxRows: number;
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

/** Exact powers of ten (up to 10^22 a double holds them exactly). */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * A number as `NUMBER` says (digits with an optional sign, '.' decimal point and exponent), read
 * character by character: no regular expression, no trimmed copy. Up to 15 digits and 22 decimals
 * without exponent, the value is its digits divided by a power of ten, both exact, so the division
 * rounds as `Number()` does (Clinger's fast path); anything else goes to `Number()`.
 */
function toNumber(text: string): number | typeof INVALID {
	const n = text.length;
	let i = 0;
	let c = text.charCodeAt(0);
	let negative = false;
	if (c === 43 || c === 45) {
		// + -
		negative = c === 45;
		c = text.charCodeAt(++i);
	}
	let digits = 0;
	let mantissa = 0;
	while (c >= 48 && c <= 57) {
		mantissa = mantissa * 10 + (c - 48);
		digits++;
		c = text.charCodeAt(++i);
	}
	let decimals = 0;
	if (c === 46) {
		// .
		c = text.charCodeAt(++i);
		while (c >= 48 && c <= 57) {
			mantissa = mantissa * 10 + (c - 48);
			digits++;
			decimals++;
			c = text.charCodeAt(++i);
		}
	}
	if (digits > 0 && i === n) {
		if (digits <= 15 && decimals <= 22) {
			const value = mantissa / POWERS_OF_TEN[decimals];
			return negative ? -value : value;
		}
		return Number(text);
	}
	if (digits > 0 && (c === 101 || c === 69)) {
		// e E
		c = text.charCodeAt(++i);
		if (c === 43 || c === 45) c = text.charCodeAt(++i);
		const from = i;
		while (c >= 48 && c <= 57) c = text.charCodeAt(++i);
		if (i > from && i === n) return Number(text);
	}
	// Spaces around the number, or not a number.
	const t = text.trim();
	return t !== text && NUMBER.test(t) ? Number(t) : INVALID;
}

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
					convert = toNumber;
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
					const read = d.type === 'date' ? compiled.date : compiled.dateTime;
					convert = (text) => read(text) ?? INVALID;
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
		let problems: MappingProblem[] | undefined;
		const list = this.fields;
		for (let i = 0; i < list.length; i++)
			problems = this.mapOne(list[i], record[list[i].source], row, fields, problems);
		return problems;
	}

	/** Each field's column position in a file's header (-1 when the column is absent). */
	columnIndexes(header: readonly string[]): Int32Array {
		const position = new Map(header.map((name, i) => [name, i]));
		return Int32Array.from(this.fields.map((f) => position.get(f.source) ?? -1));
	}

	/** The file's columns as `mapValues` reads them: compiled once per file (per `columnIndexes`). */
	private file?: {
		indexes: Int32Array;
		targets: string[];
		converts: Array<(text: string) => unknown>;
		required: Uint8Array;
	};

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
		let file = this.file;
		if (file === undefined || file.indexes !== indexes)
			file = this.file = {
				indexes,
				targets: this.fields.map((f) => f.target),
				converts: this.fields.map((f) => f.convert),
				required: Uint8Array.from(this.fields.map((f) => (f.required ? 1 : 0))),
			};
		const { targets, converts, required } = file;
		let problems: MappingProblem[] | undefined;
		for (let i = 0; i < indexes.length; i++) {
			const at = indexes[i];
			const raw = at === -1 ? undefined : values[at];
			if (typeof raw === 'string' && raw !== '') {
				const value = converts[i](raw);
				if (value !== INVALID) fields[targets[i]] = value;
				else problems = this.problem(this.fields[i], raw, row, problems);
			} else if (raw === undefined || raw === null || raw === '') {
				if (required[i] === 1) problems = this.missing(this.fields[i], row, problems);
				else fields[targets[i]] = null;
			} else problems = this.mapOne(this.fields[i], raw, row, fields, problems);
		}
		return problems;
	}

	/** One field's value into `fields`, or its problem. */
	private mapOne(
		f: CompiledField,
		raw: unknown,
		row: number,
		fields: Record<string, unknown>,
		problems: MappingProblem[] | undefined,
	): MappingProblem[] | undefined {
		if (raw === undefined || raw === null || raw === '') {
			if (f.required) return this.missing(f, row, problems);
			fields[f.target] = null;
			return problems;
		}
		const text = typeof raw === 'string' ? raw : String(raw);
		const value = f.convert(text);
		if (value === INVALID) return this.problem(f, text, row, problems);
		fields[f.target] = value;
		return problems;
	}

	private missing(f: CompiledField, row: number, problems: MappingProblem[] | undefined) {
		(problems ??= []).push({
			row,
			column: f.source,
			reason: `Row ${row}, column '${f.source}': a value is required`,
		});
		return problems;
	}

	private problem(
		f: CompiledField,
		text: string,
		row: number,
		problems: MappingProblem[] | undefined,
	) {
		(problems ??= []).push({
			row,
			column: f.source,
			reason: `Row ${row}, column '${f.source}': ${f.reason(text)}`,
		});
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
