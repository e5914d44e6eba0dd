import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startMoto, type MotoServer } from './helpers/moto';

declare global {
	var __MOTO__: MotoServer | undefined;
}

export default async function globalSetup(): Promise<void> {
	const moto = await startMoto();
	globalThis.__MOTO__ = moto;
	process.env.S3_TEST_ENDPOINT = moto.endpoint;
	// n8n-core's InstanceSettings writes its config under N8N_USER_FOLDER.
	process.env.N8N_USER_FOLDER = mkdtempSync(join(tmpdir(), 'n8n-s3-inbound-test-'));
	process.env.AWS_ACCESS_KEY_ID = 'testing';
	process.env.AWS_SECRET_ACCESS_KEY = 'testing';
	process.env.AWS_REGION = 'us-east-1';
	process.env.AWS_EC2_METADATA_DISABLED = 'true';
}
