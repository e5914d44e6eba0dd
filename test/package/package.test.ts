import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';

import { PackageDirectoryLoader, scanDirectoryForPackages } from 'n8n-core';

import { captureLogs } from '../helpers/engine';

const root = resolve(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
	name: string;
	n8n: { nodes: string[]; credentials: string[] };
	keywords: string[];
	main?: string;
};

describe('the built package, loaded the way n8n loads community packages', () => {
	beforeAll(() => {
		execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'pipe' });
	}, 180_000);

	it('declares itself as a community node package', () => {
		expect(pkg.keywords).toContain('n8n-community-node-package');
		for (const file of [...pkg.n8n.nodes, ...pkg.n8n.credentials])
			expect(existsSync(join(root, file))).toBe(true);
		// n8n reads the "n8n" block, not "main"; a "main" naming a missing file misleads tools.
		if (pkg.main !== undefined) expect(existsSync(join(root, pkg.main))).toBe(true);
	});

	it('links its documentation to sections of the README that exist', () => {
		// GitHub's heading anchors: lower-case, punctuation dropped, spaces to hyphens.
		const readme = readFileSync(join(root, 'README.md'), 'utf8');
		const anchors = new Set(
			[...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
				m[1]
					.trim()
					.toLowerCase()
					.replace(/[^\p{L}\p{N} -]/gu, '')
					.replace(/ /g, '-'),
			),
		);
		const sources = [
			...pkg.n8n.nodes.map((f: string) => f.replace(/\.js$/, '.json').replace(/^dist\//, '')),
			...pkg.n8n.credentials.map((f: string) => f.replace(/\.js$/, '.ts').replace(/^dist\//, '')),
		];
		const links = sources.flatMap((file) =>
			[...readFileSync(join(root, file), 'utf8').matchAll(/n8n-nodes-s3-inbound#([\w-]+)/g)].map(
				(m) => [file, m[1]],
			),
		);
		expect(links.length).toBeGreaterThanOrEqual(sources.length);
		expect(links.filter(([, anchor]) => !anchors.has(anchor))).toEqual([]);
	});

	it('loads every node and credential with its icons, without error or warning', async () => {
		const { result: loader, logs } = await captureLogs(async () => {
			const l = new PackageDirectoryLoader(root);
			await l.loadAll();
			return l;
		});
		expect(logs.filter((l) => /^(warn|error)/.test(l))).toEqual([]);
		expect(loader.packageName).toBe(pkg.name);
		expect(loader.types.nodes.map((n) => n.name).sort()).toEqual([
			'accountMatcher',
			'fieldMapper',
			'pxStatusWriter',
			's3CsvInboundEventTrigger',
			's3CsvInboundTrigger',
		]);
		expect(Object.keys(loader.known.nodes).sort()).toEqual([
			'accountMatcher',
			'fieldMapper',
			'pxStatusWriter',
			's3CsvInboundEventTrigger',
			's3CsvInboundTrigger',
		]);
		expect(loader.types.credentials.map((c) => c.name).sort()).toEqual([
			'importStatusCallbackApi',
			's3InboundAwsApi',
		]);
		const iconFiles = [...loader.types.nodes, ...loader.types.credentials].flatMap((t) => {
			const icon = (t as { iconUrl?: string | { light: string; dark: string } }).iconUrl;
			expect(icon).toBeDefined();
			return typeof icon === 'string' ? [icon] : [icon!.light, icon!.dark];
		});
		expect(iconFiles).toHaveLength(14);
		for (const url of iconFiles) {
			const file = url.replace(/^icons\/[^/]+\//, '');
			expect(existsSync(join(root, file))).toBe(true);
		}
		// Polling triggers get n8n's Poll Times parameter from the loader.
		const trigger = loader.types.nodes.find((n) => n.name.endsWith('s3CsvInboundTrigger'));
		expect(trigger?.properties.some((p) => p.name === 'pollTimes')).toBe(true);
		// Codex files are read: categories show in the nodes panel.
		expect(trigger?.codex?.categories).toEqual(['Data & Storage']);
	});

	it('is found and loaded from ~/.n8n/nodes/node_modules, as n8n finds installed community packages', async () => {
		const nodeModules = join(mkdtempSync(join(tmpdir(), 'n8n-nodes-')), 'node_modules');
		mkdirSync(nodeModules);
		symlinkSync(root, join(nodeModules, pkg.name), 'dir');
		const { result: loaders, logs } = await captureLogs(
			async () => await scanDirectoryForPackages(nodeModules),
		);
		expect(logs.filter((l) => /^(warn|error)/.test(l))).toEqual([]);
		expect(loaders.map((l) => l.packageName)).toEqual([pkg.name]);
		await loaders[0].loadAll();
		expect(Object.keys(loaders[0].known.nodes).sort()).toEqual([
			'accountMatcher',
			'fieldMapper',
			'pxStatusWriter',
			's3CsvInboundEventTrigger',
			's3CsvInboundTrigger',
		]);
		expect(Object.keys(loaders[0].known.credentials).sort()).toEqual([
			'importStatusCallbackApi',
			's3InboundAwsApi',
		]);
	});
});
