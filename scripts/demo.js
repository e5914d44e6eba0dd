#!/usr/bin/env node
// @ts-check
/**
 * `npm start`: n8n with this package, a local demo bucket (moto) and a local receiver, both
 * example workflows imported and activated. Prints where to open the editor, then what happened.
 * Ctrl-C stops everything it started.
 */
const { startDemo, PX_BASE } = require('./lib/demo');

const line = (/** @type {string} */ text) => process.stdout.write(`${text}\n`);

async function main() {
	line(
		'Starting the demo: moto (local S3), a local receiver, and n8n with n8n-nodes-s3-inbound...',
	);
	const demo = await startDemo({
		quiet: !process.env.DEMO_VERBOSE,
		port: Number(process.env.N8N_PORT) || undefined,
	});
	let stopping = false;
	const stop = async () => {
		if (stopping) return;
		stopping = true;
		line('\nStopping n8n, moto and the receiver...');
		await demo.stop();
		process.exit(0);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);

	demo.receiver.onEvent = (kind, request) => {
		if (kind === 'callback')
			line(
				`marker flow (PX): callback received (x-api-key ${request.headers['x-api-key'] ? 'present' : 'missing'}): ${request.body}`,
			);
	};
	for (const id of Object.values(demo.workflows)) await demo.activate(id);
	line('');
	line(`n8n editor:   ${demo.n8n.url}   (sign in as demo@example.com / Demo-password-1)`);
	line(`Demo bucket:  s3://${demo.bucket} on ${demo.moto.endpoint}`);
	line(`Receiver:     ${demo.receiver.url} (directory, destination rows, callbacks)`);
	line(
		demo.destination === 'postgres'
			? `Database:     PostgreSQL on 127.0.0.1:${demo.postgres?.port}, database imports, table px_users (the marker flow's destination; psql -h 127.0.0.1 -p ${demo.postgres?.port} -U postgres imports)`
			: 'Database:     PostgreSQL is not installed and cannot be installed here (apt-get install postgresql as root): the marker flow sends its rows to the receiver instead (the HTTP variant).',
	);
	line(
		'Both workflows are active; their triggers poll at activation, then on their Poll Times (hourly flow: every hour; marker flow: every 15 minutes). Publish a workflow again to check at once.\n',
	);

	const reported = new Set();
	/** Rows the destination got, per flow: account rows from the hourly flow, user rows from the marker flow. */
	const lastRows = { hourly: 0, marker: 0 };
	const seenExecutions = new Set();
	/** The hourly flow's Account Matcher result, from each finished execution. */
	const reportMatching = async () => {
		const executions = await demo.n8n.api(
			'GET',
			`/executions?workflowId=${demo.workflows.hourly}&includeData=true`,
		);
		for (const execution of executions.data ?? []) {
			if (
				seenExecutions.has(execution.id) ||
				execution.status === 'running' ||
				execution.status === 'new'
			)
				continue;
			seenExecutions.add(execution.id);
			const run = execution.data?.resultData?.runData?.['Account Matcher']?.[0];
			if (!run) {
				const error = execution.data?.resultData?.error?.message;
				if (error) line(`hourly flow: execution ${execution.id} failed: ${error}`);
				continue;
			}
			const [matched = [], unmatched = [], ambiguous = []] = run.data?.main ?? [];
			line(
				`hourly flow (Staircase accounts): execution ${execution.id}: ${matched.length} matched, ${unmatched.length} unmatched, ${ambiguous.length} ambiguous`,
			);
			for (const item of unmatched)
				line(
					`    unmatched: ${JSON.stringify(item.json?.crmAccountId ?? item.json?._match?.value)}: ${item.json?._match?.reason}`,
				);
		}
	};
	const timer = setInterval(async () => {
		try {
			const keys = await demo.keys();
			for (const key of keys.filter((k) => k.endsWith('/status.txt') && !reported.has(k))) {
				reported.add(key);
				const text = (await demo.read(key)) ?? '';
				line(
					`marker flow (PX): status file s3://${demo.bucket}/${key}:\n${text.replace(/^/gm, '    ')}`,
				);
			}
			const rows = /** @type {Array<Record<string, unknown>>} */ (demo.receiver.rows);
			const counts = {
				hourly: rows.filter((r) => r && typeof r === 'object' && 'accountId' in r).length,
				marker:
					demo.destination === 'postgres'
						? (await demo.tableRows()).length
						: rows.filter((r) => r && typeof r === 'object' && 'email' in r).length,
			};
			if (counts.hourly !== lastRows.hourly) {
				lastRows.hourly = counts.hourly;
				line(
					`hourly flow (Staircase accounts): ${counts.hourly} rows delivered to the destination so far`,
				);
				await reportMatching();
			}
			if (counts.marker !== lastRows.marker) {
				lastRows.marker = counts.marker;
				line(
					demo.destination === 'postgres'
						? `marker flow (PX users): ${counts.marker} rows in the table px_users (PostgreSQL on 127.0.0.1:${demo.postgres?.port}, database imports)`
						: `marker flow (PX users): ${counts.marker} rows delivered to the receiver's bulk endpoint so far`,
				);
			}
			const waiting = keys.filter((k) => k.startsWith(`${PX_BASE}/current/`));
			if (reported.size >= 2 && waiting.length > 0 && !reported.has('summary')) {
				reported.add('summary');
				line(`marker flow (PX): left alone (no marker yet): ${waiting.join(', ')}`);
				line(
					'\nUpload a new staircase/accounts.csv or a new dt= folder with a _SUCCESS marker to see another import. Ctrl-C to stop.',
				);
			}
		} catch (error) {
			line(`(could not read the demo bucket or n8n: ${/** @type {Error} */ (error).message})`);
		}
	}, 1000);
	timer.unref?.();
	await new Promise(() => undefined);
}

main().catch((error) => {
	process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
	process.exit(1);
});
