/** S3 event notifications as SQS delivers them, read into the objects they name (lib/trigger/events.ts). */
import { parseEventMessage } from '../../../lib/trigger/events';

describe('S3 event notifications, read (decision table)', () => {
	it('reads the shapes S3, SNS and EventBridge deliver, decoding keys; test events and other kinds name no object', () => {
		// AWS's documented shape (notification-content-structure.html), key URL-encoded as in a form.
		const aws = JSON.stringify({
			Records: [
				{
					eventVersion: '2.1',
					eventSource: 'aws:s3',
					awsRegion: 'eu-west-1',
					eventTime: '2024-05-01T10:00:00.000Z',
					eventName: 'ObjectCreated:CompleteMultipartUpload',
					userIdentity: { principalId: 'AWS:AIDA' },
					requestParameters: { sourceIPAddress: '203.0.113.1' },
					responseElements: { 'x-amz-request-id': 'R', 'x-amz-id-2': 'I' },
					s3: {
						s3SchemaVersion: '1.0',
						configurationId: 'imports',
						bucket: { name: 'acme', ownerIdentity: { principalId: 'A' }, arn: 'arn:aws:s3:::acme' },
						object: {
							key: 'in/Q1+report+%282024%29%2B%C3%BC.csv',
							size: 1024,
							eTag: 'd41d8cd98f00b204e9800998ecf8427e-2',
							sequencer: '0055AED6DCD90281E5',
						},
					},
				},
				{
					eventSource: 'aws:s3',
					eventName: 'ObjectRemoved:Delete',
					s3: { bucket: { name: 'acme' }, object: { key: 'x' } },
				},
			],
		});
		expect(parseEventMessage(aws)).toEqual({
			kind: 'objects',
			objects: [
				{
					bucket: 'acme',
					key: 'in/Q1 report (2024)+ü.csv',
					etag: 'd41d8cd98f00b204e9800998ecf8427e-2',
				},
			],
			other: 1,
		});
		// moto 5.2.1 encodes the slash too (%2F), and writes no sequencer.
		expect(
			parseEventMessage(
				'{"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "in%2Fa+b.csv", "size": 8, "eTag": "e"}}}]}',
			),
		).toEqual({
			kind: 'objects',
			objects: [{ bucket: 'b', key: 'in/a b.csv', etag: 'e' }],
			other: 0,
		});
		const sns = JSON.stringify({ Type: 'Notification', MessageId: 'm', Message: aws });
		expect(parseEventMessage(sns)).toMatchObject({
			kind: 'objects',
			objects: [{ key: 'in/Q1 report (2024)+ü.csv' }],
		});
		const bridge = JSON.stringify({
			'detail-type': 'Object Created',
			source: 'aws.s3',
			detail: { bucket: { name: 'acme' }, object: { key: 'in/a b.csv', etag: 'e1' } },
		});
		expect(parseEventMessage(bridge)).toEqual({
			kind: 'objects',
			objects: [{ bucket: 'acme', key: 'in/a b.csv', etag: 'e1' }],
			other: 0,
		});
		expect(
			parseEventMessage(
				'{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2024-05-01T10:00:00.000Z","Bucket":"acme"}',
			),
		).toEqual({ kind: 'test' });
		expect(parseEventMessage('hello')).toEqual({
			kind: 'unknown',
			reason: 'the message is not JSON',
		});
		expect(parseEventMessage('{"a":1}')).toEqual({
			kind: 'unknown',
			reason: 'it is not an S3 event notification',
		});
	});
});
