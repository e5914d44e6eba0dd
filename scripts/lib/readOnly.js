// @ts-check
/**
 * Child process for the benchmark: streams one object from S3 through the reading layer
 * (gunzip, decoding, parsing, row objects), keeps nothing, and prints its own peak RSS.
 * Usage: node scripts/lib/readOnly.js <endpoint> <bucket> <key>
 */
const { S3Client } = require('@aws-sdk/client-s3');

async function main() {
	const [endpoint, bucket, key] = process.argv.slice(2);
	// The compiled package (npm run build); a computed path, so type-checking does not need dist/.
	const dist = (/** @type {string} */ p) => require(`${'../../dist/lib'}/${p}`);
	const { S3Store } = dist('s3/store');
	const { readCsv } = dist('csv/reader');
	const { decodeGzipIfNeeded } = dist('csv/decompress');
	const s3 = new S3Client({
		region: 'us-east-1',
		endpoint,
		forcePathStyle: true,
		credentials: { accessKeyId: 'b', secretAccessKey: 'b' },
	});
	const started = Date.now();
	const opened = await new S3Store(s3, bucket).open(key);
	let rows = 0;
	await readCsv((await decodeGzipIfNeeded(opened.body)).body, {}, () => void rows++);
	s3.destroy();
	process.stdout.write(
		JSON.stringify({
			rows,
			ms: Date.now() - started,
			maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
		}),
	);
}

main().catch((e) => {
	process.stderr.write(String(e?.stack ?? e));
	process.exit(1);
});
