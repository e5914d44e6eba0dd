import { Info } from 'luxon';

/**
 * Dates in the Java-style patterns customers write (SimpleDateFormat / DateTimeFormatter letters),
 * compiled once into a strict parser. Following PX's S3 import guide, `YYYY` means the calendar year and
 * `DD` the day of the month when the pattern also has a month, because that is what customers
 * copy from it (`YYYYMMDD`).
 */
export interface ParsedDate {
	/** YYYY-MM-DD */
	date: string;
	/** ISO 8601 in UTC, e.g. 2021-06-25T13:55:42.000Z */
	dateTime: string;
}

export interface CompiledDatePattern {
	pattern: string;
	parse(text: string): ParsedDate | undefined;
	/** Things the user probably got wrong, e.g. `mm` (minutes) where `MM` (month) was meant. */
	warnings: string[];
	hasTime: boolean;
}

type Part =
	| 'year'
	| 'year2'
	| 'month'
	| 'monthName'
	| 'day'
	| 'dayOfYear'
	| 'dayName'
	| 'hour24'
	| 'hour12'
	| 'hour24k'
	| 'hour11'
	| 'ampm'
	| 'minute'
	| 'second'
	| 'fraction'
	| 'offset'
	| 'ignore';

/** Milliseconds since the epoch of a UTC date and time; years 0-99 are those years, not 19xx. */
function utcMs(
	year: number,
	month: number,
	day: number,
	hour = 0,
	minute = 0,
	second = 0,
	ms = 0,
): number {
	const at = new Date(Date.UTC(2000, 0, 1, hour, minute, second, ms));
	at.setUTCFullYear(year, month - 1, day);
	return at.getTime();
}

interface Token {
	part: Part;
	regex: string;
	width?: number;
}

const OFFSET = '([+-]\\d{2}(?::?\\d{2})?)';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function tokenize(pattern: string): Array<{ letter: string; count: number } | { literal: string }> {
	const out: Array<{ letter: string; count: number } | { literal: string }> = [];
	let i = 0;
	while (i < pattern.length) {
		const c = pattern[i];
		if (c === "'") {
			if (pattern[i + 1] === "'") {
				out.push({ literal: "'" });
				i += 2;
				continue;
			}
			const end = pattern.indexOf("'", i + 1);
			if (end === -1) throw new Error(`The date format '${pattern}' has an unclosed quote`);
			out.push({ literal: pattern.slice(i + 1, end).replace(/''/g, "'") });
			i = end + 1;
			continue;
		}
		if (/[A-Za-z]/.test(c)) {
			let j = i;
			while (pattern[j] === c) j++;
			out.push({ letter: c, count: j - i });
			i = j;
			continue;
		}
		out.push({ literal: c });
		i++;
	}
	return out;
}

const MONTHS_SHORT = Info.months('short', { locale: 'en' }).map((m) => m.toLowerCase());
const MONTHS_LONG = Info.months('long', { locale: 'en' }).map((m) => m.toLowerCase());
/** Day names, Sunday first as `Date.getUTCDay` counts (luxon lists them Monday first). */
const DAY_NAMES = Info.weekdays('long', { locale: 'en' }).map((d) => d.toLowerCase());
DAY_NAMES.unshift(DAY_NAMES.pop() as string);

const digits = (count: number, max: number) =>
	count === 1 ? `(\\d{1,${max}})` : `(\\d{${count}})`;

export function compileDatePattern(pattern: string): CompiledDatePattern {
	const tokens = tokenize(pattern);
	const letters = new Set(tokens.flatMap((t) => ('letter' in t ? [t.letter] : [])));
	const hasMonth = letters.has('M') || letters.has('L');
	const hasHour = ['H', 'h', 'k', 'K'].some((l) => letters.has(l));
	const warnings: string[] = [];
	if (letters.has('m') && !hasHour) {
		warnings.push(
			`The date format '${pattern}' uses 'mm' (minutes) but no hour: for the month write 'MM'.`,
		);
	}
	const parts: Token[] = [];
	let regex = '^';
	for (const t of tokens) {
		if ('literal' in t) {
			regex += escape(t.literal);
			continue;
		}
		const { letter, count } = t;
		let token: Token;
		switch (letter) {
			case 'y':
			case 'Y':
			case 'u':
				token =
					count === 2
						? { part: 'year2', regex: '(\\d{2})' }
						: { part: 'year', regex: count === 1 ? '(\\d{1,4})' : `(\\d{${Math.max(count, 4)}})` };
				break;
			case 'M':
			case 'L':
				token =
					count >= 3
						? { part: 'monthName', regex: '([A-Za-z]+)', width: count }
						: { part: 'month', regex: digits(count, 2) };
				break;
			case 'd':
				token = { part: 'day', regex: digits(count, 2) };
				break;
			case 'D':
				token = hasMonth
					? { part: 'day', regex: digits(count, 2) }
					: { part: 'dayOfYear', regex: digits(count, 3) };
				break;
			case 'H':
				token = { part: 'hour24', regex: digits(count, 2) };
				break;
			case 'k':
				token = { part: 'hour24k', regex: digits(count, 2) };
				break;
			case 'h':
				token = { part: 'hour12', regex: digits(count, 2) };
				break;
			case 'K':
				token = { part: 'hour11', regex: digits(count, 2) };
				break;
			case 'a':
				token = { part: 'ampm', regex: '([AaPp][Mm])' };
				break;
			case 'm':
				token = { part: 'minute', regex: digits(count, 2) };
				break;
			case 's':
				token = { part: 'second', regex: digits(count, 2) };
				break;
			case 'S':
				token = { part: 'fraction', regex: `(\\d{${count}})` };
				break;
			case 'X':
			case 'x':
			case 'Z':
				// Any offset form is accepted whatever the letter count: Z, +02, +0200, +02:00.
				token = { part: 'offset', regex: letter === 'x' ? OFFSET : `(Z|${OFFSET.slice(1, -1)})` };
				break;
			case 'E':
				// EEE is Mon, EEEE is Monday: checked against the date.
				token = { part: 'dayName', regex: '([A-Za-z]+)' };
				break;
			default:
				throw new Error(
					`The date format '${pattern}' uses the letter '${letter}', which is not supported; use y, M, d, H, h, a, m, s, S, X or Z`,
				);
		}
		parts.push(token);
		regex += token.regex;
	}
	const compiled = new RegExp(`${regex}$`);
	const pivot = new Date().getUTCFullYear() + 20;

	// Real files repeat their dates a lot: remember recent answers (bounded).
	const cache = new Map<string, ParsedDate | null>();
	const CACHE_LIMIT = 20_000;
	const parse = (text: string): ParsedDate | undefined => {
		const known = cache.get(text);
		if (known !== undefined) return known ?? undefined;
		const parsed = parseUncached(text);
		if (cache.size >= CACHE_LIMIT) cache.clear();
		cache.set(text, parsed ?? null);
		return parsed;
	};
	const parseUncached = (text: string): ParsedDate | undefined => {
		const match = compiled.exec(text.trim());
		if (!match) return undefined;
		let year = 1970;
		let month = 1;
		let day = 1;
		let dayOfYear: number | undefined;
		let dayName: number | undefined;
		let hour = 0;
		let pm: boolean | undefined;
		let minute = 0;
		let second = 0;
		let ms = 0;
		let offsetMinutes = 0;
		for (let i = 0; i < parts.length; i++) {
			const value = match[i + 1];
			switch (parts[i].part) {
				case 'year':
					year = Number(value);
					break;
				case 'year2': {
					const y = 2000 + Number(value);
					year = y > pivot ? y - 100 : y;
					break;
				}
				case 'month':
					month = Number(value);
					break;
				case 'monthName': {
					const name = value.toLowerCase();
					const list = (parts[i].width ?? 3) >= 4 ? MONTHS_LONG : MONTHS_SHORT;
					const index = list.indexOf(name);
					if (index === -1) return undefined;
					month = index + 1;
					break;
				}
				case 'day':
					day = Number(value);
					break;
				case 'dayOfYear':
					dayOfYear = Number(value);
					break;
				case 'hour24':
					hour = Number(value);
					if (hour > 23) return undefined;
					break;
				case 'hour24k':
					hour = Number(value);
					if (hour < 1 || hour > 24) return undefined;
					hour %= 24;
					break;
				case 'hour12':
					hour = Number(value);
					if (hour < 1 || hour > 12) return undefined;
					hour %= 12;
					break;
				case 'hour11':
					hour = Number(value);
					if (hour > 11) return undefined;
					break;
				case 'ampm':
					pm = value.toLowerCase() === 'pm';
					break;
				case 'minute':
					minute = Number(value);
					if (minute > 59) return undefined;
					break;
				case 'second':
					second = Number(value);
					if (second > 59) return undefined;
					break;
				case 'fraction':
					ms = Math.round(Number(`0.${value}`) * 1000);
					break;
				case 'offset': {
					if (value === 'Z') break;
					const sign = value[0] === '-' ? -1 : 1;
					const d = value.slice(1).replace(':', '');
					const oh = Number(d.slice(0, 2));
					const om = d.length > 2 ? Number(d.slice(2, 4)) : 0;
					if (oh > 18 || om > 59) return undefined;
					offsetMinutes = sign * (oh * 60 + om);
					break;
				}
				case 'dayName': {
					const name = value.toLowerCase();
					const found = DAY_NAMES.findIndex((d) =>
						name.length === 3 ? d.startsWith(name) : d === name,
					);
					if (found === -1) return undefined;
					dayName = found;
					break;
				}
				case 'ignore':
					break;
			}
		}
		if (pm !== undefined && pm && hour < 12) hour += 12;
		if (dayOfYear !== undefined) {
			const start = utcMs(year, 1, 1);
			const at = new Date(start + (dayOfYear - 1) * 86_400_000);
			if (dayOfYear < 1 || at.getUTCFullYear() !== year) return undefined;
			month = at.getUTCMonth() + 1;
			day = at.getUTCDate();
		}
		if (month < 1 || month > 12 || day < 1) return undefined;
		const daysInMonth = new Date(utcMs(year, month + 1, 0)).getUTCDate();
		if (day > daysInMonth) return undefined;
		// A day name must be the date's own (Fri, 2024-02-29 is right; Mon is not).
		if (dayName !== undefined && new Date(utcMs(year, month, day)).getUTCDay() !== dayName)
			return undefined;
		const utc = utcMs(year, month, day, hour, minute, second, ms) - offsetMinutes * 60_000;
		const stamp = new Date(utc);
		if (Number.isNaN(stamp.getTime())) return undefined;
		const pad = (n: number, w = 2) => String(n).padStart(w, '0');
		return { date: `${pad(year, 4)}-${pad(month)}-${pad(day)}`, dateTime: stamp.toISOString() };
	};
	return { pattern, parse, warnings, hasTime: hasHour };
}
