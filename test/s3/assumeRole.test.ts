import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
	CreateAccessKeyCommand,
	CreateRoleCommand,
	CreateUserCommand,
	IAMClient,
	PutRolePolicyCommand,
	PutUserPolicyCommand,
} from '@aws-sdk/client-iam';

import {
	credentialProvider,
	s3ClientFor,
	type S3ConnectionSettings,
} from '../../lib/s3/connection';
import { S3Store } from '../../lib/s3/store';
import { startMoto, type MotoServer } from '../helpers/moto';

/**
 * Assume role for real: a second moto server that enforces IAM after the set-up requests
 * (INITIAL_NO_AUTH_ACTION_COUNT), so the trust policy's external ID condition is checked.
 */
const SETUP_REQUESTS = 7;
const EXTERNAL_ID = 'px-subscription-4711';
let moto: MotoServer;
let settings: S3ConnectionSettings;
const bucket = 'assume-role-bucket';

beforeAll(async () => {
	moto = await startMoto({ INITIAL_NO_AUTH_ACTION_COUNT: String(SETUP_REQUESTS) });
	const root = {
		region: 'us-east-1',
		endpoint: moto.endpoint,
		credentials: { accessKeyId: 'AKIAROOTROOTROOT', secretAccessKey: 'root' },
	};
	const iam = new IAMClient(root);
	const s3 = new S3Client({ ...root, forcePathStyle: true });
	const user = await iam.send(new CreateUserCommand({ UserName: 'n8n-importer' }));
	const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'n8n-importer' }));
	const role = await iam.send(
		new CreateRoleCommand({
			RoleName: 's3-import-role',
			AssumeRolePolicyDocument: JSON.stringify({
				Version: '2012-10-17',
				Statement: [
					{
						Effect: 'Allow',
						Principal: { AWS: user.User!.Arn },
						Action: 'sts:AssumeRole',
						Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } },
					},
				],
			}),
		}),
	);
	await iam.send(
		new PutRolePolicyCommand({
			RoleName: 's3-import-role',
			PolicyName: 'read-bucket',
			PolicyDocument: JSON.stringify({
				Version: '2012-10-17',
				Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: '*' }],
			}),
		}),
	);
	await iam.send(
		new PutUserPolicyCommand({
			UserName: 'n8n-importer',
			PolicyName: 'may-assume',
			PolicyDocument: JSON.stringify({
				Version: '2012-10-17',
				Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: role.Role!.Arn }],
			}),
		}),
	);
	await s3.send(new CreateBucketCommand({ Bucket: bucket }));
	await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/accounts.csv', Body: 'id\n1\n' }));
	settings = {
		authentication: 'assumeRole',
		assumeRoleWith: 'accessKeys',
		accessKeyId: key.AccessKey!.AccessKeyId,
		secretAccessKey: key.AccessKey!.SecretAccessKey,
		roleArn: role.Role!.Arn,
		externalId: EXTERNAL_ID,
		region: 'us-east-1',
		endpoint: moto.endpoint,
		stsEndpoint: moto.endpoint,
		forcePathStyle: true,
	};
}, 60_000);

afterAll(async () => await moto?.stop());

async function read(s: S3ConnectionSettings): Promise<string> {
	const { body } = await new S3Store(s3ClientFor(s), bucket).open('in/accounts.csv');
	const chunks: Buffer[] = [];
	for await (const c of body) chunks.push(c as Buffer);
	return Buffer.concat(chunks).toString();
}

describe('assume role against moto with IAM enforced', () => {
	it('with the right external ID, reads the object with the role’s temporary credentials', async () => {
		const identity = await credentialProvider(settings)();
		expect(identity.sessionToken).toBeTruthy();
		expect(identity.accessKeyId).not.toBe(settings.accessKeyId);
		expect(await read(settings)).toBe('id\n1\n');
	});

	it('the temporary credentials are what S3 accepts: the user’s own keys are refused', async () => {
		await expect(read({ ...settings, authentication: 'accessKeys' })).rejects.toThrow(
			/Access denied|not known|may not/,
		);
	});

	it('with a wrong external ID, fails with a message that names the trust policy and external ID', async () => {
		const wrong = { ...settings, externalId: 'not-the-subscription' };
		const error = await read(wrong).catch((e: Error & { hint?: string }) => e);
		expect(error).toBeInstanceOf(Error);
		expect((error as Error).message).toBe('Assume role was refused');
		expect((error as { hint?: string }).hint).toMatch(/trust policy.*sts:ExternalId.*external ID/);
		expect(`${(error as Error).message} ${(error as { hint?: string }).hint}`).not.toContain(
			'not-the-subscription',
		);
	});
});
