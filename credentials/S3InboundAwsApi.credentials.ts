import type { ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/**
 * Access to a private S3 bucket, in each of the ways Staircase's and PX's S3 guides allow (docs/references.md): an IAM user's
 * access keys, a role assumed with an external ID, or the host's default credential chain
 * (environment, shared config, container or instance role).
 * It is tested from the editor through the S3 CSV Inbound Trigger's credential test.
 */
export class S3InboundAwsApi implements ICredentialType {
	name = 's3InboundAwsApi';

	displayName = 'S3 Inbound AWS API';

	icon: Icon = { light: 'file:s3inbound.svg', dark: 'file:s3inbound.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-s3-inbound/n8n-nodes-s3-inbound#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{
					name: 'Access Keys',
					value: 'accessKeys',
					description: 'An IAM user’s access key ID and secret access key',
				},
				{
					name: 'Assume Role',
					value: 'assumeRole',
					description: 'Assume an IAM role in the bucket owner’s account, with an external ID',
				},
				{
					name: 'Default Credential Chain',
					value: 'defaultChain',
					description:
						'The n8n host’s own identity: environment variables, shared config, container or instance role',
				},
			],
			default: 'accessKeys',
		},
		{
			displayName: 'Assume Role With',
			name: 'assumeRoleWith',
			type: 'options',
			options: [
				{ name: 'Access Keys', value: 'accessKeys' },
				{ name: 'Default Credential Chain', value: 'defaultChain' },
			],
			default: 'accessKeys',
			description: 'The identity that calls sts:AssumeRole',
			displayOptions: { show: { authentication: ['assumeRole'] } },
		},
		{
			displayName: 'Access Key ID',
			name: 'accessKeyId',
			type: 'string',
			default: '',
			required: true,
			displayOptions: { show: { authentication: ['accessKeys'] } },
		},
		{
			displayName: 'Access Key ID',
			name: 'accessKeyId',
			type: 'string',
			default: '',
			required: true,
			displayOptions: { show: { authentication: ['assumeRole'], assumeRoleWith: ['accessKeys'] } },
		},
		{
			displayName: 'Secret Access Key',
			name: 'secretAccessKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: {
				show: { authentication: ['accessKeys', 'assumeRole'], assumeRoleWith: ['accessKeys'] },
			},
		},
		{
			displayName: 'Session Token',
			name: 'sessionToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Only for temporary access keys',
			displayOptions: { show: { authentication: ['accessKeys'] } },
		},
		{
			displayName: 'Role ARN',
			name: 'roleArn',
			type: 'string',
			default: '',
			placeholder: 'arn:aws:iam::123456789012:role/s3-import-role',
			required: true,
			displayOptions: { show: { authentication: ['assumeRole'] } },
		},
		// The external ID is treated as a secret: it must not appear in logs, errors or status files.
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password
		{
			displayName: 'External ID',
			name: 'externalId',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'The value the role’s trust policy requires in its sts:ExternalId condition',
			displayOptions: { show: { authentication: ['assumeRole'] } },
		},
		{
			displayName: 'Role Session Name',
			name: 'roleSessionName',
			type: 'string',
			default: 'n8n-s3-inbound',
			displayOptions: { show: { authentication: ['assumeRole'] } },
		},
		{
			displayName: 'Region',
			name: 'region',
			type: 'string',
			default: 'us-east-1',
			description: 'The bucket’s region, e.g. eu-west-1',
		},
		{
			displayName: 'Custom S3 Endpoint',
			name: 'endpoint',
			type: 'string',
			default: '',
			placeholder: 'https://minio.example.com',
			description: 'For S3-compatible stores (MinIO, Cloudflare R2). Leave empty for AWS.',
		},
		{
			displayName: 'Force Path Style',
			name: 'forcePathStyle',
			type: 'boolean',
			default: true,
			description:
				'Whether to address buckets as endpoint/bucket rather than bucket.endpoint (needed by most S3-compatible stores)',
			displayOptions: { hide: { endpoint: [''] } },
		},
		{
			displayName: 'Custom STS Endpoint',
			name: 'stsEndpoint',
			type: 'string',
			default: '',
			description: 'Where to call sts:AssumeRole. Leave empty for AWS.',
			displayOptions: { show: { authentication: ['assumeRole'] } },
		},
		{
			displayName: 'Test Bucket',
			name: 'testBucket',
			type: 'string',
			default: '',
			placeholder: 'my-bucket/imports',
			description:
				'Optional: a bucket (and folder) that the credential test lists, to check read access',
		},
	];
}
