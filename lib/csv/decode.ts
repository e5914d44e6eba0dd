import { isAscii, isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';

import { CsvReadError } from './errors';

export type CsvEncoding = 'utf-8' | 'windows-1252' | 'latin1' | 'utf-16le';

/** Where the text decoded so far ends: the line a problem in the next bytes is on. */
export interface LinePosition {
	/** Physical line (1-based) of the next character. */
	line: number;
	/** The text so far ended with a CR: an LF first in the next text ends the same line. */
	afterCr: boolean;
}

const LF = 10;
const CR = 13;

/** The line of `text[at]`, for text that follows `before`. */
function lineAt(before: LinePosition, text: string, at: number): number {
	let line = before.line;
	let previousCr = before.afterCr;
	for (let i = 0; i < at; i++) {
		const c = text.charCodeAt(i);
		if (c === CR) line++;
		else if (c === LF && !previousCr) line++;
		previousCr = c === CR;
	}
	return line;
}

/** Length of an incomplete UTF-8 sequence at the end of `bytes` (0 to 3). */
function incompleteTail(bytes: Uint8Array): number {
	for (let back = 1; back <= Math.min(3, bytes.length); back++) {
		const byte = bytes[bytes.length - back];
		if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back
		const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
		return need > back ? back : 0;
	}
	return 0;
}

/** Index in `text` (decoded with replacement) of the first character that stands for invalid bytes. */
function firstInvalid(bytes: Buffer): { text: string; at: number } {
	const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
	let at = text.indexOf('\uFFFD');
	// A U+FFFD written in the file (EF BF BD) is a character like any other.
	while (at !== -1) {
		const offset = Buffer.byteLength(text.slice(0, at));
		if (!(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd))
			break;
		at = text.indexOf('\uFFFD', at + 1);
	}
	return { text, at: at === -1 ? text.length : at };
}

const NOT_UTF8 =
	'bytes that are not valid UTF-8 (a file saved by Excel on Windows is usually Windows-1252); save it as UTF-8, or set the encoding option to Windows-1252';

/**
 * Bytes to text, chunk by chunk (a character may be split between chunks). A byte-order mark at
 * the start is removed and decides the encoding (UTF-8 or UTF-16 LE) whatever the option says.
 * UTF-8 is checked (natively): invalid bytes are an error with their line, not replaced. Latin-1's
 * 0x80-0x9F are C1 control characters, which no text file means (they are Windows-1252's €,
 * curly quotes and dashes): such a file is refused with the line, not read with invisible
 * characters.
 */
export class CsvDecoder {
	private head: Buffer | undefined = Buffer.alloc(0);
	private carry: Buffer | undefined;
	private encoding: CsvEncoding;
	private decoder: TextDecoder | undefined;

	constructor(
		encoding: CsvEncoding,
		/** Where the text handed on so far ends (the parser's position). */
		private readonly position: LinePosition,
	) {
		this.encoding = encoding;
	}

	/** The text of the next bytes ('' while a BOM is still possible or a character is split). */
	decode(chunk: Buffer): string {
		if (this.head !== undefined) {
			const head = this.head.length > 0 ? Buffer.concat([this.head, chunk]) : chunk;
			if (head.length < 3) {
				this.head = head;
				return '';
			}
			this.head = undefined;
			return this.bytes(this.startWithBom(head));
		}
		return this.bytes(chunk);
	}

	/** The text of the bytes held back at the end. */
	end(): string {
		let text = '';
		if (this.head !== undefined) {
			const head = this.head;
			this.head = undefined;
			text = this.bytes(this.startWithBom(head));
		}
		if (this.decoder) return text + this.decoder.decode();
		if (this.carry !== undefined && this.carry.length > 0) this.invalidUtf8(this.carry);
		return text;
	}

	private startWithBom(head: Buffer): Buffer {
		if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
			this.encoding = 'utf-8';
			head = head.subarray(3);
		} else if (head[0] === 0xff && head[1] === 0xfe) {
			this.encoding = 'utf-16le';
			head = head.subarray(2);
		}
		if (this.encoding === 'windows-1252' || this.encoding === 'utf-16le')
			this.decoder = new TextDecoder(this.encoding, { ignoreBOM: true });
		return head;
	}

	private bytes(chunk: Buffer): string {
		if (this.decoder) return this.decoder.decode(chunk, { stream: true });
		if (this.encoding === 'latin1') {
			const text = chunk.toString('latin1');
			const c1 = /[\x80-\x9f]/.exec(text);
			if (c1) {
				const b = text.charCodeAt(c1.index);
				throw new CsvReadError(
					`byte 0x${b.toString(16).toUpperCase()} is a control character in Latin-1 (ISO-8859-1); the file is Windows-1252 (as Excel on Windows saves it): set the encoding option to Windows-1252`,
					'INVALID_ENCODING',
					lineAt(this.position, text, c1.index),
				);
			}
			return text;
		}
		// UTF-8: checked natively; a character split at the end waits for the next chunk.
		let bytes = chunk;
		if (this.carry !== undefined) {
			bytes = Buffer.concat([this.carry, chunk]);
			this.carry = undefined;
		}
		const tail = incompleteTail(bytes);
		if (tail > 0) {
			this.carry = Buffer.from(bytes.subarray(bytes.length - tail));
			bytes = bytes.subarray(0, bytes.length - tail);
		}
		if (isAscii(bytes)) return bytes.toString('latin1');
		if (!isUtf8(bytes)) this.invalidUtf8(bytes);
		return bytes.toString('utf8');
	}

	private invalidUtf8(bytes: Buffer): never {
		const { text, at } = firstInvalid(bytes);
		throw new CsvReadError(NOT_UTF8, 'INVALID_ENCODING', lineAt(this.position, text, at));
	}
}
