import { Readable } from 'node:stream';

import { S3Client } from '@aws-sdk/client-s3';

import { decodeGzipIfNeeded } from '../../lib/csv/decompress';
import { describeS3Error } from '../../lib/s3/errors';
import { copyVerified } from '../../lib/s3/verify';
import { S3Store, type S3ObjectInfo } from '../../lib/s3/store';
import { gzip, motoEndpoint, newBucket } from '../helpers/s3';

async function text(body: Readable): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of body) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

describe('S3Store against moto', () => {
	it('lists every page, with folders when a delimiter is given', async () => {
		const { store } = await newBucket();
		for (const key of [
			'base/current/dt=20240101/a.csv',
			'base/current/dt=20240102/_SUCCESS',
			'base/x.txt',
			'base/y.txt',
			'base/z.txt',
		]) {
			await store.write(key, 'x');
		}
		const pages = [];
		for await (const page of store.listPages('base/', undefined, 2)) pages.push(page);
		expect(pages.length).toBe(3);
		expect(pages.flatMap((p) => p.objects.map((o) => o.key))).toHaveLength(5);

		const folders: string[] = [];
		for await (const page of store.listPages('base/current/', '/', 1))
			folders.push(...page.folders);
		expect(folders).toEqual(['base/current/dt=20240101/', 'base/current/dt=20240102/']);
	});

	it('opens objects as stored; reading tells gzip from the bytes, not the name', async () => {
		const { store } = await newBucket();
		await store.write('gz-named-plain.csv', gzip('a,b\n1,2\n'));
		await store.write('plain-named-gz.csv.gz', 'a,b\n3,4\n');
		const stored = await store.open('gz-named-plain.csv');
		const gz = await decodeGzipIfNeeded(stored.body);
		expect(gz.gzip).toBe(true);
		expect(await text(gz.body)).toBe('a,b\n1,2\n');
		const plain = await decodeGzipIfNeeded((await store.open('plain-named-gz.csv.gz')).body);
		expect(plain.gzip).toBe(false);
		expect(await text(plain.body)).toBe('a,b\n3,4\n');
	});

	it('head returns undefined for a missing key, and errors name bucket and key', async () => {
		const { store, client } = await newBucket();
		expect(await store.head('nope.csv')).toBeUndefined();
		await expect(store.open('nope.csv')).rejects.toThrow(/No such object: s3:\/\/.*\/nope\.csv/);
		const missing = new S3Store(client, 'no-such-bucket-here');
		await expect(missing.listObjects('')).rejects.toThrow("No such bucket: 'no-such-bucket-here'");
	});

	it('moves keys with spaces, = and unicode: copy verified, then source deleted', async () => {
		const { store } = await newBucket();
		const from = 'base/current/dt=20240101/users +1 é.csv.gz';
		const to = 'base/processed/20240101/users +1 é.csv.gz';
		await store.write(from, gzip('id\n1\n'));
		const original = await store.head(from);
		expect(await store.move(from, to)).toBe('moved');
		expect(await store.head(from)).toBeUndefined();
		const moved = await store.head(to);
		expect(moved?.etag).toBe(original?.etag);
		expect(moved?.size).toBe(original?.size);
		// Repeating the move after a crash finds the copy in place.
		expect(await store.move(from, to)).toBe('alreadyMoved');
	});

	it('keeps the source when the copy step fails', async () => {
		const { bucket, store } = await newBucket();
		await store.write('in/a.csv', 'id\n1\n');
		const before = await store.head('in/a.csv');
		// moto cannot be told to fail one CopyObject, so this client's middleware fails it: an injected fault.
		const failing = new S3Client({
			region: 'us-east-1',
			endpoint: motoEndpoint(),
			forcePathStyle: true,
			credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
		});
		failing.middlewareStack.add(
			(next, context) => async (args) => {
				if (context.commandName === 'CopyObjectCommand') {
					throw Object.assign(new Error('We encountered an internal error. Please try again.'), {
						name: 'InternalError',
						$metadata: { httpStatusCode: 500 },
					});
				}
				return await next(args);
			},
			{ step: 'initialize', name: 'failCopy' },
		);
		const failingStore = new S3Store(failing, bucket);
		await expect(failingStore.move('in/a.csv', 'out/a.csv')).rejects.toThrow(
			/copy s3:\/\/.*in\/a\.csv/,
		);
		const after = await store.head('in/a.csv');
		expect(after).toEqual(before);
		expect(await store.head('out/a.csv')).toBeUndefined();
	});

	it('a version written over the source between the copy and the delete is never deleted: it stays, and the move says so', async () => {
		const { bucket, store } = await newBucket();
		await store.write('in/a.csv', 'id\n1\n');
		// The customer uploads a new version right after the copy: this client writes it when the
		// copy returns (an injected race; moto honours If-Match on DeleteObject).
		const racing = new S3Client({
			region: 'us-east-1',
			endpoint: motoEndpoint(),
			forcePathStyle: true,
			credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
		});
		racing.middlewareStack.add(
			(next, context) => async (args) => {
				const result = await next(args);
				if (context.commandName === 'CopyObjectCommand') await store.write('in/a.csv', 'id\n2\n');
				return result;
			},
			{ step: 'initialize', name: 'overwriteAfterCopy' },
		);
		expect(await new S3Store(racing, bucket).move('in/a.csv', 'out/a.csv')).toBe('changed');
		expect(await store.readText('in/a.csv')).toBe('id\n2\n');
		expect(await store.readText('out/a.csv')).toBe('id\n1\n');
	});

	it('deletes only the version named (changed, gone), finds a key by listing, and reads and replaces tags', async () => {
		const { store } = await newBucket();
		const v1 = await store.write('in/a.csv', 'id\n1\n');
		await store.write('in/a.csv.status.txt', 'SUCCESS\n');
		await store.write('in/a.csv', 'id\n2\n');
		expect(await store.deleteVersion('in/a.csv', v1.etag)).toBe('changed');
		expect((await store.find('in/a.csv'))?.etag).not.toBe(v1.etag);
		expect(await store.find('in/a.cs')).toBeUndefined();
		expect(await store.find('in/missing.csv')).toBeUndefined();
		expect(await store.tags('in/a.csv')).toEqual([]);
		await store.setTags('in/a.csv', [
			{ key: 'owner', value: 'acme' },
			{ key: 'imported', value: 'true' },
		]);
		expect(await store.tags('in/a.csv')).toEqual([
			{ key: 'owner', value: 'acme' },
			{ key: 'imported', value: 'true' },
		]);
		const v2 = await store.find('in/a.csv');
		expect(await store.deleteVersion('in/a.csv', v2!.etag)).toBe('deleted');
		expect(await store.deleteVersion('in/a.csv', v2!.etag)).toBe('gone');
		await expect(store.tags('in/a.csv')).rejects.toThrow(/in\/a\.csv/);
	});

	/**
	 * moto gives every object an MD5 ETag and a copy the same ETag as its source. On AWS, an object
	 * encrypted with SSE-KMS has an ETag that is not an MD5 and its copy gets a different one. This
	 * client's middleware rewrites moto's answers to look like AWS's for SSE-KMS: an injected answer.
	 */
	function kmsLikeStore(bucket: string, copySize?: number) {
		const client = new S3Client({
			region: 'us-east-1',
			endpoint: motoEndpoint(),
			forcePathStyle: true,
			credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
		});
		const copyEtag = 'e3b0c44298fc1c149afbf4c8996fb924';
		client.middlewareStack.add(
			(next, context) => async (args) => {
				const result = await next(args);
				const output = result.output as unknown as Record<string, unknown>;
				const key = (args.input as { Key?: string }).Key ?? '';
				if (context.commandName === 'HeadObjectCommand') {
					output.ServerSideEncryption = 'aws:kms';
					if (key.startsWith('out/')) {
						output.ETag = `"${copyEtag}"`;
						if (copySize !== undefined) output.ContentLength = copySize;
					}
				}
				if (context.commandName === 'CopyObjectCommand')
					(output.CopyObjectResult as Record<string, unknown>).ETag = `"${copyEtag}"`;
				return result;
			},
			{ step: 'initialize', name: 'kmsLikeAnswers' },
		);
		return new S3Store(client, bucket);
	}

	it('moves SSE-KMS objects, whose copies have ETags of their own, and still refuses a copy of another size', async () => {
		const { bucket, store } = await newBucket();
		await store.write('in/a.csv', 'id\n1\n');
		expect(await kmsLikeStore(bucket).move('in/a.csv', 'out/a.csv')).toBe('moved');
		expect(await store.head('in/a.csv')).toBeUndefined();
		expect(await store.readText('out/a.csv')).toBe('id\n1\n');

		await store.write('in/b.csv', 'id\n2\n');
		await expect(kmsLikeStore(bucket, 999).move('in/b.csv', 'out/b.csv')).rejects.toThrow(
			/does not match the original \(size, checksum or ETag\); the original was kept/,
		);
		expect(await store.readText('in/b.csv')).toBe('id\n2\n');
	});

	it('verifies a copy by checksum where there is one, by ETag only where it is an MD5, else by the copy the request made', () => {
		const md5 = '9b2cf535f27731c974343645a3985328';
		const object = (etag: string, extra: Partial<S3ObjectInfo> = {}): S3ObjectInfo => ({
			key: 'k',
			size: 10,
			etag,
			...extra,
		});
		const crc = (value: string) => ({
			checksum: { algorithm: 'CRC32', value, type: 'FULL_OBJECT' },
		});
		const cases: Array<[string, S3ObjectInfo, S3ObjectInfo | undefined, string, boolean]> = [
			['plain, same ETag', object(md5), object(md5), md5, true],
			['plain, other ETag', object(md5), object('0'.repeat(32)), '0'.repeat(32), false],
			[
				'SSE-KMS, the copy the request made',
				object(md5, { encryption: 'aws:kms' }),
				object('f'.repeat(32)),
				'f'.repeat(32),
				true,
			],
			[
				'SSE-KMS, another object there',
				object(md5, { encryption: 'aws:kms' }),
				object('f'.repeat(32)),
				'a'.repeat(32),
				false,
			],
			['SSE-C', object(md5, { sseCustomer: true }), object('f'.repeat(32)), 'f'.repeat(32), true],
			['multipart', object(`${md5}-3`), object(md5), md5, true],
			[
				'SSE-KMS with equal checksums',
				object(md5, { encryption: 'aws:kms', ...crc('AAAA') }),
				object('f'.repeat(32), crc('AAAA')),
				'x',
				true,
			],
			[
				'SSE-KMS with different checksums',
				object(md5, { encryption: 'aws:kms', ...crc('AAAA') }),
				object('f'.repeat(32), crc('BBBB')),
				'f'.repeat(32),
				false,
			],
			['another size', object(md5), object(md5, { size: 11 }), md5, false],
			['no copy', object(md5), undefined, md5, false],
		];
		for (const [name, source, copy, result, expected] of cases)
			expect([name, copyVerified(source, copy, result)]).toEqual([name, expected]);
	});

	it('releases the connection of every read that stops early: a test run’s sample, a row cap, a ragged row', async () => {
		/* eslint-disable @typescript-eslint/no-require-imports */
		const { Agent } = require('node:http') as typeof import('node:http');
		const { NodeHttpHandler } =
			require('@smithy/node-http-handler') as typeof import('@smithy/node-http-handler');
		const { readCsv } = require('../../lib/csv/reader') as typeof import('../../lib/csv/reader');
		const { mapCsvFile } =
			require('../../lib/mapping/mapFile') as typeof import('../../lib/mapping/mapFile');
		const { FieldMapping } =
			require('../../lib/mapping/fields') as typeof import('../../lib/mapping/fields');
		/* eslint-enable @typescript-eslint/no-require-imports */
		const { bucket, store } = await newBucket();
		const big = `id,v\n${Array.from({ length: 200_000 }, (_, i) => `${i},x`).join('\n')}\n`;
		await store.write('big.csv.gz', gzip(big));
		await store.write('ragged.csv', `id,v\n1,2\n3,4,5\n${big.slice(5)}`);
		// One connection in the pool: a body left open would hold it, and every later request would wait.
		const agent = new Agent({ keepAlive: true, maxSockets: 1 });
		const client = new S3Client({
			region: 'us-east-1',
			endpoint: motoEndpoint(),
			forcePathStyle: true,
			credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
			requestHandler: new NodeHttpHandler({ httpAgent: agent }),
		});
		const pooled = new S3Store(client, bucket);
		const within = async <T>(what: string, p: Promise<T>) => {
			let timer: NodeJS.Timeout | undefined;
			const timeout = new Promise<never>(
				(_, reject) =>
					(timer = setTimeout(
						() => reject(new Error(`${what}: no connection within 5 s (one is still held)`)),
						5000,
					)),
			);
			try {
				return await Promise.race([p, timeout]);
			} finally {
				clearTimeout(timer);
			}
		};
		const mapping = new FieldMapping([{ target: 'id', type: 'string' }], {
			mode: 'lenient',
			dateFormat: 'yyyy-MM-dd',
			strictMaxRows: 350_000,
			requiredColumns: [],
			maxReasons: 5,
			keepUnmapped: true,
		});
		try {
			let n = 0;
			await readCsv(
				(await decodeGzipIfNeeded((await pooled.open('big.csv.gz')).body)).body,
				{},
				() => ++n < 10,
			);
			expect(await within('after a sample', pooled.head('big.csv.gz'))).toBeDefined();
			const capped = await mapCsvFile(
				async () => (await pooled.open('big.csv.gz')).body,
				{ bucket, key: 'big.csv.gz', etag: '', size: 0 },
				{ mapping, keepUnmapped: true, csv: { delimiter: ',', encoding: 'utf-8', rowLimit: 100 } },
			);
			expect(capped.unreadable).toMatch(/more than 100 rows/);
			expect(await within('after a row cap', pooled.head('big.csv.gz'))).toBeDefined();
			const ragged = await mapCsvFile(
				async () => (await pooled.open('ragged.csv')).body,
				{ bucket, key: 'ragged.csv', etag: '', size: 0 },
				{
					mapping,
					keepUnmapped: true,
					csv: { delimiter: ',', encoding: 'utf-8', rowLimit: 1_000_000 },
				},
			);
			expect(ragged.unreadable).toMatch(/^line 3: /);
			expect(await within('after a ragged row', pooled.head('ragged.csv'))).toBeDefined();
		} finally {
			client.destroy();
			agent.destroy();
		}
	});

	it('translates the errors a user can act on', () => {
		expect(
			describeS3Error(
				{ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } },
				'read',
				'b',
				'k',
			).message,
		).toBe('Access denied: this identity may not read s3://b/k');
		const kms = describeS3Error({ name: 'KMS.DisabledException', message: 'x' }, 'read', 'b', 'k');
		expect(kms.hint).toMatch(/kms:Decrypt/);
		expect(describeS3Error({ name: 'PermanentRedirect' }, 'list', 'b').message).toBe(
			"Wrong region for bucket 'b'",
		);
		expect(describeS3Error({ name: 'ExpiredToken' }, 'list', 'b').hint).toMatch(/session token/);
		expect(
			describeS3Error(
				{ name: 'AccessDenied', message: 'not authorized to perform sts:AssumeRole' },
				'credentials',
			).hint,
		).toMatch(/trust policy.*external ID/);
	});
});
