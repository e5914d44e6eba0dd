import { createHash } from 'node:crypto';

import { S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

/** How the connection proves who it is. */
export type S3Authentication = 'accessKeys' | 'assumeRole' | 'defaultChain';

/** Plain connection settings, as the "S3 Inbound AWS" credential holds them. */
export interface S3ConnectionSettings {
	authentication: S3Authentication;
	region: string;
	accessKeyId?: string;
	secretAccessKey?: string;
	sessionToken?: string;
	roleArn?: string;
	externalId?: string;
	roleSessionName?: string;
	/** Who assumes the role: the access keys above, or the host's default credential chain. */
	assumeRoleWith?: 'accessKeys' | 'defaultChain';
	/** Custom S3 endpoint (MinIO, R2, a local test server). Empty for AWS. */
	endpoint?: string;
	forcePathStyle?: boolean;
	/** Custom STS endpoint for assume role. Empty for AWS. */
	stsEndpoint?: string;
}

const DEFAULT_SESSION_NAME = 'n8n-s3-inbound';
/** Temporary credentials last one hour and are refreshed five minutes before they expire. */
const ROLE_SESSION_SECONDS = 3600;
const REFRESH_MARGIN_MS = 5 * 60 * 1000;

function staticKeys(settings: S3ConnectionSettings): AwsCredentialIdentity {
	if (!settings.accessKeyId || !settings.secretAccessKey) {
		throw new Error(
			'The S3 Inbound AWS credential uses access keys but the access key ID or secret access key is empty: fill in both.',
		);
	}
	return {
		accessKeyId: settings.accessKeyId.trim(),
		secretAccessKey: settings.secretAccessKey.trim(),
		...(settings.sessionToken ? { sessionToken: settings.sessionToken.trim() } : {}),
	};
}

/**
 * Wraps a provider so that the identity it returns is kept until shortly before it expires.
 * The SDK's own clients memoise too; this makes the refresh margin explicit and shared by every
 * client built from the same settings.
 */
export function cachedProvider(
	provider: AwsCredentialIdentityProvider,
	marginMs = REFRESH_MARGIN_MS,
	now: () => number = Date.now,
): AwsCredentialIdentityProvider {
	let current: AwsCredentialIdentity | undefined;
	let pending: Promise<AwsCredentialIdentity> | undefined;
	return async () => {
		const fresh =
			current &&
			(current.expiration === undefined || current.expiration.getTime() - marginMs > now());
		if (fresh && current) return current;
		pending ??= provider()
			.then((identity) => {
				current = identity;
				return identity;
			})
			.finally(() => {
				pending = undefined;
			});
		return await pending;
	};
}

export function credentialProvider(settings: S3ConnectionSettings): AwsCredentialIdentityProvider {
	switch (settings.authentication) {
		case 'accessKeys': {
			const keys = staticKeys(settings);
			return async () => keys;
		}
		case 'defaultChain':
			return cachedProvider(fromNodeProviderChain());
		case 'assumeRole': {
			if (!settings.roleArn) {
				throw new Error('The S3 Inbound AWS credential assumes a role but the role ARN is empty.');
			}
			const masterCredentials =
				settings.assumeRoleWith === 'defaultChain'
					? fromNodeProviderChain()
					: ((async () => staticKeys(settings)) as AwsCredentialIdentityProvider);
			return cachedProvider(
				fromTemporaryCredentials({
					masterCredentials,
					params: {
						RoleArn: settings.roleArn.trim(),
						RoleSessionName: settings.roleSessionName?.trim() || DEFAULT_SESSION_NAME,
						DurationSeconds: ROLE_SESSION_SECONDS,
						...(settings.externalId ? { ExternalId: settings.externalId } : {}),
					},
					clientConfig: {
						region: settings.region,
						...(settings.stsEndpoint ? { endpoint: settings.stsEndpoint } : {}),
					},
				}),
			);
		}
		default:
			throw new Error(`Unknown authentication '${String(settings.authentication)}'.`);
	}
}

function settingsFingerprint(settings: S3ConnectionSettings): string {
	const ordered = Object.keys(settings)
		.sort()
		.map((key) => [key, settings[key as keyof S3ConnectionSettings]]);
	return createHash('sha256').update(JSON.stringify(ordered)).digest('hex');
}

const MAX_CACHED_CLIENTS = 32;
const clients = new Map<string, S3Client>();

/**
 * One S3 client per distinct connection settings, kept between polls and executions so that
 * temporary credentials are fetched once and refreshed before expiry, not fetched per request.
 */
export function s3ClientFor(settings: S3ConnectionSettings): S3Client {
	const fingerprint = settingsFingerprint(settings);
	const cached = clients.get(fingerprint);
	if (cached) {
		clients.delete(fingerprint);
		clients.set(fingerprint, cached);
		return cached;
	}
	const client = new S3Client({
		region: settings.region || 'us-east-1',
		credentials: credentialProvider(settings),
		...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
		forcePathStyle: settings.forcePathStyle ?? Boolean(settings.endpoint),
		// Ask for checksums only where S3 requires them: S3-compatible stores differ in support.
		requestChecksumCalculation: 'WHEN_REQUIRED',
		responseChecksumValidation: 'WHEN_REQUIRED',
		maxAttempts: 4,
	});
	clients.set(fingerprint, client);
	if (clients.size > MAX_CACHED_CLIENTS) {
		const oldest = clients.keys().next().value as string;
		clients.get(oldest)?.destroy();
		clients.delete(oldest);
	}
	return client;
}

/** Values that must never appear in a log line, error, status file or callback. */
export function secretsOf(settings: S3ConnectionSettings): string[] {
	return [settings.secretAccessKey, settings.sessionToken, settings.externalId].filter(
		(value): value is string => typeof value === 'string' && value.length >= 4,
	);
}

/** Reads the "S3 Inbound AWS" credential's fields into connection settings. */
export function settingsFromCredential(data: Record<string, unknown>): S3ConnectionSettings {
	const text = (name: string): string | undefined => {
		const value = data[name];
		return typeof value === 'string' && value.trim() !== '' ? value : undefined;
	};
	const authentication = (text('authentication') ?? 'accessKeys') as S3Authentication;
	const endpoint = text('endpoint');
	return {
		authentication,
		region: text('region') ?? 'us-east-1',
		accessKeyId: text('accessKeyId'),
		secretAccessKey: text('secretAccessKey'),
		sessionToken: text('sessionToken'),
		roleArn: text('roleArn'),
		externalId: text('externalId'),
		roleSessionName: text('roleSessionName'),
		assumeRoleWith: (text('assumeRoleWith') ?? 'accessKeys') as 'accessKeys' | 'defaultChain',
		endpoint,
		forcePathStyle: endpoint ? data.forcePathStyle !== false : false,
		stsEndpoint: text('stsEndpoint'),
	};
}

/** Asks STS who the credential is (after assuming the role, if set): the credential test's check. */
export async function whoAmI(settings: S3ConnectionSettings): Promise<string | undefined> {
	const sts = new STSClient({
		region: settings.region,
		credentials: credentialProvider(settings),
		...(settings.stsEndpoint ? { endpoint: settings.stsEndpoint } : {}),
	});
	try {
		return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
	} finally {
		sts.destroy();
	}
}
