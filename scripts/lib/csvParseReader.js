// @ts-check
/**
 * The reader before issue 21 (csv-parse, with its UTF-8 check and line counter), kept for one
 * release so that the benchmark's stage table shows the old and the new reader side by side in the
 * same run. UTF-8 files only (what the benchmark reads). Remove it, and csv-parse from the
 * devDependencies, with the next release.
 */
const { isUtf8 } = require('node:buffer');
const { Transform } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const { parse } = require('csv-parse');

/** Line breaks as csv-parse counts them (CRLF, LF, CR), a per-byte loop once a CR is seen. */
class LineCounter {
	lines = 0;
	previousCr = false;
	/** @param {Buffer} bytes */
	add(bytes) {
		const cr = bytes.indexOf(13);
		if (cr === -1) {
			let at = bytes.indexOf(10);
			if (at === 0 && this.previousCr) at = bytes.indexOf(10, 1);
			while (at !== -1) {
				this.lines++;
				at = bytes.indexOf(10, at + 1);
			}
			this.previousCr = false;
			return;
		}
		for (let i = 0; i < bytes.length; i++) {
			const b = bytes[i];
			if (b === 13) this.lines++;
			else if (b === 10 && !(i === 0 ? this.previousCr : bytes[i - 1] === 13)) this.lines++;
		}
		this.previousCr = bytes.length > 0 && bytes[bytes.length - 1] === 13;
	}
}

/** @param {Buffer} bytes */
function incompleteTail(bytes) {
	for (let back = 1; back <= Math.min(3, bytes.length); back++) {
		const byte = bytes[bytes.length - back];
		if ((byte & 0xc0) === 0x80) continue;
		const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
		return need > back ? back : 0;
	}
	return 0;
}

/** Passes the bytes on, checked as UTF-8 and their lines counted (the old reader's first stage). */
class Utf8Check extends Transform {
	carry = Buffer.alloc(0);
	seen = new LineCounter();
	/** @param {Buffer} chunk @param {BufferEncoding} _encoding @param {import('node:stream').TransformCallback} callback */
	_transform(chunk, _encoding, callback) {
		const bytes = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
		const tail = incompleteTail(bytes);
		const complete = tail > 0 ? bytes.subarray(0, bytes.length - tail) : bytes;
		if (!isUtf8(complete)) return callback(new Error('bytes that are not valid UTF-8'));
		this.carry = tail > 0 ? Buffer.from(bytes.subarray(bytes.length - tail)) : Buffer.alloc(0);
		this.seen.add(complete);
		callback(null, complete);
	}
	/** @param {import('node:stream').TransformCallback} callback */
	_flush(callback) {
		callback(this.carry.length > 0 ? new Error('bytes that are not valid UTF-8') : null);
	}
}

/**
 * The old `readCsvValues`: each data row's values to `onRow`, the header to `onHeader`.
 * @param {import('node:stream').Readable} source
 * @param {{ delimiter?: string, allowBareQuotes?: boolean }} options
 * @param {(values: string[], row: number) => boolean | void} onRow
 * @param {(header: string[]) => boolean | void} [onHeader]
 */
async function readCsvValues(source, options, onRow, onHeader) {
	/** @type {string[] | undefined} */
	let header;
	let rows = 0;
	let stoppedEarly = false;
	const parser = parse({
		delimiter: options.delimiter || ',',
		bom: true,
		encoding: 'utf8',
		record_delimiter: ['\r\n', '\n', '\r'],
		skip_empty_lines: true,
		relax_column_count: false,
		relax_quotes: options.allowBareQuotes === true,
	});
	parser.on('readable', () => {
		/** @type {string[] | null} */
		let record;
		while (!stoppedEarly && (record = parser.read()) !== null) {
			if (!header) {
				header = record;
				if (onHeader?.(record) === false) stoppedEarly = true;
				continue;
			}
			rows++;
			if (onRow(record, rows) === false) stoppedEarly = true;
			if (stoppedEarly) {
				source.destroy();
				parser.destroy();
			}
		}
	});
	try {
		await pipeline(source, new Utf8Check(), parser);
	} catch (error) {
		if (!stoppedEarly) throw error;
	}
	return { header: header ?? [], rows, stoppedEarly };
}

module.exports = { readCsvValues };
