import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Reads the first bytes of a stream to decide whether it is gzip (from the bytes, not the name),
 * then returns a stream of the decoded bytes. Errors of the source reach the returned stream, and
 * destroying the returned stream (a reader that stops early) closes the source too, so an HTTP
 * body is never left open.
 */
export async function decodeGzipIfNeeded(
	source: AsyncIterable<Buffer | Uint8Array>,
): Promise<{ body: Readable; gzip: boolean }> {
	const iterator = source[Symbol.asyncIterator]();
	let head = Buffer.alloc(0);
	let done = false;
	while (head.length < GZIP_MAGIC.length) {
		const next = await iterator.next();
		if (next.done) {
			done = true;
			break;
		}
		head = Buffer.concat([head, Buffer.from(next.value)]);
	}
	async function* replay(): AsyncGenerator<Buffer> {
		try {
			if (head.length > 0) yield head;
			if (done) return;
			for (;;) {
				const next = await iterator.next();
				if (next.done) {
					done = true;
					return;
				}
				yield Buffer.from(next.value);
			}
		} finally {
			// Stopped before the end: release the source (for S3, the response body and its socket).
			if (!done) await iterator.return?.();
		}
	}
	const raw = Readable.from(replay(), { objectMode: false });
	const gzip = head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
	if (!gzip) return { body: raw, gzip };
	// 64 KiB pieces rather than zlib's default 16 KiB: a quarter of the hand-offs from zlib's thread,
	// gunzip in about half the time (docs/performance.md).
	const gunzip = createGunzip({ chunkSize: 64 * 1024 });
	raw.on('error', (error) => gunzip.destroy(error));
	gunzip.on('close', () => raw.destroy());
	raw.pipe(gunzip);
	return { body: gunzip, gzip };
}
