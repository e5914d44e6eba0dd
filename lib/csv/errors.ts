/** A problem with the file's bytes or CSV structure. `line` is 1-based, the header is line 1. */
export class CsvReadError extends Error {
	constructor(
		readonly reason: string,
		readonly code: string,
		readonly line?: number,
		readonly column?: string,
		/** For a quote never closed: the file's last line. */
		readonly endLine?: number,
	) {
		super(line === undefined ? reason : `line ${line}: ${reason}`);
		this.name = 'CsvReadError';
	}
}
