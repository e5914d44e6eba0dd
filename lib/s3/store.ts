import { Readable } from 'node:stream';

import {
	CopyObjectCommand,
	DeleteObjectCommand,
	GetObjectCommand,
	GetObjectTaggingCommand,
	HeadObjectCommand,
	ListObjectsV2Command,
	PutObjectCommand,
	PutObjectTaggingCommand,
	type S3Client,
	type Tag,
} from '@aws-sdk/client-s3';

import { describeS3Error, S3InboundError } from './errors';
import type { S3ObjectInfo } from './objects';
import { copyVerified } from './verify';

export type { S3ObjectInfo };

export interface S3ListPage {
	objects: S3ObjectInfo[];
	/** Sub-folders (common prefixes) when listing with a delimiter. */
	folders: string[];
}

export interface OpenedObject {
	info: S3ObjectInfo;
	/** The object's bytes as stored (a gzip file stays gzip: reading decodes it, see mapCsvFile). */
	body: Readable;
}

/** `changed`: the source is no longer the expected version (its ETag differs), so it was not moved. */
export type MoveOutcome = 'moved' | 'alreadyMoved' | 'changed';

/** One tag of an object (S3 allows 10 per object). */
export interface ObjectTag {
	key: string;
	value: string;
}

function cleanEtag(etag: string | undefined): string {
	return (etag ?? '').replace(/^W\//, '').replace(/"/g, '');
}

/** Percent-encodes a key for the x-amz-copy-source header, keeping the slashes. */
export function encodeCopySource(bucket: string, key: string): string {
	return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * The one place that talks to S3. Every method names bucket and key in its errors
 * (see errors.ts). It never calls GetBucketLocation: least-privilege policies do not grant it.
 */
export class S3Store {
	constructor(
		readonly client: S3Client,
		readonly bucket: string,
	) {}

	/** Every page of a listing under `prefix`; with a delimiter, sub-folders come as `folders`. */
	async *listPages(
		prefix: string,
		delimiter?: string,
		pageSize?: number,
	): AsyncGenerator<S3ListPage> {
		let continuationToken: string | undefined;
		do {
			let page;
			try {
				page = await this.client.send(
					new ListObjectsV2Command({
						Bucket: this.bucket,
						Prefix: prefix,
						Delimiter: delimiter,
						ContinuationToken: continuationToken,
						MaxKeys: pageSize,
					}),
				);
			} catch (error) {
				throw describeS3Error(error, 'list', this.bucket, prefix);
			}
			yield {
				objects: (page.Contents ?? []).map((o) => ({
					key: o.Key ?? '',
					size: o.Size ?? 0,
					etag: cleanEtag(o.ETag),
					lastModified: o.LastModified,
				})),
				folders: (page.CommonPrefixes ?? []).map((p) => p.Prefix ?? '').filter(Boolean),
			};
			continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
		} while (continuationToken);
	}

	/** All objects under a prefix (every page). */
	async listObjects(prefix: string): Promise<S3ObjectInfo[]> {
		const all: S3ObjectInfo[] = [];
		for await (const page of this.listPages(prefix)) all.push(...page.objects);
		return all;
	}

	/**
	 * The object at exactly this key, from a listing (one ListObjectsV2 request for the key as a
	 * prefix: the key itself comes first), or undefined when there is none. Unlike HEAD, it tells
	 * "no such object" from "access denied" under a policy that grants s3:ListBucket only with a
	 * prefix condition (S3 answers a HEAD of a missing key with 403 then).
	 */
	async find(key: string): Promise<S3ObjectInfo | undefined> {
		for await (const page of this.listPages(key, undefined, 1))
			return page.objects.find((o) => o.key === key);
		return undefined;
	}

	/** The object's tags (GetObjectTagging). */
	async tags(key: string): Promise<ObjectTag[]> {
		try {
			const result = await this.client.send(
				new GetObjectTaggingCommand({ Bucket: this.bucket, Key: key }),
			);
			return (result.TagSet ?? []).map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' }));
		} catch (error) {
			throw describeS3Error(error, 'tag', this.bucket, key);
		}
	}

	/** Replaces the object's tags (PutObjectTagging replaces the whole set: merge first). */
	async setTags(key: string, tags: ObjectTag[]): Promise<void> {
		const TagSet: Tag[] = tags.map((t) => ({ Key: t.key, Value: t.value }));
		try {
			await this.client.send(
				new PutObjectTaggingCommand({ Bucket: this.bucket, Key: key, Tagging: { TagSet } }),
			);
		} catch (error) {
			throw describeS3Error(error, 'tag', this.bucket, key);
		}
	}

	/** The object's size and ETag, or undefined when there is no such object. */
	async head(key: string): Promise<S3ObjectInfo | undefined> {
		try {
			const result = await this.client.send(
				new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }),
			);
			const checksums: Array<[string, string | undefined]> = [
				['CRC64NVME', result.ChecksumCRC64NVME],
				['CRC32C', result.ChecksumCRC32C],
				['CRC32', result.ChecksumCRC32],
				['SHA256', result.ChecksumSHA256],
				['SHA1', result.ChecksumSHA1],
			];
			const checksum = checksums.find(([, value]) => value);
			return {
				key,
				size: result.ContentLength ?? 0,
				etag: cleanEtag(result.ETag),
				lastModified: result.LastModified,
				...(result.ServerSideEncryption ? { encryption: result.ServerSideEncryption } : {}),
				...(result.SSECustomerAlgorithm ? { sseCustomer: true } : {}),
				...(checksum
					? {
							checksum: {
								algorithm: checksum[0],
								value: checksum[1] as string,
								...(result.ChecksumType ? { type: result.ChecksumType } : {}),
							},
						}
					: {}),
			};
		} catch (error) {
			const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata
				?.httpStatusCode;
			if (status === 404) return undefined;
			throw describeS3Error(error, 'head', this.bucket, key);
		}
	}

	/**
	 * Opens an object for streaming. With `ifMatch`, S3 refuses a different version than the one
	 * that was looked at, so a file overwritten mid-decision is not half-imported.
	 */
	async open(key: string, options: { ifMatch?: string } = {}): Promise<OpenedObject> {
		let result;
		try {
			result = await this.client.send(
				new GetObjectCommand({
					Bucket: this.bucket,
					Key: key,
					...(options.ifMatch ? { IfMatch: `"${options.ifMatch.replace(/"/g, '')}"` } : {}),
				}),
			);
		} catch (error) {
			throw describeS3Error(error, 'read', this.bucket, key);
		}
		const stream = result.Body as Readable | undefined;
		if (!stream)
			throw new S3InboundError(
				`s3://${this.bucket}/${key} has no body`,
				'Upload the file again.',
				'EmptyBody',
				this.bucket,
				key,
			);
		const wrapped = (async function* (bucket: string) {
			try {
				for await (const chunk of stream) yield chunk as Buffer;
			} catch (error) {
				throw describeS3Error(error, 'read', bucket, key);
			}
		})(this.bucket);
		return {
			info: {
				key,
				size: result.ContentLength ?? 0,
				etag: cleanEtag(result.ETag),
				lastModified: result.LastModified,
			},
			body: Readable.from(wrapped, { objectMode: false }),
		};
	}

	async write(
		key: string,
		body: string | Buffer,
		contentType = 'text/plain; charset=utf-8',
	): Promise<S3ObjectInfo> {
		try {
			const result = await this.client.send(
				new PutObjectCommand({
					Bucket: this.bucket,
					Key: key,
					Body: body,
					ContentType: contentType,
					ContentLength: Buffer.byteLength(body),
				}),
			);
			return { key, size: Buffer.byteLength(body), etag: cleanEtag(result.ETag) };
		} catch (error) {
			throw describeS3Error(error, 'write', this.bucket, key);
		}
	}

	/**
	 * Writes only if no object has the key (a conditional write, `If-None-Match: *`): the one way
	 * two writers cannot both win. Returns false when the key exists.
	 */
	async writeIfAbsent(
		key: string,
		body: string,
		contentType = 'application/json',
	): Promise<boolean> {
		try {
			await this.client.send(
				new PutObjectCommand({
					Bucket: this.bucket,
					Key: key,
					Body: body,
					ContentType: contentType,
					ContentLength: Buffer.byteLength(body),
					IfNoneMatch: '*',
				}),
			);
			return true;
		} catch (error) {
			const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
			// 412: it exists. 409 ConditionalRequestConflict: another conditional write to it is in flight.
			if (
				e.$metadata?.httpStatusCode === 412 ||
				e.$metadata?.httpStatusCode === 409 ||
				e.name === 'PreconditionFailed'
			)
				return false;
			throw describeS3Error(error, 'write', this.bucket, key);
		}
	}

	async readText(key: string): Promise<string | undefined> {
		return (await this.readTextVersion(key))?.text;
	}

	/** A small object's text and the ETag of the version read (from the same GET). */
	async readTextVersion(key: string): Promise<{ text: string; etag: string } | undefined> {
		// One GET: a missing object is its NoSuchKey answer, not a HEAD first.
		let opened;
		try {
			opened = await this.open(key);
		} catch (error) {
			if ((error as { code?: string }).code === 'NoSuchKey') return undefined;
			throw error;
		}
		const chunks: Buffer[] = [];
		for await (const chunk of opened.body) chunks.push(chunk as Buffer);
		return { text: Buffer.concat(chunks).toString('utf8'), etag: opened.info.etag };
	}

	/**
	 * Deletes the object only if it is still the version with this ETag (S3's conditional delete,
	 * `If-Match`); false when another writer replaced it meanwhile (or it is gone).
	 */
	async deleteIfMatch(key: string, etag: string): Promise<boolean> {
		return (await this.deleteVersion(key, etag)) === 'deleted';
	}

	/**
	 * Deletes the object only if it is still the version with this ETag (`If-Match`): `changed` when
	 * another version is there now (412), `gone` when there is none (404). Needs s3:DeleteObject
	 * and s3:GetObject.
	 */
	async deleteVersion(key: string, etag: string): Promise<'deleted' | 'changed' | 'gone'> {
		try {
			await this.client.send(
				new DeleteObjectCommand({
					Bucket: this.bucket,
					Key: key,
					IfMatch: `"${etag.replace(/"/g, '')}"`,
				}),
			);
			return 'deleted';
		} catch (error) {
			const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
			if (e.$metadata?.httpStatusCode === 412 || e.name === 'PreconditionFailed') return 'changed';
			if (e.$metadata?.httpStatusCode === 404 || e.name === 'NoSuchKey') return 'gone';
			throw describeS3Error(error, 'delete', this.bucket, key);
		}
	}

	async delete(key: string): Promise<void> {
		try {
			await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
		} catch (error) {
			throw describeS3Error(error, 'delete', this.bucket, key);
		}
	}

	/**
	 * Moves an object: copy (`CopySourceIfMatch` on the source's ETag), verify the copy (size, and
	 * checksum or ETag where S3 keeps them across a copy), then delete the source in the version
	 * copied (`If-Match` on its ETag): the source is never deleted before its copy is verified, and a
	 * version written over it meanwhile is never deleted (it stays: `changed`). With
	 * `expectedEtag`, only that version moves (another one is left where it is: `changed`).
	 * Safe to repeat after a crash at any step: a source already gone with its copy in place
	 * counts as moved.
	 */
	async move(fromKey: string, toKey: string, expectedEtag?: string): Promise<MoveOutcome> {
		if (fromKey === toKey)
			throw new S3InboundError(
				`Cannot move s3://${this.bucket}/${fromKey} onto itself`,
				'Choose another destination.',
				'SameKey',
				this.bucket,
				fromKey,
			);
		const source = await this.head(fromKey);
		if (!source) {
			if (await this.head(toKey)) return 'alreadyMoved';
			throw describeS3Error(
				{ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } },
				'copy',
				this.bucket,
				fromKey,
			);
		}
		if (expectedEtag && source.etag !== expectedEtag) return 'changed';
		let copyEtag: string;
		try {
			const copied = await this.client.send(
				new CopyObjectCommand({
					Bucket: this.bucket,
					Key: toKey,
					CopySource: encodeCopySource(this.bucket, fromKey),
					CopySourceIfMatch: `"${source.etag.replace(/"/g, '')}"`,
				}),
			);
			copyEtag = cleanEtag(copied.CopyObjectResult?.ETag);
		} catch (error) {
			throw describeS3Error(error, 'copy', this.bucket, fromKey);
		}
		const copy = await this.head(toKey);
		if (!copyVerified(source, copy, copyEtag)) {
			throw new S3InboundError(
				`The copy of s3://${this.bucket}/${fromKey} at ${toKey} does not match the original (size, checksum or ETag); the original was kept`,
				'Nothing was lost: the next run retries the move.',
				'CopyNotVerified',
				this.bucket,
				fromKey,
				true,
			);
		}
		// Only the version copied: one written over it meanwhile stays (a store that ignores
		// conditional deletes deletes it, as a plain delete would). Gone: another run deleted it.
		return (await this.deleteVersion(fromKey, source.etag)) === 'changed' ? 'changed' : 'moved';
	}
}
