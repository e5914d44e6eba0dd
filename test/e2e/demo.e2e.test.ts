import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startDemo } from '../../scripts/lib/demo';
import { describeImportFlows, waitFor, type Demo } from './importFlows';

// Debug logging: the test reads n8n's publication log, and checks no secret reaches even that.
describeImportFlows(
	'both import flows in a real n8n server (regular mode)',
	async () =>
		await startDemo({
			userFolder: mkdtempSync(join(tmpdir(), 'n8n-e2e-')),
			quiet: true,
			env: { N8N_LOG_LEVEL: 'debug' },
		}),
	(demo: () => Demo) => {
		it('a workflow published before the customer’s first upload imports it at the next poll, with no error at publishing', async () => {
			const d = demo();
			const key = 'staircase/first-upload.csv';
			const id = await d.createFromExample('hourly-overwrite-import.json', (workflow) => {
				const trigger = workflow.nodes.find((n: { type: string }) =>
					n.type.endsWith('.s3CsvInboundTrigger'),
				);
				trigger.parameters.fileKey = key;
				// Poll Times are the trigger's one schedule: this copy polls every minute.
				trigger.parameters.pollTimes = { item: [{ mode: 'everyMinute' }] };
			});
			await d.activate(id);
			// The activation poll finds no file: no error, no execution, and the check does not count.
			await new Promise((r) => setTimeout(r, 5000));
			const uploaded = Date.now();
			await d.write(key, 'crm_account_id,date,tier\na0D30000001n7PiEAI,2024-04-01,Platinum\n');
			const rows = await waitFor(
				'rows from the first upload',
				async () => {
					const found = (d.receiver.rows as Array<Record<string, unknown>>).filter((r) =>
						String(r.idempotencyKey).includes(key),
					);
					return found.length > 0 && found;
				},
				150_000,
			);
			expect(rows.map((r) => [r.accountId, r.tier])).toEqual([['acc-002', 'Platinum']]);
			// Within two minute-polls of the upload.
			expect(Date.now() - uploaded).toBeLessThan(130_000);
			const failed = (await d.n8n.api('GET', `/executions?workflowId=${id}&status=error`)).data;
			expect(failed).toEqual([]);
		});

		it('publishing again checks at once: a new upload is imported without waiting for the next hourly poll', async () => {
			const d = demo();
			const key = 'staircase/republish.csv';
			await d.write(key, 'crm_account_id,date,tier\na0D30000001n7PiEAI,2024-05-01,Gold\n');
			const id = await d.createFromExample('hourly-overwrite-import.json', (workflow) => {
				const trigger = workflow.nodes.find((n: { type: string }) =>
					n.type.endsWith('.s3CsvInboundTrigger'),
				);
				trigger.parameters.fileKey = key;
			});
			const rowsOf = (tier: string) =>
				(d.receiver.rows as Array<Record<string, unknown>>).filter(
					(r) => String(r.idempotencyKey).includes(key) && r.tier === tier,
				);
			await d.activate(id);
			await waitFor('the first version', async () => rowsOf('Gold').length > 0, 60_000);
			// A new upload: the example's next poll is up to an hour away.
			await d.write(key, 'crm_account_id,date,tier\na0D30000001n7PiEAI,2024-05-01,Platinum\n');
			await new Promise((r) => setTimeout(r, 3000));
			expect(rowsOf('Platinum')).toEqual([]);
			// Unpublish and publish, nothing changed: n8n activates the trigger anew, and it checks at once.
			const unpublished = () => d.n8n.log().split('"result":"unpublished"').length;
			const deactivations = unpublished();
			await d.n8n.api('POST', `/workflows/${id}/unpublish`, {});
			await waitFor(
				'the trigger to be deactivated',
				async () => unpublished() > deactivations,
				30_000,
			);
			const published = Date.now();
			await d.activate(id);
			await waitFor('the new version', async () => rowsOf('Platinum').length > 0, 60_000);
			expect(Date.now() - published).toBeLessThan(30_000);
		});
	},
);
