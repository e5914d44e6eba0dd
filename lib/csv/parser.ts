/**
 * The CSV parser of the reader: RFC 4180 over text that arrives in pieces of any size, in one pass,
 * with the physical line of every row and of every problem.
 *
 * Why not a library: the fast parsers (uDSV, papaparse) report no error and no line, and csv-parse,
 * which does, is ten times slower; docs/performance.md has the measurements and the choice.
 *
 * Each character is looked at once, in a tight loop per field (Node 20's `indexOf` with a start
 * position turned quadratic in the piece's length in this loop; on Node 24 it was at most 20%
 * faster). A piece that ends inside a field keeps only that field's text so far, never the
 * whole row, so cutting the text anywhere, even into single characters, costs no more than
 * reading it whole, and a quote never closed is not scanned again and again.
 */
import { CsvReadError } from './errors';

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Where the parser is between two pieces of text. */
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** In a quoted field, right after a quote that may close it or be the first of "". */
const QUOTE_SEEN = 3;

export interface CsvParserOptions {
	/** One character. */
	delimiter: string;
	/** A quote inside an unquoted field is an ordinary character (csv-parse's `relax_quotes`). */
	allowBareQuotes: boolean;
}

/**
 * Called with each record (the header first) and the physical line it starts on. The array is the
 * caller's to keep. Return false to stop.
 */
export type OnRecord = (values: string[], line: number) => boolean | void;

const MESSAGES = {
	ragged: (got: number, want: number) =>
		`the row has ${got} fields but the header has ${want}; check for an unquoted delimiter or a missing field`,
	unterminated:
		'a quoted field is never closed before the end of the file; close the quote or escape it as ""',
	closingQuote: 'a quote inside a field is not escaped; write a quote inside a quoted field as ""',
	bareQuote:
		'a field contains a quote but does not start with one (like 5\'11" or 12" pipe); quote the whole field and write inner quotes as "", or turn on the Allow Bare Quotes option',
};

export class CsvParser {
	/** Physical line (1-based) of the next character. */
	line = 1;
	/** The previous piece ended with a CR that was a line break: an LF now is part of it. */
	afterCr = false;

	private readonly delimiterCode: number;
	private readonly allowBareQuotes: boolean;
	private width = -1;
	private stopped = false;
	private mode = FIELD_START;
	/** The current field's text so far (quoted: without its quotes, "" already made "). */
	private pending = '';
	private row: string[] = [];
	private rowLine = 1;

	constructor(
		options: CsvParserOptions,
		private readonly onRecord: OnRecord,
	) {
		if (options.delimiter.length !== 1 || /["\r\n]/.test(options.delimiter))
			throw new CsvReadError(
				`the delimiter must be one character other than a quote or a line break, not '${options.delimiter}'`,
				'BAD_DELIMITER',
			);
		this.delimiterCode = options.delimiter.charCodeAt(0);
		this.allowBareQuotes = options.allowBareQuotes;
	}

	/** Parses the next piece of text. Returns false once a callback asked to stop. */
	write(text: string): boolean {
		if (this.stopped) return false;
		const len = text.length;
		if (len === 0) return true;
		const delimiterCode = this.delimiterCode;
		const strict = !this.allowBareQuotes;
		let mode = this.mode;
		let pending = this.pending;
		let row = this.row;
		let line = this.line;
		let rowLine = this.rowLine;
		let pos = 0;
		// An LF first in this piece ends the line of a CR last in the previous one.
		let lfBelongsToCr = false;
		if (this.afterCr) {
			this.afterCr = false;
			if (text.charCodeAt(0) === LF) {
				if (mode === FIELD_START) pos = 1;
				else lfBelongsToCr = true; // inside a quoted field: the LF is text, its line is counted
			}
		}
		// The value of a quoted field just closed, and the character after its closing quote.
		let value = '';
		let after = 0;

		while (pos < len) {
			if (mode === FIELD_START) {
				const c = text.charCodeAt(pos);
				if (c === QUOTE) {
					if (row.length === 0) rowLine = line;
					mode = QUOTED;
					pos++;
					continue;
				}
				if (c === LF || c === CR) {
					line++;
					pos++;
					if (c === CR) {
						if (pos === len) this.afterCr = true;
						else if (text.charCodeAt(pos) === LF) pos++;
					}
					// An empty line is skipped; after a delimiter it ends the row's last, empty field.
					if (row.length === 0) continue;
					row.push('');
					if (!this.emit(row, rowLine)) return this.stop(mode, pending, line, rowLine);
					row = [];
					continue;
				}
				if (row.length === 0) rowLine = line;
				mode = UNQUOTED;
			}

			if (mode === UNQUOTED) {
				// To the delimiter or the line break; a quote here is a bare quote.
				let end = pos;
				let c = 0;
				if (strict) {
					while (end < len) {
						c = text.charCodeAt(end);
						if (c === delimiterCode || c === LF || c === CR || c === QUOTE) break;
						end++;
					}
					if (end < len && c === QUOTE)
						throw new CsvReadError(MESSAGES.bareQuote, 'INVALID_QUOTE', line);
				} else {
					while (end < len) {
						c = text.charCodeAt(end);
						if (c === delimiterCode || c === LF || c === CR) break;
						end++;
					}
				}
				if (end === len) {
					pending += text.slice(pos);
					break;
				}
				row.push(pending === '' ? text.slice(pos, end) : pending + text.slice(pos, end));
				pending = '';
				mode = FIELD_START;
				pos = end + 1;
				if (c !== delimiterCode) {
					line++;
					if (c === CR) {
						if (pos === len) this.afterCr = true;
						else if (text.charCodeAt(pos) === LF) pos++;
					}
					if (!this.emit(row, rowLine)) return this.stop(mode, pending, line, rowLine);
					row = [];
				}
				continue;
			}

			if (mode === QUOTED) {
				// To the closing quote ("" is a quote), counting the line breaks inside.
				const start = pos;
				let escaped = false;
				let at = pos;
				for (;;) {
					while (at < len) {
						const c = text.charCodeAt(at);
						if (c === QUOTE) break;
						if (c === CR) line++;
						else if (c === LF && (at === 0 ? !lfBelongsToCr : text.charCodeAt(at - 1) !== CR))
							line++;
						at++;
					}
					if (at + 1 < len && text.charCodeAt(at + 1) === QUOTE) {
						escaped = true;
						at += 2;
						continue;
					}
					break;
				}
				if (at + 1 >= len) {
					// The field goes on in the next piece (after a quote that may close it).
					const part = text.slice(start, at);
					pending += escaped ? part.replaceAll('""', '"') : part;
					if (at < len) mode = QUOTE_SEEN;
					else if (text.charCodeAt(len - 1) === CR) this.afterCr = true;
					break;
				}
				let part = text.slice(start, at);
				if (escaped) part = part.replaceAll('""', '"');
				value = pending === '' ? part : pending + part;
				pending = '';
				pos = at + 1;
				after = text.charCodeAt(pos);
			} else {
				// QUOTE_SEEN: the previous piece ended with a quote inside a quoted field.
				after = text.charCodeAt(pos);
				if (after === QUOTE) {
					pending += '"';
					mode = QUOTED;
					pos++;
					continue;
				}
				value = pending;
				pending = '';
			}
			lfBelongsToCr = false;

			// After a closing quote: a delimiter, a line break, or (bare quotes allowed) more text.
			if (after === delimiterCode) {
				row.push(value);
				mode = FIELD_START;
				pos++;
			} else if (after === LF || after === CR) {
				row.push(value);
				mode = FIELD_START;
				line++;
				pos++;
				if (after === CR) {
					if (pos === len) this.afterCr = true;
					else if (text.charCodeAt(pos) === LF) pos++;
				}
				if (!this.emit(row, rowLine)) return this.stop(mode, pending, line, rowLine);
				row = [];
			} else if (strict) {
				throw new CsvReadError(MESSAGES.closingQuote, 'INVALID_QUOTE', line);
			} else {
				// As csv-parse relaxes it: the field is its text as written, quotes included.
				pending = `"${value}"`;
				mode = UNQUOTED;
			}
		}

		this.mode = mode;
		this.pending = pending;
		this.row = row;
		this.line = line;
		this.rowLine = rowLine;
		return true;
	}

	/** The end of the text: the last row, or the quote never closed. */
	end(): void {
		if (this.stopped) return;
		const row = this.row;
		switch (this.mode) {
			case FIELD_START:
				if (row.length === 0) return;
				row.push('');
				break;
			case UNQUOTED:
			case QUOTE_SEEN:
				row.push(this.pending);
				break;
			case QUOTED: {
				const text = this.pending;
				const last = text.charCodeAt(text.length - 1);
				const endLine = last === LF || last === CR ? this.line - 1 : this.line;
				throw new CsvReadError(
					MESSAGES.unterminated,
					'UNTERMINATED_QUOTE',
					this.rowLine,
					undefined,
					endLine,
				);
			}
		}
		this.mode = FIELD_START;
		this.pending = '';
		this.row = [];
		this.emit(row, this.rowLine);
	}

	/** The header row's width sets every row's; a row of another width is refused with its line. */
	private emit(row: string[], line: number): boolean {
		if (this.width === -1) this.width = row.length;
		else if (row.length !== this.width)
			throw new CsvReadError(MESSAGES.ragged(row.length, this.width), 'RAGGED_ROW', line);
		if (this.onRecord(row, line) === false) this.stopped = true;
		return !this.stopped;
	}

	private stop(mode: number, pending: string, line: number, rowLine: number): boolean {
		this.mode = mode;
		this.pending = pending;
		this.row = [];
		this.line = line;
		this.rowLine = rowLine;
		return false;
	}
}
