/**
 * n8n's own nodes (n8n-nodes-base 2.41.1), loaded from the n8n installation that the e2e tests and
 * the demo use (scripts/ensure-n8n.sh installs it once), so that engine tests can run them next to
 * this package's nodes: the Postgres node against a real PostgreSQL, for one.
 */
import { join } from 'node:path';

import type { INodeType, IVersionedNodeType } from 'n8n-workflow';

import { nodeTypes } from './engine';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureN8n } = require('../../scripts/lib/n8n') as {
	ensureN8n: () => { node: string; bin: string };
};

export const N8N_TYPES = {
	postgres: 'n8n-nodes-base.postgres',
	executeWorkflow: 'n8n-nodes-base.executeWorkflow',
	executeWorkflowTrigger: 'n8n-nodes-base.executeWorkflowTrigger',
} as const;

const FILES: Record<string, [string, string]> = {
	[N8N_TYPES.postgres]: ['Postgres/Postgres.node.js', 'Postgres'],
	[N8N_TYPES.executeWorkflow]: [
		'ExecuteWorkflow/ExecuteWorkflow/ExecuteWorkflow.node.js',
		'ExecuteWorkflow',
	],
	[N8N_TYPES.executeWorkflowTrigger]: [
		'ExecuteWorkflow/ExecuteWorkflowTrigger/ExecuteWorkflowTrigger.node.js',
		'ExecuteWorkflowTrigger',
	],
};

/** Registers n8n's own nodes with the test engine (installing n8n first if it is not there yet). */
export function useN8nNodes(): void {
	const { bin } = ensureN8n();
	// <dir>/node_modules/n8n/bin/n8n -> <dir>/node_modules/n8n-nodes-base/dist/nodes
	const nodesDir = join(bin, '..', '..', '..', 'n8n-nodes-base', 'dist', 'nodes');
	for (const [type, [file, className]] of Object.entries(FILES)) {
		nodeTypes.register(type, () => {
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			const module = require(join(nodesDir, file)) as Record<
				string,
				new () => INodeType | IVersionedNodeType
			>;
			return new module[className]();
		});
	}
}

/** Closes the database pools n8n's nodes opened (n8n's ConnectionPoolManager keeps them 5 minutes). */
export function closeN8nPools(): void {
	const { bin } = ensureN8n();
	const utils = join(
		bin,
		'..',
		'..',
		'..',
		'n8n-nodes-base',
		'dist',
		'utils',
		'connection-pool-manager.js',
	);
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { ConnectionPoolManager } = require(utils) as {
		ConnectionPoolManager: { getInstance(logger?: unknown): { purgeConnections(): void } };
	};
	ConnectionPoolManager.getInstance({ debug: () => undefined }).purgeConnections();
}
