import { createHash } from 'node:crypto';

import {
	DeleteMessageBatchCommand,
	GetQueueAttributesCommand,
	ReceiveMessageCommand,
	SQSClient,
} from '@aws-sdk/client-sqs';

import { credentialProvider, type S3ConnectionSettings } from '../s3/connection';
import { S3InboundError } from '../s3/errors';

/**
 * The one place that talks to SQS: the queue that receives the bucket's event notifications.
 * Same credential as S3 (access keys, assume role or the default chain); the queue's own URL says
 * where it is, so a custom S3 endpoint (MinIO, moto) is not used for it unless the URL points there.
 */

export interface QueueMessage {
	id: string;
	receiptHandle: string;
	body: string;
	/** How many times SQS has handed this message out (1 the first time). */
	receiveCount: number;
}

/** The region in an AWS queue URL (https://sqs.eu-west-1.amazonaws.com/123/name), if it is one. */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
	try {
		const host = new URL(queueUrl).hostname;
		return /^sqs[.-]([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1];
	} catch {
		return undefined;
	}
}

export function checkQueueUrl(queueUrl: string): string {
	const trimmed = queueUrl.trim();
	let url: URL;
	try {
		url = new URL(trimmed);
	} catch {
		throw new S3InboundError(
			`The queue URL '${trimmed}' is not a URL`,
			'Copy the queue URL from the SQS console (Details → URL), e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/s3-imports.',
			'InvalidQueueUrl',
		);
	}
	if (!/^https?:$/.test(url.protocol) || url.pathname.split('/').filter(Boolean).length < 2)
		throw new S3InboundError(
			`The queue URL '${trimmed}' does not name a queue`,
			'A queue URL looks like https://sqs.eu-west-1.amazonaws.com/123456789012/s3-imports.',
			'InvalidQueueUrl',
		);
	return trimmed;
}

const clients = new Map<string, SQSClient>();

/** One SQS client per credential and queue endpoint, kept (temporary credentials are refreshed, not fetched per request). */
export function sqsClientFor(settings: S3ConnectionSettings, queueUrl: string): SQSClient {
	const origin = new URL(queueUrl).origin;
	const region = regionOfQueueUrl(queueUrl) ?? settings.region ?? 'us-east-1';
	const fingerprint = createHash('sha256')
		.update(JSON.stringify([settings, origin, region]))
		.digest('hex');
	const cached = clients.get(fingerprint);
	if (cached) return cached;
	const client = new SQSClient({
		region,
		credentials: credentialProvider(settings),
		// AWS queue URLs resolve by region; any other (a local or compatible server) is its own endpoint.
		...(regionOfQueueUrl(queueUrl) ? {} : { endpoint: origin }),
		maxAttempts: 3,
	});
	clients.set(fingerprint, client);
	if (clients.size > 32) {
		const oldest = clients.keys().next().value as string;
		clients.get(oldest)?.destroy();
		clients.delete(oldest);
	}
	return client;
}

interface SdkError {
	name?: string;
	message?: string;
	$metadata?: { httpStatusCode?: number };
}

/** SQS failures in words a user can act on; `transient` when trying again later may succeed. */
export function describeSqsError(
	error: unknown,
	action: 'receive' | 'delete' | 'check',
	queueUrl: string,
): S3InboundError {
	if (error instanceof S3InboundError) return error;
	const e = (error ?? {}) as SdkError;
	const code = e.name ?? 'Unknown';
	const status = e.$metadata?.httpStatusCode;
	const verb = { receive: 'receive messages from', delete: 'delete messages from', check: 'open' }[
		action
	];
	const make = (message: string, hint: string, transient = false) =>
		new S3InboundError(message, hint, code, undefined, undefined, transient);
	const permission = {
		receive: 'sqs:ReceiveMessage',
		delete: 'sqs:DeleteMessage',
		check: 'sqs:GetQueueAttributes',
	}[action];
	if (/QueueDoesNotExist|NonExistentQueue/i.test(code))
		return make(
			`No such queue: ${queueUrl}`,
			'Check the queue URL (Details → URL in the SQS console) and the region in the credential.',
		);
	if (/AccessDenied|AuthorizationError|Forbidden/i.test(code) || status === 403)
		return make(
			`Access denied: this identity may not ${verb} the queue ${queueUrl}`,
			`Grant ${permission} on the queue's ARN (see the README's IAM policy for event notifications); a queue encrypted with a KMS key also needs kms:Decrypt on that key.`,
		);
	if (
		/InvalidClientTokenId|UnrecognizedClient|SignatureDoesNotMatch|InvalidAccessKeyId/i.test(code)
	)
		return make(
			`The credential was refused by SQS (${code}) while trying to ${verb} the queue`,
			'Check the access key ID and secret access key in the credential.',
		);
	if (/ExpiredToken/i.test(code))
		return make(
			`The session token expired while trying to ${verb} the queue`,
			'Temporary credentials expired; with assume role they are refreshed automatically.',
			true,
		);
	const message = e.message ?? String(error);
	if (
		/Throttl|RequestThrottled|ServiceUnavailable|InternalError|InternalFailure|OverLimit|Timeout|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|socket hang up|aborted/i.test(
			`${code} ${message}`,
		) ||
		(status !== undefined && status >= 500)
	)
		return make(
			`Could not reach SQS to ${verb} the queue ${queueUrl}: ${code}`,
			'This is usually temporary; the trigger tries again.',
			true,
		);
	return make(
		`Could not ${verb} the queue ${queueUrl}: ${code}: ${message}`,
		'See the message from SQS.',
	);
}

export class EventQueue {
	constructor(
		readonly client: SQSClient,
		readonly queueUrl: string,
	) {}

	/** Looks the queue up (sqs:GetQueueAttributes): a wrong URL or a missing permission shows at publishing. */
	async check(): Promise<{ arn?: string; waiting?: number }> {
		try {
			const result = await this.client.send(
				new GetQueueAttributesCommand({
					QueueUrl: this.queueUrl,
					AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'],
				}),
			);
			const waiting = Number(result.Attributes?.ApproximateNumberOfMessages);
			return {
				arn: result.Attributes?.QueueArn,
				...(Number.isFinite(waiting) ? { waiting } : {}),
			};
		} catch (error) {
			throw describeSqsError(error, 'check', this.queueUrl);
		}
	}

	/**
	 * Long-polls for up to 10 messages (waiting up to `waitSeconds` for the first). A message
	 * received is invisible to other receivers for `visibilitySeconds`; one not deleted by then
	 * comes back.
	 */
	async receive(
		waitSeconds: number,
		visibilitySeconds: number,
		abortSignal?: AbortSignal,
	): Promise<QueueMessage[]> {
		try {
			const result = await this.client.send(
				new ReceiveMessageCommand({
					QueueUrl: this.queueUrl,
					MaxNumberOfMessages: 10,
					WaitTimeSeconds: waitSeconds,
					VisibilityTimeout: visibilitySeconds,
					MessageSystemAttributeNames: ['ApproximateReceiveCount'],
				}),
				{ abortSignal },
			);
			return (result.Messages ?? []).map((m) => ({
				id: m.MessageId ?? '',
				receiptHandle: m.ReceiptHandle ?? '',
				body: m.Body ?? '',
				receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
			}));
		} catch (error) {
			throw describeSqsError(error, 'receive', this.queueUrl);
		}
	}

	/** Deletes messages, 10 per request (sqs:DeleteMessage). Returns the ids SQS could not delete. */
	async delete(messages: QueueMessage[]): Promise<string[]> {
		const failed: string[] = [];
		for (let i = 0; i < messages.length; i += 10) {
			const batch = messages.slice(i, i + 10);
			try {
				const result = await this.client.send(
					new DeleteMessageBatchCommand({
						QueueUrl: this.queueUrl,
						Entries: batch.map((m, index) => ({
							Id: String(index),
							ReceiptHandle: m.receiptHandle,
						})),
					}),
				);
				for (const f of result.Failed ?? []) failed.push(batch[Number(f.Id)]?.id ?? '?');
			} catch (error) {
				throw describeSqsError(error, 'delete', this.queueUrl);
			}
		}
		return failed;
	}
}
