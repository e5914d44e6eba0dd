import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import {
	s3ClientFor,
	secretsOf,
	settingsFromCredential,
	type S3ConnectionSettings,
} from '../../lib/s3/connection';
import { S3Store } from '../../lib/s3/store';

/** S3 as a node sees it: one client per execution, a store per bucket, and the secrets to redact. */
export interface S3Access {
	settings: S3ConnectionSettings;
	/** Secrets of the credential: never in a message, a log, a status file or an output. */
	secrets: string[];
	storeFor(bucket: string): S3Store;
}

/**
 * The one door from the "S3 Inbound AWS" credential to S3, for every node and the credential
 * test: the credential's data, as n8n decrypted it, to a client and stores.
 */
export function s3Access(
	credential: ICredentialDataDecryptedObject | Record<string, unknown>,
): S3Access {
	const settings = settingsFromCredential(credential as Record<string, unknown>);
	const client = s3ClientFor(settings);
	return {
		settings,
		secrets: secretsOf(settings),
		storeFor: (bucket) => new S3Store(client, bucket),
	};
}
