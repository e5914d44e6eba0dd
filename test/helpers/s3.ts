import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';

import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';

import { s3ClientFor, type S3ConnectionSettings } from '../../lib/s3/connection';
import { S3Store } from '../../lib/s3/store';

export function motoEndpoint(): string {
	const endpoint = process.env.S3_TEST_ENDPOINT;
	if (!endpoint)
		throw new Error(
			'S3_TEST_ENDPOINT is not set: run the tests through jest (globalSetup starts moto).',
		);
	return endpoint;
}

export function testSettings(overrides: Partial<S3ConnectionSettings> = {}): S3ConnectionSettings {
	return {
		authentication: 'accessKeys',
		accessKeyId: 'AKIATESTTESTTEST',
		secretAccessKey: 'test-secret-key-value',
		region: 'us-east-1',
		endpoint: motoEndpoint(),
		forcePathStyle: true,
		...overrides,
	};
}

/** A fresh, uniquely named bucket, so test files can share one moto server. */
export async function newBucket(
	prefix = 'test',
): Promise<{ bucket: string; store: S3Store; client: S3Client }> {
	const bucket = `${prefix}-${randomBytes(4).toString('hex')}`;
	const client = s3ClientFor(testSettings());
	await client.send(new CreateBucketCommand({ Bucket: bucket }));
	return { bucket, store: new S3Store(client, bucket), client };
}

export const gzip = (text: string): Buffer => gzipSync(Buffer.from(text));
