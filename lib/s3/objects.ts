/**
 * What S3 says of an object, shared by the store (lib/s3/store.ts) and the copy check
 * (lib/s3/verify.ts), which both read it and neither owns it.
 */
/** One object as a listing or a HEAD request describes it. */
export interface S3ObjectInfo {
	key: string;
	size: number;
	etag: string;
	lastModified?: Date;
	/** From HEAD: server-side encryption (`AES256`, `aws:kms`, `aws:kms:dsse`), and whether SSE-C is used. */
	encryption?: string;
	sseCustomer?: boolean;
	/** From HEAD with checksum mode: the object's S3 checksum, if it has one. */
	checksum?: { algorithm: string; value: string; type?: string };
}
