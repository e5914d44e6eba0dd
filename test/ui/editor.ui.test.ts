/**
 * The editor as a user meets it: the demo's n8n (real server, both example workflows, the demo
 * bucket and receiver) in Debian's Chromium, driven by playwright-core (no browser download; the
 * test installs the `chromium` package with apt-get if it is missing, as root). It opens both
 * workflows, each of the package's node panels and both credentials, checks what a user should
 * see there, and that nothing of this package logs an error in the browser console. Screenshots
 * go to test-artifacts/ui/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, type Browser, type Page } from 'playwright-core';

import { startDemo } from '../../scripts/lib/demo';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'ui');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Console errors that name this package or its nodes and credentials. */
const OURS =
	/s3-inbound|s3CsvInbound|fieldMapper|accountMatcher|pxStatusWriter|importStatusCallback|S3 CSV Inbound|Field Mapper|Account Matcher|PX Status Writer|Finish Import|S3 Inbound AWS/i;

function ensureChromium(): void {
	if (existsSync(CHROMIUM)) return;
	if (process.getuid?.() !== 0)
		throw new Error(
			`No Chromium at ${CHROMIUM}: apt-get install chromium (as root), or set CHROMIUM_PATH.`,
		);
	execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
	execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
		stdio: 'inherit',
		env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
	});
	if (spawnSync(CHROMIUM, ['--version']).status !== 0)
		throw new Error('chromium was installed but does not start');
}

type Demo = Awaited<ReturnType<typeof startDemo>>;
let demo: Demo;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
	ensureChromium();
	mkdirSync(ARTIFACTS, { recursive: true });
	demo = await startDemo({ userFolder: mkdtempSync(join(tmpdir(), 'n8n-ui-')), quiet: true });
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-dev-shm-usage',
			'--disable-background-networking',
		],
	});
	page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
	page.on('console', (m) => {
		if (m.type() === 'error') consoleErrors.push(m.text());
	});
	page.on('pageerror', (e) => consoleErrors.push(`${e.name}: ${e.message}\n${e.stack ?? ''}`));
	await page.goto(`${demo.n8n.url}/signin`);
	await page
		.locator('[data-test-id="emailOrLdapLoginId"] input, input[type=email]')
		.first()
		.fill('demo@example.com');
	await page
		.locator('[data-test-id="password"] input, input[type=password]')
		.first()
		.fill('Demo-password-1');
	await page.locator('[data-test-id="form-submit-button"]').click();
	await page.waitForURL((u) => !u.pathname.includes('signin'), { timeout: 60_000 });
}, 600_000);

afterAll(async () => {
	await browser?.close();
	await demo?.stop();
});

async function openWorkflow(id: string, screenshot: string): Promise<void> {
	await page.goto(`${demo.n8n.url}/workflow/${id}`);
	await page.waitForSelector('[data-test-id="canvas-node"]', { timeout: 60_000 });
	await page.waitForTimeout(1500);
	await page.screenshot({ path: join(ARTIFACTS, screenshot) });
}

async function closePanel(panel: ReturnType<Page['locator']>): Promise<void> {
	for (let i = 0; i < 3 && (await panel.isVisible()); i++) {
		await page.keyboard.press('Escape');
		await panel.waitFor({ state: 'hidden', timeout: 3_000 }).catch(() => undefined);
	}
	if (await panel.isVisible())
		await page.locator('[data-test-id="ndv-close-button"]').first().click();
	await panel.waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Reads `probe` until it gives `expected` (the editor updates asynchronously), at most 30 s; returns the last value. */
async function settled<T>(probe: () => Promise<T>, expected: T): Promise<T> {
	const deadline = Date.now() + 30_000;
	let value = await probe();
	while (value !== expected && Date.now() < deadline) {
		await page.waitForTimeout(200);
		value = await probe();
	}
	return value;
}

/**
 * Waits until n8n has rendered the panel's parameters: the number of parameter inputs is above
 * zero and the same in five samples 300 ms apart (at most 30 s). On a loaded machine n8n renders
 * a panel's lists well after the panel itself appears.
 */
async function panelSettled(panel: ReturnType<Page['locator']>): Promise<void> {
	const deadline = Date.now() + 30_000;
	let last = -1;
	let same = 0;
	while (Date.now() < deadline && same < 5) {
		await page.waitForTimeout(300);
		const count = await panel.locator('[data-test-id="parameter-item"]').count();
		same = count > 0 && count === last ? same + 1 : 0;
		last = count;
	}
}

/** Opens a node's panel, returns its visible text, takes a screenshot, and closes it. */
async function openNode(
	name: string,
	screenshot: string,
	before?: (panel: ReturnType<Page['locator']>) => Promise<void>,
): Promise<string> {
	await page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`).dblclick();
	const panel = page.locator('[data-test-id="ndv"]');
	await panel.waitFor({ timeout: 30_000 });
	await panelSettled(panel);
	await page.screenshot({ path: join(ARTIFACTS, screenshot) });
	// What a user reads there: the visible text, and the values shown in inputs and selects (an
	// option's name, such as an Operation, is an input's value, not text).
	const values = await panel
		.locator('input, textarea')
		.evaluateAll((els) =>
			els.map((e) => (e as unknown as { value?: string }).value).filter(Boolean),
		);
	const text = `${await panel.innerText()}\n${values.join('\n')}`;
	if (before) await before(panel);
	await closePanel(panel);
	return text;
}

/** What one input of a field shows: its text (the value, or the placeholder when empty), and whether it is shown whole. */
interface Shown {
	text: string;
	whole: boolean;
}

/**
 * Each field of the Field Mapper's list as the panel shows it: its target, source, type and date
 * format inputs (found by their parameter paths, `….field[i].target`…). A text is shown whole when
 * it fits inside its input (measured in the input's own font, and the input does not scroll) and
 * the input lies inside the parameters pane.
 */
async function fieldsShown(
	panel: ReturnType<Page['locator']>,
): Promise<
	Array<Record<'target' | 'source' | 'type', Shown> & { dateFormat?: Shown; top: number }>
> {
	return await panel.evaluate((ndv) => {
		const pane = ndv.querySelector('[data-test-id="node-parameters"]')!.getBoundingClientRect();
		// The page's own DOM (this function runs in the browser).
		const doc = ndv.ownerDocument;
		const measure = doc.createElement('canvas').getContext('2d')!;
		const shown = (item: ReturnType<typeof ndv.querySelector>) => {
			const input = item?.querySelector('input');
			if (!input) return undefined;
			const style = doc.defaultView!.getComputedStyle(input);
			measure.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
			const text = input.value || input.placeholder;
			const room =
				input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
			const box = input.getBoundingClientRect();
			return {
				text,
				whole:
					measure.measureText(text).width <= room &&
					input.scrollWidth <= input.clientWidth &&
					box.left >= pane.left &&
					box.right <= pane.right,
			};
		};
		const fields = [];
		for (let i = 0; ; i++) {
			const at = (name: string) =>
				ndv.querySelector(`[data-parameter-path$=".field[${i}].${name}"]`);
			if (!at('target')) break;
			fields.push({
				top: Math.round(at('target')!.getBoundingClientRect().top),
				target: shown(at('target'))!,
				source: shown(at('source'))!,
				type: shown(at('type'))!,
				...(at('dateFormat') ? { dateFormat: shown(at('dateFormat')) } : {}),
			});
		}
		return fields;
	});
}

/** The width of the panel's parameters pane, in px. */
async function paneWidth(panel: ReturnType<Page['locator']>): Promise<number> {
	return await panel
		.locator('[data-test-id="node-parameters"]')
		.evaluate((pane) => Math.round(pane.getBoundingClientRect().width));
}

describe('the demo in a browser', () => {
	it('marker-folder workflow: the nodes show their icons, labelled inputs and the parameters a user needs', async () => {
		await openWorkflow(demo.workflows.marker, 'marker-workflow.png');
		const canvas = await page.locator('[data-test-id="canvas-node"]').allInnerTexts();
		expect(canvas.join('\n')).toMatch(/Marker folders/);
		const trigger = await openNode('S3 CSV Inbound Trigger', 'trigger-marker.png');
		expect(trigger).toMatch(/Marker Name/);
		// The marker example's Finish Import node is still named PX Status Writer there.
		const writer = await openNode('PX Status Writer', 'px-status-writer.png');
		expect(writer).toMatch(/Fail Execution on Failed Import/);
		expect(writer).toMatch(/Imported Rows/);
		expect(writer).toMatch(/Finish Files and Batch Folders/);
		expect(writer).toMatch(/After Import/);
		expect(writer).toMatch(/Marker folders .*always move to processed\//);
		const each = await openNode('Import Each File', 'import-each-file.png');
		expect(each).toMatch(/Run once for each item/);
	});

	it('the per-file sub-workflow: rows in batches into PostgreSQL, and the file’s outcome reported to the parent', async () => {
		await openWorkflow(demo.workflows.markerFile, 'marker-file-workflow-overview.png');
		const canvas = (await page.locator('[data-test-id="canvas-node"]').allInnerTexts()).join('\n');
		expect(canvas).toMatch(/Insert Rows/);
		const mapper = await openNode('Field Mapper', 'field-mapper-batches.png');
		expect(mapper).toMatch(/One Item per Batch of Rows/);
		expect(mapper).toMatch(/Rows per Batch/);
		const report = await openNode('Report File Outcome', 'report-file-outcome.png');
		expect(report).toMatch(/Report File Outcome/);
		expect(report).toMatch(/Ends a sub-workflow that imports one file/);
		expect(report).not.toMatch(/Send Status Callback/);
	});

	it('hourly workflow: trigger (one schedule; no marker-only options), Field Mapper fields readable at the default width, Account Matcher wiring', async () => {
		await openWorkflow(demo.workflows.hourly, 'hourly-workflow.png');
		let options: string[] = [];
		const trigger = await openNode(
			'S3 CSV Inbound Trigger',
			'trigger-single-file.png',
			async (panel) => {
				// The collection's picker is a select whose placeholder reads "Add option".
				await panel
					.getByPlaceholder('Add option')
					.or(panel.getByText('Add option', { exact: true }))
					.filter({ visible: true })
					.last()
					.click();
				await page.waitForTimeout(800);
				options = await page
					.locator('.el-select-dropdown, [role="listbox"], .el-popper')
					.filter({ visible: true })
					.allInnerTexts();
				await page.screenshot({ path: join(ARTIFACTS, 'trigger-single-file-options.png') });
				await page.keyboard.press('Escape');
			},
		);
		expect(trigger).toMatch(/File Path/);
		// n8n's Poll Times are the one schedule: no second "Check Every" clock.
		expect(trigger).toMatch(/Poll Times/);
		expect(trigger).toMatch(/Poll Times above is the schedule/);
		expect(trigger).toMatch(/Import at Every Poll/);
		expect(trigger).not.toMatch(/Check Every/);
		// Lease and the per-run caps are marker-folder options: not offered for a single file.
		expect(options.join('\n')).toMatch(/Failed Checks Before Error/);
		expect(options.join('\n')).not.toMatch(/Lease|Max Folders per Run|Max Files per Run/);

		let fields: Awaited<ReturnType<typeof fieldsShown>> = [];
		let width = 0;
		const mapper = await openNode('Field Mapper', 'field-mapper-top.png', async (panel) => {
			// n8n renders the field list after the panel opens: wait for its nine fields, not a fixed time.
			await settled(async () => (await fieldsShown(panel)).length, 9);
			fields = await fieldsShown(panel);
			width = await paneWidth(panel);
			// The README's picture: the same panel at the same (default) width, in a taller window.
			await page.setViewportSize({ width: 1440, height: 1700 });
			await page.waitForTimeout(800);
			await panel
				.getByText('Staircase Account Fields', { exact: true })
				.first()
				.scrollIntoViewIfNeeded();
			await page.screenshot({ path: join(ARTIFACTS, 'field-mapper.png') });
			await page.setViewportSize({ width: 1440, height: 900 });
		});
		expect(mapper).toMatch(/Default Date Format/);
		const pitch = fields.slice(1).map((f, i) => f.top - fields[i].top);
		console.log(
			`Field Mapper at the default width (parameters pane ${width} px; px per field ${JSON.stringify(pitch)}): ${JSON.stringify(fields.map((f) => [f.target, f.source, f.type, f.dateFormat]))}`,
		);
		// n8n's default width for a node with inputs (420 px); the panel was not widened.
		expect(width).toBeGreaterThanOrEqual(410);
		expect(width).toBeLessThanOrEqual(430);
		// The example's nine Staircase fields, each with its target, source and type shown whole, and a
		// date format only for the date field (renewalDate).
		expect(fields.map((f) => [f.target.text, f.source.text, f.type.text])).toEqual([
			['crmAccountId', 'crm_account_id', 'CRM ID'],
			['name', 'name', 'String'],
			['parentAccount', 'parent_account', 'CRM ID'],
			['tier', 'tier', 'String'],
			['revenue', 'revenue', 'Number'],
			['renewalDate', 'renewal_date', 'Date'],
			['journeyStage', 'journey_stage', 'String'],
			['healthScore', 'health_score', 'Number'],
			['seats', 'seats', 'Number'],
		]);
		expect(fields.map((f) => f.dateFormat?.text)).toEqual([
			undefined,
			undefined,
			undefined,
			undefined,
			undefined,
			'yyyy-MM-dd',
			undefined,
			undefined,
			undefined,
		]);
		const clipped = fields.flatMap((f) =>
			[f.target, f.source, f.type, ...(f.dateFormat ? [f.dateFormat] : [])]
				.filter((s) => !s.whole)
				.map((s) => s.text),
		);
		expect(clipped).toEqual([]);
		const matcher = await openNode('Account Matcher', 'account-matcher.png');
		expect(matcher).toMatch(/Connect the imported rows/);
		expect(matcher).toMatch(/Directory Field to Match On/);
		expect(matcher).toMatch(/Leave Out by Status/);
		const subtitle = await page
			.locator('[data-test-id="canvas-node"][data-node-name="Account Matcher"]')
			.innerText();
		expect(subtitle).toMatch(/Accounts by CRM ID/);
	});

	it("the newer trigger modes: New Files (start point, pattern, sub-folders) and the event trigger (queue, fallback listing), the single file's re-read interval, and Finish Import moving files after their import", async () => {
		const credentials = {
			s3InboundAwsApi: { id: demo.credentials.s3, name: 'Demo bucket (moto)' },
		};
		const trigger = (
			name: string,
			type: string,
			typeVersion: number,
			parameters: object,
			x: number,
		) => ({
			id: `${type}-${x}`,
			name,
			type: `n8n-nodes-s3-inbound.${type}`,
			typeVersion,
			position: [x, 0],
			parameters,
			credentials,
		});
		const created = await demo.n8n.api('POST', '/workflows', {
			name: 'Trigger modes (browser test)',
			nodes: [
				trigger(
					'New Files Trigger',
					's3CsvInboundTrigger',
					2,
					{ mode: 'newFiles', bucket: demo.bucket, folder: 'incoming' },
					0,
				),
				trigger(
					'Event Trigger',
					's3CsvInboundEventTrigger',
					1,
					{
						queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/s3-imports',
						mode: 'newFiles',
						bucket: demo.bucket,
					},
					300,
				),
				trigger(
					'Hourly Trigger',
					's3CsvInboundTrigger',
					2,
					{ mode: 'singleFile', bucket: demo.bucket, fileKey: 'a.csv' },
					600,
				),
				{
					id: 'finish-import',
					name: 'Finish Import',
					type: 'n8n-nodes-s3-inbound.pxStatusWriter',
					typeVersion: 2,
					position: [300, 300],
					parameters: { afterImport: 'move' },
					credentials,
				},
			],
			connections: {
				'New Files Trigger': {
					main: [[{ node: 'Finish Import', type: 'main', index: 0 }]],
				},
			},
			settings: { executionOrder: 'v1' },
		});
		await openWorkflow(created.id, 'trigger-modes-workflow.png');
		const canvas = (await page.locator('[data-test-id="canvas-node"]').allInnerTexts()).join('\n');
		expect(canvas).toMatch(/New files/);
		const newFiles = await openNode('New Files Trigger', 'trigger-new-files.png');
		for (const label of [
			/Folder/,
			/File Pattern/,
			/Include Sub-Folders/,
			/Start From/,
			/Poll Times/,
		])
			expect(newFiles).toMatch(label);
		expect(newFiles).not.toMatch(/Marker Name|File Path/);
		const events = await openNode('Event Trigger', 'event-trigger.png');
		for (const label of [/Queue URL/, /List Every \(Minutes\)/, /Start From/, /s3:ObjectCreated/])
			expect(events).toMatch(label);
		expect(events).not.toMatch(/Poll Times|Check Every|Import at Every Poll/);
		const hourly = await openNode('Hourly Trigger', 'trigger-re-read.png');
		expect(hourly).toMatch(/Re-Read Unchanged File Every \(Minutes\)/);
		const finish = await openNode('Finish Import', 'finish-import-move.png');
		for (const label of [
			/After Import/,
			/Move to Folder/,
			/Move To/,
			/Write Status File/,
			/Send Status Callback/,
			/Fail Execution on Failed Import/,
		])
			expect(finish).toMatch(label);
		expect(finish).not.toMatch(/Tag Key/);
		const subtitle = await page
			.locator('[data-test-id="canvas-node"][data-node-name="Finish Import"]')
			.innerText();
		expect(subtitle).toMatch(/Move imported files/);
	});

	it('both credentials open, with their fields', async () => {
		for (const [id, file, expected] of [
			[demo.credentials.s3, 'credential-s3.png', /Access Key ID/],
			[demo.credentials.callback, 'credential-callback.png', /Callback URL/],
		] as const) {
			await page.goto(`${demo.n8n.url}/home/credentials/${id}`);
			const modal = page.locator('[data-test-id="editCredential-modal"]');
			await modal.waitFor({ timeout: 30_000 });
			await page.waitForTimeout(1000);
			expect(await modal.innerText()).toMatch(expected);
			await page.screenshot({ path: join(ARTIFACTS, file) });
			await page.keyboard.press('Escape');
		}
	});

	it('a new field with 20-character names is readable at the default width, and a date type adds its format to that field', async () => {
		// The marker flow's Field Mapper is in its per-file sub-workflow.
		await openWorkflow(demo.workflows.markerFile, 'marker-file-workflow.png');
		await page.locator('[data-test-id="canvas-node"][data-node-name="Field Mapper"]').dblclick();
		const panel = page.locator('[data-test-id="ndv"]');
		await panel.waitFor({ timeout: 30_000 });
		await panelSettled(panel);
		const count = async () => (await fieldsShown(panel)).length;
		// The example's six PX fields.
		// n8n renders the list after the panel opens: wait for the fields before counting them.
		expect(await settled(count, 6)).toBe(6);
		await panel.getByRole('button', { name: 'Add Field' }).click();
		expect(await settled(count, 7)).toBe(7);
		const newField = async () => {
			const field = (await fieldsShown(panel))[6];
			return {
				target: field.target,
				source: field.source,
				type: field.type,
				...(field.dateFormat ? { dateFormat: field.dateFormat } : {}),
			};
		};
		const input = (name: string) =>
			panel.locator(`[data-parameter-path$=".field[6].${name}"] input`).first();
		// Target, source (empty: "same as target"), type, Required; no date format for a String.
		expect(await newField()).toEqual({
			target: { text: 'target field', whole: true },
			source: { text: 'same as target', whole: true },
			type: { text: 'String', whole: true },
		});
		expect(await panel.locator('[data-parameter-path$=".field[6].required"]').count()).toBe(1);
		// The widest letters, 20 of each, and the longest type name.
		await input('target').fill('W'.repeat(20));
		await input('source').fill('M'.repeat(20));
		const choose = async (type: string) => {
			await input('type').click();
			await page
				.locator('.el-select-dropdown__item, [role="option"]')
				.filter({ visible: true })
				.getByText(type, { exact: true })
				.click();
		};
		await choose('User Reference (Not Importable)');
		expect(
			await settled(
				async () => (await fieldsShown(panel))[6].type.text,
				'User Reference (Not Importable)',
			),
		).toBe('User Reference (Not Importable)');
		const wide = await newField();
		console.log(`A field with 20-character names at the default width: ${JSON.stringify(wide)}`);
		expect(wide).toEqual({
			target: { text: 'W'.repeat(20), whole: true },
			source: { text: 'M'.repeat(20), whole: true },
			type: { text: 'User Reference (Not Importable)', whole: true },
		});
		await choose('Date and Time');
		expect(
			await settled(async () => (await fieldsShown(panel))[6].dateFormat?.text, 'default format'),
		).toBe('default format');
		expect((await fieldsShown(panel))[6].dateFormat).toEqual({
			text: 'default format',
			whole: true,
		});
		await input('target').scrollIntoViewIfNeeded();
		await page.screenshot({ path: join(ARTIFACTS, 'field-mapper-new-date-field.png') });
	});

	it('nothing of this package logged an error in the browser console', () => {
		const ours = consoleErrors.filter((e) => OURS.test(e));
		expect(ours).toEqual([]);
	});
});
