/**
 * Queue mode: one n8n main instance and two `n8n worker`s, with Redis and PostgreSQL started on
 * 127.0.0.1 by the test (Debian's packages, installed the first time if missing). The main
 * instance only polls; the workers run every execution and read the files.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startDemo } from '../../scripts/lib/demo';
import { describeImportFlows, waitFor, type Demo } from './importFlows';

describeImportFlows(
	'both import flows in queue mode (one main instance, two workers, Redis, PostgreSQL)',
	async () =>
		await startDemo({
			userFolder: mkdtempSync(join(tmpdir(), 'n8n-queue-e2e-')),
			quiet: true,
			queueWorkers: 2,
			env: { N8N_LOG_LEVEL: 'debug' },
		}),
	(demo: () => Demo) => {
		it('every execution ran on a worker, and the main instance ran no node', async () => {
			const d = demo();
			type Execution = { id: string; workflowId: string; status: string };
			const executions = await waitFor('executions of every workflow', async () => {
				const all: Execution[] = [];
				for (const id of Object.values(d.workflows))
					all.push(
						...((await d.n8n.api('GET', `/executions?workflowId=${id}`)).data as Execution[]),
					);
				const workflows = new Set(all.map((e) => e.workflowId));
				return (
					workflows.size === 3 &&
					all.every((e) => e.status !== 'running' && e.status !== 'new') &&
					all
				);
			});
			// Only the execution that closed the ERROR batch fails (PX Status Writer v2's default).
			expect(executions.filter((e) => e.status !== 'success').map((e) => e.workflowId)).toEqual([
				d.workflows.marker,
			]);
			// The marker flow's per-file sub-workflow ran once per data file (4), inside the worker that
			// ran its parent: sub-executions are not queued.
			const subExecutions = executions.filter((e) => e.workflowId === d.workflows.markerFile);
			expect(subExecutions).toHaveLength(4);
			const workerLogs = d.workers.map((w) => w.log());
			for (const execution of executions.filter((e) => e.workflowId !== d.workflows.markerFile)) {
				expect(d.n8n.log()).toContain(`Enqueued execution ${execution.id} `);
				const ranOn = workerLogs.filter((log) =>
					log.includes(`Worker started execution ${execution.id} `),
				);
				expect(ranOn).toHaveLength(1);
			}
			// n8n logs every node it runs (at debug level): the main instance logged none.
			expect(d.n8n.log()).not.toMatch(/Start executing node|Running node ".*" started/);
			expect(workerLogs.join('\n')).toMatch(/Running node "Field Mapper" started/);
		});
	},
);
