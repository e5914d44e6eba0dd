import { Readable } from 'node:stream';

import { S3Client } from '@aws-sdk/client-s3';

import { describeS3Error } from '../lib/s3/errors';
import { S3Store } from '../lib/s3/store';
import { gzip, motoEndpoint, newBucket } from './helpers/s3';

async function text(body: Readable): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of body) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

describe('S3Store against moto', () => {
	it('lists every page, with folders when a delimiter is given', async () => {
		const { store } = await newBucket();
		for (const key of ['base/current/dt=20240101/a.csv', 'base/current/dt=20240102/_SUCCESS', 'base/x.txt', 'base/y.txt', 'base/z.txt']) {
			await store.write(key, 'x');
		}
		const pages = [];
		for await (const page of store.listPages('base/', undefined, 2)) pages.push(page);
		expect(pages.length).toBe(3);
		expect(pages.flatMap((p) => p.objects.map((o) => o.key))).toHaveLength(5);

		const folders: string[] = [];
		for await (const page of store.listPages('base/current/', '/', 1)) folders.push(...page.folders);
		expect(folders).toEqual(['base/current/dt=20240101/', 'base/current/dt=20240102/']);
	});

	it('reads gzip detected from the bytes, not the name', async () => {
		const { store } = await newBucket();
		await store.write('gz-named-plain.csv', gzip('a,b\n1,2\n'));
		await store.write('plain-named-gz.csv.gz', 'a,b\n3,4\n');
		const gz = await store.open('gz-named-plain.csv');
		expect(gz.gzip).toBe(true);
		expect(await text(gz.body)).toBe('a,b\n1,2\n');
		const plain = await store.open('plain-named-gz.csv.gz');
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
		await expect(failingStore.move('in/a.csv', 'out/a.csv')).rejects.toThrow(/copy s3:\/\/.*in\/a\.csv/);
		const after = await store.head('in/a.csv');
		expect(after).toEqual(before);
		expect(await store.head('out/a.csv')).toBeUndefined();
	});

	it('translates the errors a user can act on', () => {
		expect(describeS3Error({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }, 'read', 'b', 'k').message).toBe(
			'Access denied: this identity may not read s3://b/k',
		);
		const kms = describeS3Error({ name: 'KMS.DisabledException', message: 'x' }, 'read', 'b', 'k');
		expect(kms.hint).toMatch(/kms:Decrypt/);
		expect(describeS3Error({ name: 'PermanentRedirect' }, 'list', 'b').message).toBe("Wrong region for bucket 'b'");
		expect(describeS3Error({ name: 'ExpiredToken' }, 'list', 'b').hint).toMatch(/session token/);
		expect(describeS3Error({ name: 'AccessDenied', message: 'not authorized to perform sts:AssumeRole' }, 'credentials').hint).toMatch(
			/trust policy.*external ID/,
		);
	});
});
