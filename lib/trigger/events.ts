/**
 * S3 event notifications as they arrive in an SQS queue, read into the objects they name.
 * Three shapes are understood: S3's own notification (`Records[].s3`, keys URL-encoded as in a
 * form: `+` for a space), the same wrapped by SNS (`Type: Notification`, `Message`), and
 * EventBridge's "Object Created" (keys not encoded). `s3:TestEvent`, which S3 sends when a
 * notification is set up, names no object.
 */

/** What an event notification names: a bucket, a key, and the ETag it reported. */
export interface NotifiedObject {
	bucket: string;
	key: string;
	etag?: string;
}

export type ParsedMessage =
	| { kind: 'test' }
	/** Objects created; `other` counts records of other kinds (removals, restores…), which are ignored. */
	| { kind: 'objects'; objects: NotifiedObject[]; other: number }
	| { kind: 'unknown'; reason: string };

/** An S3 event's key: URL-encoded as in an HTML form (`+` for a space, `%2B` for a plus). */
export function decodeEventKey(key: string): string {
	try {
		return decodeURIComponent(key.replace(/\+/g, ' '));
	} catch {
		return key;
	}
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
	typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function parseEventMessage(body: string): ParsedMessage {
	let parsed: unknown;
	try {
		parsed = JSON.parse(body);
	} catch {
		return { kind: 'unknown', reason: 'the message is not JSON' };
	}
	return parseEvent(parsed, 0);
}

function parseEvent(value: unknown, depth: number): ParsedMessage {
	if (!isObject(value)) return { kind: 'unknown', reason: 'the message is not a JSON object' };
	// SNS → SQS (without raw message delivery): the S3 event is the envelope's Message.
	if (value.Type === 'Notification' && typeof value.Message === 'string' && depth === 0) {
		try {
			return parseEvent(JSON.parse(value.Message), 1);
		} catch {
			return { kind: 'unknown', reason: 'the SNS message is not JSON' };
		}
	}
	if (value.Event === 's3:TestEvent') return { kind: 'test' };
	if (Array.isArray(value.Records)) {
		const objects: NotifiedObject[] = [];
		let other = 0;
		for (const record of value.Records) {
			const s3 = isObject(record) ? record.s3 : undefined;
			const eventName = isObject(record) ? text(record.eventName) : undefined;
			const bucket = isObject(s3) && isObject(s3.bucket) ? text(s3.bucket.name) : undefined;
			const object = isObject(s3) && isObject(s3.object) ? s3.object : undefined;
			const key = object ? text(object.key) : undefined;
			if (!eventName?.startsWith('ObjectCreated:') || !bucket || key === undefined) {
				other++;
				continue;
			}
			objects.push({
				bucket,
				key: decodeEventKey(key),
				...(text(object?.eTag) ? { etag: text(object?.eTag) } : {}),
			});
		}
		return { kind: 'objects', objects, other };
	}
	// EventBridge → SQS.
	if (value.source === 'aws.s3' && isObject(value.detail)) {
		const detail = value.detail;
		const bucket = isObject(detail.bucket) ? text(detail.bucket.name) : undefined;
		const key = isObject(detail.object) ? text(detail.object.key) : undefined;
		if (value['detail-type'] !== 'Object Created' || !bucket || key === undefined)
			return { kind: 'objects', objects: [], other: 1 };
		const etag = isObject(detail.object) ? text(detail.object.etag) : undefined;
		return { kind: 'objects', objects: [{ bucket, key, ...(etag ? { etag } : {}) }], other: 0 };
	}
	return { kind: 'unknown', reason: 'it is not an S3 event notification' };
}
