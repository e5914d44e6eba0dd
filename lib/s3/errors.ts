/**
 * S3 failures translated into messages a user can act on. Every message names the bucket and,
 * where there is one, the key. Secrets are never part of a message: the SDK's own text is only
 * kept for errors we do not recognise, and even then it is passed through `redact` by the caller.
 */
export class S3InboundError extends Error {
	constructor(
		message: string,
		/** What the user should do about it. */
		readonly hint: string,
		readonly code: string,
		readonly bucket?: string,
		readonly key?: string,
		/** True when trying again later may succeed (throttling, network, 5xx). */
		readonly transient = false,
	) {
		super(message);
		this.name = 'S3InboundError';
	}
}

interface SdkErrorShape {
	name?: string;
	Code?: string;
	code?: string;
	message?: string;
	$metadata?: { httpStatusCode?: number };
	$response?: { headers?: Record<string, string> };
	$fault?: string;
}

export type S3Operation =
	'list' | 'head' | 'read' | 'write' | 'copy' | 'delete' | 'tag' | 'credentials';

const OPERATION_WORDS: Record<S3Operation, string> = {
	list: 'list',
	head: 'look up',
	read: 'read',
	write: 'write',
	copy: 'copy',
	delete: 'delete',
	tag: 'tag',
	credentials: 'get credentials for',
};

function where(bucket?: string, key?: string): string {
	if (bucket && key !== undefined) return `s3://${bucket}/${key}`;
	if (bucket) return `bucket '${bucket}'`;
	return 'S3';
}

/** Turns whatever the SDK threw into an S3InboundError. */
export function describeS3Error(
	error: unknown,
	operation: S3Operation,
	bucket?: string,
	key?: string,
): S3InboundError {
	if (error instanceof S3InboundError) return error;
	const e = (error ?? {}) as SdkErrorShape;
	const code = e.name ?? e.Code ?? e.code ?? 'Unknown';
	const status = e.$metadata?.httpStatusCode;
	const message = e.message ?? String(error);
	const target = where(bucket, key);
	const verb = OPERATION_WORDS[operation];

	const make = (text: string, hint: string, transient = false) =>
		new S3InboundError(text, hint, code, bucket, key, transient);

	if (/kms/i.test(code) || /kms/i.test(message)) {
		return make(
			`KMS access denied while trying to ${verb} ${target}`,
			"The object is encrypted with a KMS key that this identity may not use. Add a statement to the key's policy that grants kms:Decrypt (and kms:GenerateDataKey for writes) to the identity in use.",
		);
	}
	if (operation === 'credentials' || /AssumeRole/i.test(message)) {
		if (code === 'AccessDenied' || status === 403) {
			return make(
				'Assume role was refused',
				"Check the role's trust policy: it must allow this identity to call sts:AssumeRole, and its sts:ExternalId condition must equal the external ID in the credential.",
			);
		}
	}
	switch (code) {
		case 'NoSuchBucket':
			return make(
				`No such bucket: '${bucket ?? ''}'`,
				'Check the bucket name (without s3:// and without folders) and the region in the credential.',
			);
		case 'NoSuchKey':
		case 'NotFound':
			return make(`No such object: ${target}`, 'Check the file path; it is case-sensitive.');
		case 'PermanentRedirect':
		case 'AuthorizationHeaderMalformed':
		case 'IllegalLocationConstraintException':
			return make(
				`Wrong region for ${where(bucket)}`,
				"Set the credential's region to the bucket's region (see the bucket's properties in the S3 console).",
			);
		case 'ExpiredToken':
		case 'ExpiredTokenException':
		case 'TokenRefreshRequired':
			return make(
				`The session token expired while trying to ${verb} ${target}`,
				'Temporary credentials expired. With access keys, paste a fresh session token or use keys without one; with assume role they are refreshed automatically, so try again.',
				true,
			);
		case 'InvalidAccessKeyId':
			return make(
				`The access key ID is not known to AWS (while trying to ${verb} ${target})`,
				'Check the access key ID in the credential; a temporary key also needs its session token.',
			);
		case 'SignatureDoesNotMatch':
			return make(
				`The secret access key does not match the access key ID (while trying to ${verb} ${target})`,
				'Paste the secret access key again; it must belong to the access key ID.',
			);
		case 'AccessDenied':
		case 'Forbidden':
			return make(
				`Access denied: this identity may not ${verb} ${target}`,
				operation === 'list'
					? 'Grant s3:ListBucket on the bucket (a prefix condition must include the import folder).'
					: operation === 'read' || operation === 'head'
						? 'Grant s3:GetObject on the objects under the import path.'
						: operation === 'tag'
							? 'Grant s3:GetObjectTagging and s3:PutObjectTagging on the imported files (Finish Import tags them).'
							: 'Grant s3:PutObject and s3:DeleteObject on the base import folder (marker imports write status files and move processed files).',
			);
		case 'SlowDown':
		case 'Throttling':
		case 'ThrottlingException':
		case 'RequestTimeout':
		case 'ServiceUnavailable':
		case 'InternalError':
			return make(
				`S3 is busy (${code}) while trying to ${verb} ${target}`,
				'This is temporary; the next run tries again.',
				true,
			);
		case 'PreconditionFailed':
			return make(
				`${target} changed while it was being processed`,
				'The next run picks up the new version.',
				true,
			);
	}
	if (status === 403) {
		return make(
			`Access denied: this identity may not ${verb} ${target}`,
			'Check the IAM and bucket policies.',
		);
	}
	if (status === 404) {
		return make(`Not found: ${target}`, 'Check the bucket name and path.');
	}
	const networkish =
		/ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|socket hang up|aborted/i.test(
			`${code} ${message}`,
		);
	if (networkish || (status !== undefined && status >= 500)) {
		return make(
			`Could not reach S3 to ${verb} ${target}: ${code}`,
			'Check the network and the custom endpoint, if one is set; the next run tries again.',
			true,
		);
	}
	return make(`Could not ${verb} ${target}: ${code}: ${message}`, 'See the message from S3.');
}
