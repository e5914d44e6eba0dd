import { Readable } from 'node:stream';

/**
 * How the reader's tests cut a file: whole, and in 1-byte and 7-byte chunks (so that a chunk ends
 * inside quotes, between a CR and its LF, and inside a UTF-8 character).
 */
export const CHUNKINGS = [
	['whole', 0],
	['1-byte chunks', 1],
	['7-byte chunks', 7],
] as const;

/**
 * The bytes as a stream of chunks of `size` bytes (0: one chunk); with `upTo`, only the first
 * `upTo` bytes so, the rest as one chunk (a gzip file: its header cut anywhere, without 40,000
 * trips through zlib's thread pool).
 */
export function inChunks(bytes: Buffer | string, size: number, upTo = Infinity): Readable {
	const buffer = Buffer.from(bytes);
	if (size === 0) return Readable.from([buffer]);
	const chunks: Buffer[] = [];
	const end = Math.min(upTo, buffer.length);
	for (let at = 0; at < end; at += size) chunks.push(buffer.subarray(at, Math.min(at + size, end)));
	if (end < buffer.length) chunks.push(buffer.subarray(end));
	return Readable.from(chunks);
}
