import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { redact } from '../../lib/redact';
import { credentialProvider, s3ClientFor, secretsOf, settingsFromCredential, whoAmI } from '../../lib/s3/connection';
import { describeS3Error } from '../../lib/s3/errors';
import { splitBucketPath } from '../../lib/trigger/markerFolders';
import { S3Store } from '../../lib/s3/store';

/**
 * Tests the "S3 Inbound AWS" credential from the editor: gets credentials (assuming the role if
 * set), then lists the test bucket if one is given, else asks STS who we are. The message says
 * which step failed.
 */
export async function testS3InboundCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const data = (credential.data ?? {}) as Record<string, unknown>;
	const settings = settingsFromCredential(data);
	const secrets = secretsOf(settings);
	let step = 'get credentials';
	try {
		await credentialProvider(settings)();
		const testBucket = typeof data.testBucket === 'string' ? data.testBucket.trim() : '';
		if (testBucket) {
			step = 'list the test bucket';
			const { bucket, prefix } = splitBucketPath(testBucket);
			const store = new S3Store(s3ClientFor(settings), bucket);
			await store.listPages(prefix ? `${prefix}/` : '', '/', 1).next();
			return { status: 'OK', message: `Connected: listed s3://${bucket}/${prefix}` };
		}
		if (!settings.endpoint || settings.stsEndpoint) {
			step = 'call sts:GetCallerIdentity';
			return { status: 'OK', message: `Connected as ${(await whoAmI(settings)) ?? 'an AWS identity'}` };
		}
		return { status: 'OK', message: 'Credentials are complete; add a test bucket to check access to it' };
	} catch (error) {
		const described = describeS3Error(error, step === 'get credentials' ? 'credentials' : 'list');
		return {
			status: 'Error',
			message: redact(`Could not ${step}: ${described.message}. ${described.hint}`, secrets),
		};
	}
}

/** Tests the "Import Status Callback API" credential: the URL is reachable. Nothing is posted. */
export async function testStatusCallbackCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const data = (credential.data ?? {}) as Record<string, unknown>;
	const url = String(data.url ?? '').trim();
	if (!/^https?:\/\//i.test(url)) return { status: 'Error', message: 'The callback URL must start with http:// or https://' };
	try {
		const response = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
		return { status: 'OK', message: `The endpoint is reachable (it answered ${response.status} to HEAD; no callback was sent)` };
	} catch (error) {
		const e = error as Error & { cause?: { code?: string } };
		return { status: 'Error', message: `Could not reach ${url}: ${e.cause?.code ?? e.message}` };
	}
}
