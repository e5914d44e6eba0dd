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
			type Execution = {
				id: string;
				workflowId: string;
				status: string;
				data?: {
					resultData?: { runData?: Record<string, Array<{ data?: { main?: unknown[][] } }>> };
				};
			};
			// The per-file sub-workflow saves failed executions only (its successful ones would hold
			// every row of a file): its executions are not listed; the parents' are.
			const parents = [d.workflows.hourly, d.workflows.marker];
			const executions = await waitFor('executions of every workflow', async () => {
				const all: Execution[] = [];
				for (const id of parents)
					all.push(
						...((await d.n8n.api('GET', `/executions?workflowId=${id}&includeData=true`))
							.data as Execution[]),
					);
				const workflows = new Set(all.map((e) => e.workflowId));
				return (
					workflows.size === parents.length &&
					all.every((e) => e.status !== 'running' && e.status !== 'new') &&
					all
				);
			});
			// Only the execution that closed the ERROR batch fails (PX Status Writer v2's default).
			expect(executions.filter((e) => e.status !== 'success').map((e) => e.workflowId)).toEqual([
				d.workflows.marker,
			]);
			expect(
				(await d.n8n.api('GET', `/executions?workflowId=${d.workflows.markerFile}`)).data,
			).toEqual([]);
			// The marker flow's per-file sub-workflow ran once per data file (4), inside the worker that
			// ran its parent (sub-executions are not queued): one answer each in Import Each File.
			const answers = executions
				.filter((e) => e.workflowId === d.workflows.marker)
				.flatMap((e) => e.data?.resultData?.runData?.['Import Each File'] ?? [])
				.reduce((sum, run) => sum + (run.data?.main?.[0]?.length ?? 0), 0);
			expect(answers).toBe(4);
			const workerLogs = d.workers.map((w) => w.log());
			for (const execution of executions) {
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
