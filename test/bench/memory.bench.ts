/**
 * Where the memory of a 350,000-row import goes, node by node, in the real engine
 * (WorkflowExecute, one item per row): the heap after each node, with a forced GC, so only what
 * the execution keeps alive is counted. Run with `npm run bench:memory` (needs --expose-gc).
 */
import { buildWorkflow, connect, execute, node, poll, TYPES } from '../helpers/engine';
import { newBucket, testSettings } from '../helpers/s3';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { userCsvGz, FIELDS, directory } = require('../../scripts/lib/benchData');

const ROWS = Number(process.env.BENCH_ROWS || 350_000);

it(`measures the heap node by node for ${ROWS} rows`, async () => {
	const gc = (globalThis as { gc?: () => void }).gc;
	if (!gc) throw new Error('Run with node --expose-gc (npm run bench:memory does).');
	const { bucket, store } = await newBucket('mem');
	await store.write('px/current/dt=20240101/users.csv.gz', userCsvGz(ROWS));
	await store.write('px/current/dt=20240101/_SUCCESS', '');
	const credentials = { s3InboundAwsApi: testSettings() };
	const workflow = buildWorkflow({
		nodes: [
			node('Trigger', TYPES.trigger, {
				mode: 'markerFolders',
				bucketPath: bucket,
				baseFolder: 'px',
			}),
			node('Field Mapper', TYPES.fieldMapper, { mode: 'strict', fields: { field: FIELDS } }),
			node('CRM', TYPES.directory, { records: directory(100_000) }),
			node('Account Matcher', TYPES.accountMatcher, {
				entity: 'account',
				matchingColumn: 'accountCrmId',
				directoryKeyField: 'crmId',
				directoryIdField: 'id',
				duplicates: 'keepAll',
			}),
		],
		connections: connect(
			['Trigger', 'Field Mapper'],
			['Field Mapper', 'Account Matcher', 0, 0],
			['Field Mapper', 'CRM'],
			['CRM', 'Account Matcher', 0, 1],
		),
	});
	const heap = () => {
		gc();
		return process.memoryUsage().heapUsed;
	};
	const start = heap();
	const data = await poll(workflow, 'Trigger', credentials);
	const afterPoll = heap();
	const afterNode: Array<[string, number]> = [];
	const run = await execute(workflow, 'Trigger', data!, credentials, (name) =>
		afterNode.push([name, heap()]),
	);
	const mb = (b: number) => Math.round(b / 1024 / 1024);
	const lines = [
		`| after | heap kept alive (MB) | added by this step (MB) | added per row (bytes) |`,
		`|---|---:|---:|---:|`,
	];
	let previous = start;
	for (const [name, used] of [
		["poll (the trigger's file items)", afterPoll] as [string, number],
		...afterNode.filter(([n]) => n !== 'Trigger'),
	]) {
		lines.push(
			`| ${name} | ${mb(used - start)} | ${mb(used - previous)} | ${Math.round((used - previous) / ROWS)} |`,
		);
		previous = used;
	}
	process.stdout.write(
		`\nHeap kept alive by one execution of ${ROWS.toLocaleString('en')} rows:\n${lines.join('\n')}\n`,
	);
	expect(run.data.resultData.runData['Account Matcher'][0].data?.main[0]).toHaveLength(ROWS);
});
