/**
 * SQS queues in moto (the same server as S3), wired to a bucket's event notifications the way a
 * user wires them on AWS: a queue, and a QueueConfigurations entry for s3:ObjectCreated:*.
 */
import { randomBytes } from 'node:crypto';

import { PutBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';
import {
	CreateQueueCommand,
	GetQueueAttributesCommand,
	PurgeQueueCommand,
	ReceiveMessageCommand,
	SendMessageCommand,
	type SQSClient,
} from '@aws-sdk/client-sqs';

import { s3ClientFor } from '../../lib/s3/connection';
import { sqsClientFor } from '../../lib/sqs/queue';
import { motoEndpoint, testSettings } from './s3';

export interface TestQueue {
	url: string;
	arn: string;
	client: SQSClient;
	/** Messages in the queue, visible or not (not yet deleted). */
	count(): Promise<number>;
	send(body: string): Promise<void>;
	purge(): Promise<void>;
	/** Takes every visible message body out of the queue (receives without deleting; they come back later). */
	peek(): Promise<string[]>;
}

export async function newQueue(prefix = 'events'): Promise<TestQueue> {
	const name = `${prefix}-${randomBytes(4).toString('hex')}`;
	const client = sqsClientFor(testSettings(), `${motoEndpoint()}/123456789012/${name}`);
	const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name }));
	const url = QueueUrl as string;
	const attributes = await client.send(
		new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
	);
	return {
		url,
		arn: attributes.Attributes?.QueueArn as string,
		client,
		count: async () => {
			const a = await client.send(
				new GetQueueAttributesCommand({
					QueueUrl: url,
					AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
				}),
			);
			return (
				Number(a.Attributes?.ApproximateNumberOfMessages ?? 0) +
				Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
			);
		},
		send: async (body) => {
			await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
		},
		purge: async () => {
			await client.send(new PurgeQueueCommand({ QueueUrl: url }));
		},
		peek: async () => {
			const r = await client.send(
				new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 1 }),
			);
			return (r.Messages ?? []).map((m) => m.Body ?? '');
		},
	};
}

/** The bucket sends s3:ObjectCreated:* under `prefix` to the queue (S3 then sends an s3:TestEvent). */
export async function notifyQueue(bucket: string, queue: TestQueue, prefix = ''): Promise<void> {
	await s3ClientFor(testSettings()).send(
		new PutBucketNotificationConfigurationCommand({
			Bucket: bucket,
			NotificationConfiguration: {
				QueueConfigurations: [
					{
						QueueArn: queue.arn,
						Events: ['s3:ObjectCreated:*'],
						...(prefix
							? { Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: prefix }] } } }
							: {}),
					},
				],
			},
		}),
	);
}
