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
	/s3-inbound|s3CsvInbound|fieldMapper|accountMatcher|pxStatusWriter|importStatusCallback|S3 CSV Inbound|Field Mapper|Account Matcher|PX Status Writer|S3 Inbound AWS/i;

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
	const text = await panel.innerText();
	if (before) await before(panel);
	await closePanel(panel);
	return text;
}

describe('the demo in a browser', () => {
	it('marker-folder workflow: the nodes show their icons, labelled inputs and the parameters a user needs', async () => {
		await openWorkflow(demo.workflows.marker, 'marker-workflow.png');
		const canvas = await page.locator('[data-test-id="canvas-node"]').allInnerTexts();
		expect(canvas.join('\n')).toMatch(/Marker folders/);
		const trigger = await openNode('S3 CSV Inbound Trigger', 'trigger-marker.png');
		expect(trigger).toMatch(/Marker Name/);
		const writer = await openNode('PX Status Writer', 'px-status-writer.png');
		expect(writer).toMatch(/Fail Execution on ERROR Batch/);
		expect(writer).toMatch(/Imported Rows/);
	});

	it('hourly workflow: trigger (one schedule; no marker-only options), Field Mapper one row per field, Account Matcher wiring', async () => {
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

		let rows: Array<{ tops: number[]; widths: number[] }> = [];
		let widened: number[] = [];
		const mapper = await openNode('Field Mapper', 'field-mapper.png', async (panel) => {
			// n8n renders the field list after the panel opens: wait for its nine rows, not a fixed time.
			await settled(async () => await panel.locator('[class*="inlineItem"]').count(), 9);
			rows = await panel.locator('[class*="inlineItem"]').evaluateAll((els) =>
				els.map((row) => {
					const inputs = [...row.querySelectorAll('[data-test-id="parameter-item"]')].map((c) =>
						c.getBoundingClientRect(),
					);
					return {
						tops: inputs.map((r) => Math.round(r.top)),
						widths: inputs.map((r) => Math.round(r.width)),
					};
				}),
			);
			// Widened by its right edge, as a user does for long names: the row's inputs share the width.
			const edge = panel.locator('[data-dir="right"]').filter({ visible: true }).first();
			const box = await edge.boundingBox();
			if (box) {
				await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
				await page.mouse.down();
				await page.mouse.move(box.x + 300, box.y + box.height / 2, { steps: 10 });
				await page.mouse.up();
				await page.waitForTimeout(800);
				widened = await panel
					.locator('[class*="inlineItem"]')
					.first()
					.evaluate((row) =>
						[...row.querySelectorAll('[data-test-id="parameter-item"]')].map((c) =>
							Math.round(c.getBoundingClientRect().width),
						),
					);
				await page.screenshot({ path: join(ARTIFACTS, 'field-mapper-widened.png') });
			}
		});
		expect(mapper).toMatch(/Default Date Format/);
		expect(mapper).toMatch(/One row per field: Required switch, target field, source column/);
		console.log(
			`Field Mapper rows (input widths, px): ${JSON.stringify(rows.map((r) => r.widths))}`,
		);
		// The example's nine Staircase fields, each one row: Required, target, source, type, and a date
		// format only for the date field (renewalDate).
		expect(rows).toHaveLength(9);
		expect(rows.map((r) => r.widths.length)).toEqual([4, 4, 4, 4, 4, 5, 4, 4, 4]);
		for (const row of rows) expect(Math.max(...row.tops) - Math.min(...row.tops)).toBeLessThan(30);
		const pitch = rows.slice(1).map((r, i) => r.tops[0] - rows[i].tops[0]);
		console.log(
			`Field Mapper: px per field: ${JSON.stringify(pitch)}; first row's input widths in the widened panel: ${JSON.stringify(widened)}`,
		);
		expect(Math.max(...pitch)).toBeLessThan(80);
		const matcher = await openNode('Account Matcher', 'account-matcher.png');
		expect(matcher).toMatch(/Connect the imported rows/);
		expect(matcher).toMatch(/Directory Field to Match On/);
		expect(matcher).toMatch(/Leave Out by Status/);
		const subtitle = await page
			.locator('[data-test-id="canvas-node"][data-node-name="Account Matcher"]')
			.innerText();
		expect(subtitle).toMatch(/Accounts by CRM ID/);
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

	it('adding a field gives one new row, and choosing a date type adds its format to that row', async () => {
		// The marker flow's Field Mapper is in its per-file sub-workflow.
		await openWorkflow(demo.workflows.markerFile, 'marker-file-workflow.png');
		await page.locator('[data-test-id="canvas-node"][data-node-name="Field Mapper"]').dblclick();
		const panel = page.locator('[data-test-id="ndv"]');
		await panel.waitFor({ timeout: 30_000 });
		await panelSettled(panel);
		const rows = panel.locator('[class*="inlineItem"]');
		const inputsOf = async (index: number) =>
			await rows.nth(index).locator('[data-test-id="parameter-item"]').count();
		// The example's six PX fields.
		// n8n renders the list after the panel opens: wait for the rows before counting them.
		expect(await settled(async () => await rows.count(), 6)).toBe(6);
		await panel.getByRole('button', { name: 'Add Field' }).click();
		expect(await settled(async () => await rows.count(), 7)).toBe(7);
		// Required, target, source, type: no date format for a String.
		expect(await inputsOf(6)).toBe(4);
		expect(
			await settled(async () => await rows.nth(6).getByPlaceholder('target field').count(), 1),
		).toBe(1);
		await rows.nth(6).getByPlaceholder('target field').fill('renewedOn');
		await rows
			.nth(6)
			.locator('[data-test-id="parameter-item"]')
			.nth(3)
			.locator('input')
			.first()
			.click();
		await page
			.locator('.el-select-dropdown__item, [role="option"]')
			.filter({ visible: true })
			.getByText('Date', { exact: true })
			.click();
		expect(await settled(async () => await inputsOf(6), 5)).toBe(5);
		expect(await rows.nth(6).getByPlaceholder('default format').count()).toBe(1);
		await page.screenshot({ path: join(ARTIFACTS, 'field-mapper-new-date-field.png') });
	});

	it('nothing of this package logged an error in the browser console', () => {
		const ours = consoleErrors.filter((e) => OURS.test(e));
		expect(ours).toEqual([]);
	});
});
