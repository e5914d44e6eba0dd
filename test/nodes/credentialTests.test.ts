/**
 * The credential tests the editor runs ("Test" in the credential dialog), called with n8n-core's
 * own CredentialTestContext (its request helper is n8n's), against moto and a real local receiver.
 */
import { CredentialTestContext } from 'n8n-core';
import type { ICredentialsDecrypted } from 'n8n-workflow';

import {
	testS3InboundCredential,
	testStatusCallbackCredential,
} from '../../nodes/shared/credentialTest';
import { additionalDataFor } from '../helpers/engine';
import { startReceiver } from '../../scripts/lib/receiver';
import { freePort } from '../helpers/moto';
import { newBucket, testSettings } from '../helpers/s3';

const KEY = 'credential-test-key-31ab';
const context = () => new CredentialTestContext(additionalDataFor({}));
const credential = (type: string, data: Record<string, unknown>) =>
	({ id: 'c', name: 'c', type, data }) as unknown as ICredentialsDecrypted;

describe('Import Status Callback API credential test', () => {
	let receiver: Awaited<ReturnType<typeof startReceiver>>;
	beforeEach(async () => {
		receiver = await startReceiver({ apiKey: KEY });
	});
	afterEach(async () => await receiver.close());

	it('sends the key and passes when the endpoint does not refuse it; no callback is posted', async () => {
		const result = await testStatusCallbackCredential.call(
			context(),
			credential('importStatusCallbackApi', { url: receiver.callbackUrl, apiKey: KEY }),
		);
		expect(result).toEqual({
			status: 'OK',
			message: expect.stringMatching(
				/reachable and did not refuse the API key \(it answered 200 OK to HEAD; no status was sent\)/,
			),
		});
		expect(receiver.requests.map((r) => `${r.method} ${String(r.headers['x-api-key'])}`)).toEqual([
			`HEAD ${KEY}`,
		]);
		expect(receiver.callbacks).toEqual([]);
	});

	it('fails on 401/403 and says the key was refused', async () => {
		const result = await testStatusCallbackCredential.call(
			context(),
			credential('importStatusCallbackApi', { url: receiver.callbackUrl, apiKey: 'wrong-key' }),
		);
		expect(result).toEqual({
			status: 'Error',
			message:
				'The endpoint refused the API key (it answered 401 Unauthorized to a request with the key in x-api-key). Check the API key.',
		});
	});

	it('an unreachable URL says why, without the key or the query', async () => {
		const url = `http://127.0.0.1:${await freePort()}/prd/data-export?token=secret-token-1`;
		const result = await testStatusCallbackCredential.call(
			context(),
			credential('importStatusCallbackApi', { url, apiKey: KEY }),
		);
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(
			/^Could not reach http:\/\/127\.0\.0\.1:\d+\/prd\/data-export: ECONNREFUSED \(nothing listens at that address and port\)$/,
		);
		expect(result.message).not.toContain('secret-token-1');
	});
});

describe('S3 Inbound AWS credential test', () => {
	it('lists the test bucket, and names the bucket it could not list', async () => {
		const { bucket } = await newBucket('cred');
		const ok = await testS3InboundCredential.call(
			context(),
			credential('s3InboundAwsApi', { ...testSettings(), testBucket: `${bucket}/px` }),
		);
		expect(ok).toEqual({ status: 'OK', message: `Connected: listed s3://${bucket}/px` });
		const missing = await testS3InboundCredential.call(
			context(),
			credential('s3InboundAwsApi', { ...testSettings(), testBucket: `${bucket}-missing` }),
		);
		expect(missing.status).toBe('Error');
		expect(missing.message).toMatch(
			new RegExp(`^Could not list the test bucket: No such bucket: '${bucket}-missing'`),
		);
	});
});
