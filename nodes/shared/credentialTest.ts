import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { unreachableReason } from '../../lib/px/callback';
import { redact } from '../../lib/redact';
import { credentialProvider, whoAmI } from '../../lib/s3/connection';
import { describeS3Error } from '../../lib/s3/errors';
import { splitBucketPath } from '../../lib/trigger/markerFolders';
import { s3Access } from './s3';

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
	const { settings, secrets, storeFor } = s3Access(data);
	let step = 'get credentials';
	try {
		await credentialProvider(settings)();
		const testBucket = typeof data.testBucket === 'string' ? data.testBucket.trim() : '';
		if (testBucket) {
			step = 'list the test bucket';
			const { bucket, prefix } = splitBucketPath(testBucket);
			const store = storeFor(bucket);
			await store.listPages(prefix ? `${prefix}/` : '', '/', 1).next();
			return { status: 'OK', message: `Connected: listed s3://${bucket}/${prefix}` };
		}
		if (!settings.endpoint || settings.stsEndpoint) {
			step = 'call sts:GetCallerIdentity';
			return {
				status: 'OK',
				message: `Connected as ${(await whoAmI(settings)) ?? 'an AWS identity'}`,
			};
		}
		return {
			status: 'OK',
			message: 'Credentials are complete; add a test bucket to check access to it',
		};
	} catch (error) {
		const described = describeS3Error(error, step === 'get credentials' ? 'credentials' : 'list');
		return {
			status: 'Error',
			message: redact(`Could not ${step}: ${described.message}. ${described.hint}`, secrets),
		};
	}
}

/**
 * Tests the "Import Status Callback API" credential: a HEAD request to the callback URL with the API
 * key in x-api-key, through n8n's request helper. Never a POST, so no status is ever reported by a
 * test. 401 or 403 means the key was refused; a network error says what kind; any other answer
 * means the endpoint is there and did not refuse the key.
 */
export async function testStatusCallbackCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const data = (credential.data ?? {}) as Record<string, unknown>;
	const url = String(data.url ?? '').trim();
	const apiKey = String(data.apiKey ?? '');
	if (!/^https?:\/\//i.test(url))
		return { status: 'Error', message: 'The callback URL must start with http:// or https://' };
	// The URL without its query, which might carry a token.
	const shown = url.replace(/[?#].*$/, '');
	let response: { statusCode: number; statusMessage?: string };
	try {
		// ICredentialTestFunctions offers only this helper in n8n 2.41 (no httpRequest): it is n8n's
		// own, so proxy settings and outbound rules apply, which a raw fetch would bypass.
		// eslint-disable-next-line @n8n/community-nodes/no-deprecated-workflow-functions
		response = (await this.helpers.request({
			method: 'HEAD',
			uri: url,
			headers: apiKey ? { 'x-api-key': apiKey } : {},
			resolveWithFullResponse: true,
			simple: false,
			timeout: 10_000,
		})) as { statusCode: number; statusMessage?: string };
	} catch (error) {
		const reason = unreachableReason(error, 10_000);
		const explained: Record<string, string> = {
			ECONNREFUSED: 'nothing listens at that address and port',
			ENOTFOUND: 'the host name is not known',
			EAI_AGAIN: 'the host name could not be looked up',
			ECONNRESET: 'the connection was cut',
			CERT_HAS_EXPIRED: 'its TLS certificate has expired',
		};
		return {
			status: 'Error',
			message: redact(
				`Could not reach ${shown}: ${reason}${explained[reason] ? ` (${explained[reason]})` : ''}`,
				[apiKey],
			),
		};
	}
	const status = `${response.statusCode} ${response.statusMessage ?? ''}`.trim();
	if (response.statusCode === 401 || response.statusCode === 403) {
		return {
			status: 'Error',
			message: apiKey
				? `The endpoint refused the API key (it answered ${status} to a request with the key in x-api-key). Check the API key.`
				: `The endpoint answered ${status}: it needs an API key. Enter the API key.`,
		};
	}
	if (response.statusCode >= 500)
		return {
			status: 'Error',
			message: `The endpoint answered ${status}: it is reachable but failing. Try again later, or check the URL.`,
		};
	return {
		status: 'OK',
		message: `The endpoint is reachable and did not refuse the API key (it answered ${status} to HEAD; no status was sent)`,
	};
}
