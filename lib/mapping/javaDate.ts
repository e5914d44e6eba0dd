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
	/** `parse(text)?.date`, without building what is not asked for. */
	date(text: string): string | undefined;
	/** `parse(text)?.dateTime`, without building what is not asked for. */
	dateTime(text: string): string | undefined;
	/** Whether every field has a fixed width: then read without a regular expression. */
	fixedWidth: boolean;
	/** Things the user probably got wrong, e.g. `mm` (minutes) where `MM` (month) was meant. */
	warnings: string[];
	hasTime: boolean;
}

/** How many answers a pattern remembers (real files repeat their dates). */
const CACHE_LIMIT = 20_000;

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

/**
 * `fixedWidth: false` turns off the fast path for patterns whose every field has a fixed width (the
 * tests compare both ways).
 */
export function compileDatePattern(
	pattern: string,
	{ fixedWidth = true }: { fixedWidth?: boolean } = {},
): CompiledDatePattern {
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
	const fast = fixedWidth ? fixedWidthParser(tokens, hasMonth, pivot) : undefined;
	return {
		pattern,
		parse,
		date: fast ? (text) => fast.date(text) ?? parse(text)?.date : (text) => parse(text)?.date,
		dateTime: fast
			? (text) => fast.dateTime(text) ?? parse(text)?.dateTime
			: (text) => parse(text)?.dateTime,
		warnings,
		hasTime: hasHour,
		fixedWidth: fast !== undefined,
	};
}

/**
 * Days from 1970-01-01 to a date of the proleptic Gregorian calendar, as `Date.UTC` counts them
 * (also for years 0-99), without a `Date` (Howard Hinnant's days_from_civil).
 */
function daysSinceEpoch(year: number, month: number, day: number): number {
	const y = month <= 2 ? year - 1 : year;
	const era = Math.floor(y / 400);
	const yearOfEra = y - era * 400;
	const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
	const dayOfEra =
		yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
	return era * 146_097 + dayOfEra - 719_468;
}

/** Days in a month of the proleptic Gregorian calendar (as `Date` counts them). */
function daysInMonth(year: number, month: number): number {
	if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
	return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const LITERAL = 0;
const YEAR = 1;
const YEAR2 = 2;
const MONTH = 3;
const DAY = 4;
const HOUR24 = 5;
const HOUR24K = 6;
const HOUR12 = 7;
const HOUR11 = 8;
const MINUTE = 9;
const SECOND = 10;
const FRACTION = 11;
const AMPM = 12;

/** A fixed-width pattern's piece: a literal, or a field of `width` digits, at a place in the text. */
interface Slot {
	at: number;
	literal?: string;
	part?: Part;
	width: number;
}

/**
 * For a pattern whose every field has a fixed width (yyyy-MM-dd, YYYYMMDD, dd/MM/yyyy HH:mm:ss.SSS,
 * an offset at the end...): reads the digits at their places, checks them as the general parser
 * does and writes the ISO text, without a regular expression or a `Date` (but for an offset other
 * than zero). It answers only for text laid out exactly so and valid; anything else (spaces around
 * it, another width, an invalid date) goes to the general parser, which says what it says today.
 */
function fixedWidthParser(
	tokens: ReturnType<typeof tokenize>,
	hasMonth: boolean,
	pivot: number,
):
	| { date(text: string): string | undefined; dateTime(text: string): string | undefined }
	| undefined {
	const slots: Slot[] = [];
	let width = 0;
	let offset: 'any' | 'numeric' | undefined;
	for (const t of tokens) {
		if (offset) return undefined; // an offset only at the end
		if ('literal' in t) {
			if (t.literal.length > 0)
				slots.push({ literal: t.literal, at: width, width: t.literal.length });
			width += t.literal.length;
			continue;
		}
		const { letter, count } = t;
		let part: Part;
		let w = count;
		if ('yYu'.includes(letter)) {
			if (count === 1) return undefined;
			if (count > 4) return undefined; // years past 9999 are written otherwise in ISO 8601
			part = count === 2 ? 'year2' : 'year';
			w = count === 2 ? 2 : 4;
		} else if (letter === 'M' || letter === 'L') {
			if (count !== 2) return undefined;
			part = 'month';
		} else if (letter === 'd' || (letter === 'D' && hasMonth)) part = 'day';
		else if (letter === 'H') part = 'hour24';
		else if (letter === 'k') part = 'hour24k';
		else if (letter === 'h') part = 'hour12';
		else if (letter === 'K') part = 'hour11';
		else if (letter === 'm') part = 'minute';
		else if (letter === 's') part = 'second';
		else if (letter === 'S') {
			if (count > 3) return undefined;
			part = 'fraction';
		} else if (letter === 'a') {
			part = 'ampm';
			w = 2;
		} else if (letter === 'X' || letter === 'Z' || letter === 'x') {
			offset = letter === 'x' ? 'numeric' : 'any';
			continue;
		} else return undefined; // day names, month names, day of year: the general parser
		if (count === 1 && part !== 'ampm' && part !== 'fraction') return undefined; // 1 or 2 digits
		slots.push({ part, at: width, width: w });
		width += w;
	}
	const isoDate =
		slots.length === 5 &&
		slots[0].part === 'year' &&
		slots[0].width === 4 &&
		slots[1].literal === '-' &&
		slots[2].part === 'month' &&
		slots[3].literal === '-' &&
		slots[4].part === 'day' &&
		width === 10 &&
		!offset;

	// The slots as numbers, one per literal character (code LITERAL, its character as the width).
	const CODES: Partial<Record<Part, number>> = {
		year: YEAR,
		year2: YEAR2,
		month: MONTH,
		day: DAY,
		hour24: HOUR24,
		hour24k: HOUR24K,
		hour12: HOUR12,
		hour11: HOUR11,
		minute: MINUTE,
		second: SECOND,
		fraction: FRACTION,
		ampm: AMPM,
	};
	const codeList: number[] = [];
	const placeList: number[] = [];
	const widthList: number[] = [];
	for (const slot of slots) {
		if (slot.literal !== undefined) {
			for (let k = 0; k < slot.literal.length; k++) {
				codeList.push(LITERAL);
				placeList.push(slot.at + k);
				widthList.push(slot.literal.charCodeAt(k));
			}
		} else {
			codeList.push(CODES[slot.part as Part] as number);
			placeList.push(slot.at);
			widthList.push(slot.width);
		}
	}
	const codes = Int32Array.from(codeList);
	const places = Int32Array.from(placeList);
	const widths = Int32Array.from(widthList);

	// The fields of the last text read (read() returns false when it is not laid out so).
	let year = 0;
	let month = 1;
	let day = 1;
	let hour = 0;
	let minute = 0;
	let second = 0;
	let ms = 0;
	let pm: boolean | undefined;
	let offsetMinutes = 0;

	const digitsAt = (text: string, at: number, w: number): number => {
		let value = 0;
		for (let k = 0; k < w; k++) {
			const d = text.charCodeAt(at + k) - 48;
			if (d < 0 || d > 9) return -1;
			value = value * 10 + d;
		}
		return value;
	};

	const read = (text: string): boolean => {
		const n = text.length;
		if (n < width) return false;
		offsetMinutes = 0;
		if (offset) {
			const rest = n - width;
			if (rest === 1 && offset === 'any' && text.charCodeAt(width) === 90) {
				// Z
			} else if (rest === 3 || rest === 5 || rest === 6) {
				const sign = text.charCodeAt(width);
				if (sign !== 43 && sign !== 45) return false;
				const oh = digitsAt(text, width + 1, 2);
				let om = 0;
				if (rest > 3) {
					if (rest === 6 && text.charCodeAt(width + 3) !== 58) return false;
					om = digitsAt(text, n - 2, 2);
				}
				if (oh < 0 || om < 0 || oh > 18 || om > 59) return false;
				offsetMinutes = (sign === 45 ? -1 : 1) * (oh * 60 + om);
			} else return false;
		} else if (n !== width) return false;
		year = 1970;
		month = 1;
		day = 1;
		hour = 0;
		minute = 0;
		second = 0;
		ms = 0;
		pm = undefined;
		for (let i = 0; i < codes.length; i++) {
			const code = codes[i];
			const at = places[i];
			if (code === LITERAL) {
				if (text.charCodeAt(at) !== widths[i]) return false;
				continue;
			}
			if (code === AMPM) {
				const a = text.charCodeAt(at) | 32;
				if ((a !== 97 && a !== 112) || (text.charCodeAt(at + 1) | 32) !== 109) return false;
				pm = a === 112;
				continue;
			}
			let value = 0;
			for (let k = 0, w = widths[i]; k < w; k++) {
				const d = text.charCodeAt(at + k) - 48;
				if (d < 0 || d > 9) return false;
				value = value * 10 + d;
			}
			switch (code) {
				case YEAR:
					year = value;
					break;
				case YEAR2: {
					const y = 2000 + value;
					year = y > pivot ? y - 100 : y;
					break;
				}
				case MONTH:
					month = value;
					break;
				case DAY:
					day = value;
					break;
				case HOUR24:
					if (value > 23) return false;
					hour = value;
					break;
				case HOUR24K:
					if (value < 1 || value > 24) return false;
					hour = value % 24;
					break;
				case HOUR12:
					if (value < 1 || value > 12) return false;
					hour = value % 12;
					break;
				case HOUR11:
					if (value > 11) return false;
					hour = value;
					break;
				case MINUTE:
					if (value > 59) return false;
					minute = value;
					break;
				case SECOND:
					if (value > 59) return false;
					second = value;
					break;
				default: // FRACTION
					ms = widths[i] === 1 ? value * 100 : widths[i] === 2 ? value * 10 : value;
			}
		}
		if (pm && hour < 12) hour += 12;
		return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
	};

	// Real files repeat their dates: the text of each is built once, found again by its number
	// (no string hashing, nothing allocated for a date seen before). Bounded, like the general
	// cache; a column whose values rarely repeat (timestamps) stops using it after 20,000 values.
	const dates = new Map<number, string>();
	const dateTimes = new Map<number, string>();
	let lookups = 0;
	let hits = 0;
	let caching = true;
	const cached = (cache: Map<number, string>, key: number): string | undefined => {
		if (!caching) return undefined;
		const known = cache.get(key);
		if (known !== undefined) hits++;
		if (++lookups === CACHE_LIMIT) {
			caching = hits >= CACHE_LIMIT / 4;
			if (!caching) cache.clear();
		}
		return known;
	};
	const remember = (cache: Map<number, string>, key: number, text: string) => {
		if (!caching) return text;
		if (cache.size >= CACHE_LIMIT) cache.clear();
		cache.set(key, text);
		return text;
	};
	// The ISO text from the fields, as one string (no pieces joined).
	const D = (v: number) => 48 + v;
	const ymd = () =>
		String.fromCharCode(
			D(Math.floor(year / 1000)),
			D(Math.floor(year / 100) % 10),
			D(Math.floor(year / 10) % 10),
			D(year % 10),
			45,
			D(Math.floor(month / 10)),
			D(month % 10),
			45,
			D(Math.floor(day / 10)),
			D(day % 10),
		);
	return {
		date: (text) => {
			if (!read(text)) return undefined;
			const key = year * 10_000 + month * 100 + day;
			return cached(dates, key) ?? remember(dates, key, isoDate ? text : ymd());
		},
		dateTime: (text) => {
			if (!read(text)) return undefined;
			const key =
				daysSinceEpoch(year, month, day) * 86_400_000 +
				hour * 3_600_000 +
				minute * 60_000 +
				second * 1000 +
				ms -
				offsetMinutes * 60_000;
			const known = cached(dateTimes, key);
			if (known !== undefined) return known;
			// In UTC already: written from its fields; otherwise the instant's ISO text.
			const iso =
				offsetMinutes === 0
					? String.fromCharCode(
							D(Math.floor(year / 1000)),
							D(Math.floor(year / 100) % 10),
							D(Math.floor(year / 10) % 10),
							D(year % 10),
							45,
							D(Math.floor(month / 10)),
							D(month % 10),
							45,
							D(Math.floor(day / 10)),
							D(day % 10),
							84, // T
							D(Math.floor(hour / 10)),
							D(hour % 10),
							58,
							D(Math.floor(minute / 10)),
							D(minute % 10),
							58,
							D(Math.floor(second / 10)),
							D(second % 10),
							46,
							D(Math.floor(ms / 100)),
							D(Math.floor(ms / 10) % 10),
							D(ms % 10),
							90, // Z
						)
					: new Date(key).toISOString();
			return remember(dateTimes, key, iso);
		},
	};
}
