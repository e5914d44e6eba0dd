import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startDemo } from '../../scripts/lib/demo';
import { describeImportFlows } from './importFlows';

// Debug logging: the test reads n8n's publication log, and checks no secret reaches even that.
describeImportFlows('both import flows in a real n8n server (regular mode)', async () =>
	await startDemo({ userFolder: mkdtempSync(join(tmpdir(), 'n8n-e2e-')), quiet: true, env: { N8N_LOG_LEVEL: 'debug' } }),
);
