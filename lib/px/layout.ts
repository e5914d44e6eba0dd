/**
 * The PX marker-folder layout (reference 001):
 *   <base>/current/dt=YYYYMMDD/{_SUCCESS, *.csv.gz}   ->   <base>/processed/YYYYMMDD/{status.txt, _SUCCESS, *.csv.gz}
 */
export const STATUS_FILE = 'status.txt';

/**
 * Written to the processed folder before anything is moved: the batch's decided outcome and its
 * files. A run that stops part-way is completed from it by the next run, with the same status.
 */
export const JOURNAL_FILE = '.s3-inbound-batch.json';

/** The key a file of `folder` gets in `processedFolder`; refuses anything that would leave it. */
export function processedKeyFor(key: string, folder: string, processedFolder: string): string {
	if (!key.startsWith(folder)) throw new Error(`${key} is not inside ${folder}`);
	const rest = key.slice(folder.length);
	const parts = rest.split('/');
	if (rest === '' || parts.some((p) => p === '..' || p === '.')) {
		throw new Error(`Refusing to move ${key}: its name would leave ${processedFolder}`);
	}
	return `${processedFolder}${rest}`;
}
