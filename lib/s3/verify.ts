import type { S3ObjectInfo } from './objects';

/**
 * Whether an object's ETag is the MD5 digest of its bytes: a single-part upload, not encrypted with
 * SSE-KMS (or DSSE-KMS) or SSE-C. Only then do a copy's ETag and its source's agree; for the others
 * AWS documents ETags that are not digests, and a copy gets an ETag of its own.
 */
export function etagIsMd5(object: S3ObjectInfo): boolean {
	return (
		/^[0-9a-f]{32}$/.test(object.etag) &&
		!object.sseCustomer &&
		object.encryption !== 'aws:kms' &&
		object.encryption !== 'aws:kms:dsse'
	);
}

/**
 * Whether a copy made with `CopySourceIfMatch` on the source's ETag (so from exactly that version)
 * is verified: the same size, and
 * - the same full-object checksum, where both have one of the same algorithm (S3 checksums survive
 *   a copy, whatever the encryption);
 * - else the same ETag, where the ETag is an MD5 of the bytes;
 * - else (SSE-KMS, SSE-C, multipart) the copy present is the one the copy request made (its ETag
 *   is the one CopyObject answered): the ETag alone says nothing about the bytes there.
 */
export function copyVerified(
	source: S3ObjectInfo,
	copy: S3ObjectInfo | undefined,
	copyResultEtag: string,
): boolean {
	if (!copy || copy.size !== source.size) return false;
	const a = source.checksum;
	const b = copy.checksum;
	if (a && b && a.algorithm === b.algorithm && a.type !== 'COMPOSITE' && b.type !== 'COMPOSITE')
		return a.value === b.value;
	if (etagIsMd5(source)) return copy.etag === source.etag;
	return copyResultEtag === '' || copy.etag === copyResultEtag;
}
