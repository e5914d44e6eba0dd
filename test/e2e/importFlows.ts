import { startDemo, DEMO_CALLBACK_KEY, DEMO_SECRET_KEY } from '../../scripts/lib/demo';
import { PX_HEADER, pxRows } from '../../scripts/lib/demoData';

export type Demo = Awaited<ReturnType<typeof startDemo>>;

export async function waitFor<T>(
	what: string,
	probe: () => Promise<T | undefined | false>,
	timeoutMs = 90_000,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 500));
	}
}

type Row = Record<string, unknown>;
const accountRows = (demo: Demo) => (demo.receiver.rows as Row[]).filter((r) => 'accountId' in r);
export const userRows = (demo: Demo) => (demo.receiver.rows as Row[]).filter((r) => 'email' in r);

const STATUS_20240102 = [
	'ERROR',
	'Parsing Errors:[',
	"       users-part2.csv.gz: Unknown column: 'flantana_carteret',",
	"       users-part2.csv.gz: Missing required column: 'id',",
	"       users-part3.csv.gz: Row 14, column 'score': 'n/a' is not a number (expected number: digits with an optional '.' decimal point, no thousands separators)",
	']',
	'10 records were uploaded',
	'',
].join('\n');

/**
 * Both example workflows in a real n8n server, with the demo's bucket, receiver and credentials:
 * the same assertions in regular mode and in queue mode.
 */
export function describeImportFlows(
	title: string,
	start: () => Promise<Demo>,
	extra?: (demo: () => Demo) => void,
): void {
	describe(title, () => {
		let demo: Demo;
		beforeAll(async () => {
			demo = await start();
			// The per-file workflow the marker flow calls, published like the others.
			await demo.activate(demo.workflows.markerFile);
			await demo.activate(demo.workflows.marker);
			await demo.activate(demo.workflows.hourly);
		}, 600_000);

		afterAll(async () => await demo?.stop());
		it('marker folders: status files, processed folders, the unready folder untouched', async () => {
			// Done means: both status files written and both folders closed (markers moved, journals gone).
			await waitFor('both marker folders closed', async () => {
				const keys = await demo.keys();
				return (
					keys.filter((k) => k.endsWith('/status.txt')).length === 2 &&
					!keys.some(
						(k) =>
							k.endsWith('.s3-inbound-batch.json') ||
							k.endsWith('current/dt=20240101/_SUCCESS') ||
							k.endsWith('current/dt=20240102/_SUCCESS'),
					)
				);
			});
			expect(await demo.read('px-import/processed/20240101/status.txt')).toBe(
				'SUCCESS\n25 records were uploaded\n',
			);
			expect(await demo.read('px-import/processed/20240102/status.txt')).toBe(STATUS_20240102);
			const keys = await demo.keys();
			expect(keys.filter((k) => k.startsWith('px-import/current/'))).toEqual([
				'px-import/current/dt=20240103/users.csv.gz',
			]);
			expect(keys.filter((k) => k.startsWith('px-import/processed/'))).toEqual([
				'px-import/processed/20240101/_SUCCESS',
				'px-import/processed/20240101/status.txt',
				'px-import/processed/20240101/users.csv.gz',
				'px-import/processed/20240102/_SUCCESS',
				'px-import/processed/20240102/status.txt',
				'px-import/processed/20240102/users-part1.csv.gz',
				'px-import/processed/20240102/users-part2.csv.gz',
				'px-import/processed/20240102/users-part3.csv.gz',
			]);
		});

		it('marker folders: the execution that closed the ERROR batch is failed in the executions list, naming the folder; the others succeed', async () => {
			type Execution = {
				id: string;
				status: string;
				data?: { resultData?: { error?: { message?: string } } };
			};
			const executions = await waitFor('executions of the marker workflow', async () => {
				const all = (
					await demo.n8n.api(
						'GET',
						`/executions?workflowId=${demo.workflows.marker}&includeData=true`,
					)
				).data as Execution[];
				return (
					all.length > 0 && all.every((e) => e.status !== 'running' && e.status !== 'new') && all
				);
			});
			const failed = executions.filter((e) => e.status !== 'success');
			expect(failed).toHaveLength(1);
			expect(failed[0].status).toBe('error');
			expect(failed[0].data?.resultData?.error?.message).toMatch(
				/^1 batch folder closed with ERROR: px-import\/processed\/20240102: /,
			);
		});

		it('marker folders: one callback per folder, with the API key header and the reference body', async () => {
			await waitFor('two callbacks', async () => demo.receiver.callbacks.length >= 2);
			const bodies = demo.receiver.callbacks.map(
				(c) => JSON.parse(c.body) as { folder_path: string; success: boolean; message: string },
			);
			expect(bodies.sort((a, b) => a.folder_path.localeCompare(b.folder_path))).toEqual([
				{
					folder_path: 'px-import/processed/20240101',
					success: true,
					message: '25 records were uploaded',
				},
				{
					folder_path: 'px-import/processed/20240102',
					success: false,
					message: STATUS_20240102.slice('ERROR\n'.length, -1),
				},
			]);
			for (const c of demo.receiver.callbacks) {
				expect(c.headers['x-api-key']).toBe(DEMO_CALLBACK_KEY);
				expect(c.headers['content-type']).toBe('application/json');
				expect(c.headers['idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
			}
			// Every valid row once, in the demo's PostgreSQL table (or at the receiver's bulk endpoint).
			const users = demo.destination === 'postgres' ? await demo.tableRows() : userRows(demo);
			expect(users).toHaveLength(35);
			expect(new Set(users.map((u) => u.id)).size).toBe(35);
			// users-part3.csv.gz has one bad value among 20 rows: strict mode delivers none of them.
			expect(users.filter((u) => /^u3\d\d$/.test(String(u.id)))).toEqual([]);
			expect(users.find((u) => u.id === 'u1')).toEqual({
				id: 'u1',
				email: 'user1@example.com',
				name: 'User 1, Jr.',
				signup_date: '2024-01-02',
				score: 7.5,
				active: false,
			});
		});

		it('marker folders, the row form: Field Mapper rows (one item per row) into a table with n8n’s Postgres node “Map Automatically”, every valid row once, none of an invalid file', async () => {
			if (demo.destination !== 'postgres' || !demo.postgres) throw new Error('needs PostgreSQL');
			demo.postgres.psql(
				'create table px_rows (id text primary key, email text, name text, signup_date date, score numeric, active boolean)',
				{ database: 'imports' },
			);
			// The per-file sub-workflow in the row form: rows, inserted with Map Automatically.
			const fileWorkflow = await demo.createFromExample('marker-folder-import-file.json', (w) => {
				const mapper = w.nodes.find((n: { name: string }) => n.name === 'Field Mapper');
				mapper.parameters.output = 'rows';
				const insert = w.nodes.find((n: { name: string }) => n.name === 'Insert Rows');
				insert.parameters = {
					operation: 'insert',
					schema: { __rl: true, mode: 'list', value: 'public' },
					table: { __rl: true, mode: 'name', value: 'px_rows' },
					columns: { mappingMode: 'autoMapInputData', value: {}, matchingColumns: [], schema: [] },
					options: {},
				};
			});
			const parent = await demo.createFromExample(
				'marker-folder-import.json',
				(w) => {
					const trigger = w.nodes.find((n: { type: string }) =>
						n.type.endsWith('.s3CsvInboundTrigger'),
					);
					trigger.parameters.baseFolder = 'px-rows';
					const writer = w.nodes.find((n: { name: string }) => n.name === 'PX Status Writer');
					writer.parameters.sendCallback = false;
				},
				{ fileWorkflow },
			);
			await demo.write('px-rows/current/dt=20240301/a.csv', `${PX_HEADER}\n${pxRows(1000, 30)}\n`);
			await demo.write(
				'px-rows/current/dt=20240301/b.csv',
				`${PX_HEADER}\n${pxRows(2000, 20).replace('2005@example.com', '2005@example.com,extra')}\n`,
			);
			await demo.write('px-rows/current/dt=20240301/_SUCCESS', '');
			await demo.activate(fileWorkflow);
			await demo.activate(parent);
			const status = await waitFor('the row-form folder closed', async () =>
				demo.read('px-rows/processed/20240301/status.txt'),
			);
			expect(status).toMatch(/^ERROR\nParsing Errors:\[\n {7}b\.csv: /);
			expect(status).toMatch(/\n30 records were uploaded\n$/);
			const rows = JSON.parse(
				demo.postgres.psql("select coalesce(json_agg(t order by t.id), '[]') from px_rows t", {
					database: 'imports',
				}),
			) as Row[];
			expect(rows.map((r) => r.id)).toEqual(
				Array.from({ length: 30 }, (_, i) => `u${1000 + i}`).sort(),
			);
			expect(rows.find((r) => r.id === 'u1001')).toEqual({
				id: 'u1001',
				email: 'user1001@example.com',
				name: 'User 1001, Jr.',
				signup_date: '2024-01-22',
				score: 7.5,
				active: false,
			});
		});

		it('overwrite: rows matched to accounts, out-of-scope and unknown accounts left out, history kept', async () => {
			const rows = await waitFor(
				'account rows',
				async () => accountRows(demo).length >= 4 && accountRows(demo),
			);
			// The hourly example maps with the Staircase account fields preset (Owner removed).
			expect(rows.map((r) => [r.accountId, r.date, r.tier]).sort()).toEqual([
				['acc-001', '2024-03-14', 'Gold'],
				['acc-001', '2024-03-15', 'Gold'],
				['acc-002', '2024-03-15', 'Silver'],
				['acc-005', '2024-03-15', 'Gold'],
			]);
			expect(rows.map((r) => [r.accountId, r.date, r.healthScore]).sort()).toEqual([
				['acc-001', '2024-03-14', 71],
				['acc-001', '2024-03-15', 74],
				['acc-002', '2024-03-15', 88],
				['acc-005', '2024-03-15', 93],
			]);
			expect(new Set(rows.map((r) => r.idempotencyKey)).size).toBe(4);
		});

		// n8n 2.41 keeps an unchanged trigger registered when a workflow is saved (its "trigger diff"),
		// so the re-import comes with the re-activation (unpublish + publish), as it does at start-up.
		it('a changed Field Mapper mapping, saved through the API, is re-imported at re-activation without waiting for the hour', async () => {
			await waitFor('first overwrite import', async () => accountRows(demo).length >= 4);
			const before = accountRows(demo).length;
			const workflow = await demo.n8n.api('GET', `/workflows/${demo.workflows.hourly}`);
			const mapper = workflow.nodes.find((n: { name: string }) => n.name === 'Field Mapper');
			mapper.parameters.staircaseFields.field.push({
				target: 'notes',
				source: 'notes',
				type: 'string',
				required: false,
				dateFormat: '',
				userReference: false,
			});
			await demo.n8n.api('PUT', `/workflows/${demo.workflows.hourly}`, {
				name: workflow.name,
				nodes: workflow.nodes,
				connections: workflow.connections,
				settings: { executionOrder: 'v1' },
			});
			// n8n applies publications asynchronously and folds an unpublish followed at once by a
			// publish into "nothing changed": wait until the trigger is really deactivated.
			const unpublished = () => demo.n8n.log().split('"result":"unpublished"').length;
			const deactivations = unpublished();
			await demo.n8n.api('POST', `/workflows/${demo.workflows.hourly}/unpublish`, {});
			await waitFor(
				'the trigger to be deactivated',
				async () => unpublished() > deactivations,
				30_000,
			);
			await demo.activate(demo.workflows.hourly);
			const after = await waitFor(
				'the re-import',
				async () => accountRows(demo).length >= before + 4 && accountRows(demo).slice(before),
			);
			expect(after).toHaveLength(4);
			// The new mapping is in effect: the notes column now reaches the destination's input.
			const executions = await demo.n8n.api(
				'GET',
				`/executions?workflowId=${demo.workflows.hourly}&includeData=true`,
			);
			const latest = executions.data.sort(
				(a: { id: string }, b: { id: string }) => Number(b.id) - Number(a.id),
			)[0];
			const mapped = latest.data.resultData.runData['Field Mapper'][0].data.main[0] as Array<{
				json: Row;
			}>;
			expect(mapped.map((i) => i.json.notes)).toContain('18-character ID');
		});

		it('loads the package and both example workflows without unknown-node or parameter warnings', async () => {
			const problems = demo.n8n
				.log()
				.split('\n')
				.filter(
					(l) =>
						/unknown|unrecognized|could not find|failed to load|skipping package/i.test(l) &&
						!/license/i.test(l),
				)
				// The ERROR batch's failed execution quotes the customer's file ("Unknown column"): not a load problem.
				.filter((l) => !l.includes('Workflow execution finished with error'));
			expect(problems).toEqual([]);
			for (const id of Object.values(demo.workflows)) {
				const workflow = await demo.n8n.api('GET', `/workflows/${id}`);
				expect(workflow.active).toBe(true);
			}
		});

		it('no secret reaches the n8n log or the bucket', async () => {
			const objects = await Promise.all((await demo.keys()).map((k) => demo.read(k)));
			const everything = [demo.n8n.log(), ...objects].join('\n');
			for (const secret of [DEMO_SECRET_KEY, DEMO_CALLBACK_KEY])
				expect(everything).not.toContain(secret);
		});

		extra?.(() => demo);
	});
}
