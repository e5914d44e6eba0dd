import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

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

/** Markdown without its fenced code blocks and inline code, where `#` and `[x](y)` are text. */
function proseOf(markdown: string): string {
	return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/**
 * The anchors GitHub gives a markdown file's headings: the heading's text, lower-cased, without
 * punctuation (hyphens and underscores stay), spaces to hyphens; a repeated one gets -1, -2...
 */
function anchorsOf(markdown: string): Set<string> {
	const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
	const seen = new Map<string, number>();
	const anchors = new Set<string>();
	for (const [, heading] of withoutFences.matchAll(/^#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$/gm)) {
		const text = heading
			.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link shows its text
			.replace(/`/g, '');
		const base = text
			.trim()
			.toLowerCase()
			.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
			.replace(/ /g, '-');
		const count = seen.get(base) ?? 0;
		seen.set(base, count + 1);
		anchors.add(count === 0 ? base : `${base}-${count}`);
	}
	return anchors;
}

/** The README, CONTRIBUTING.md and every markdown file under docs/. */
function documentationFiles(): string[] {
	const underDocs = (dir: string): string[] =>
		readdirSync(dir).flatMap((name) => {
			const path = join(dir, name);
			if (statSync(path).isDirectory()) return underDocs(path);
			return path.endsWith('.md') ? [path] : [];
		});
	return [join(root, 'README.md'), join(root, 'CONTRIBUTING.md'), ...underDocs(join(root, 'docs'))];
}

/** Every link or image in a markdown file's prose: its target as written. */
function linksOf(markdown: string): string[] {
	return [
		...proseOf(markdown).matchAll(
			/!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g,
		),
	].map((m) => m[1]);
}

/** Why a relative link does not resolve, or undefined when it does (links to other sites are not checked). */
function brokenLink(from: string, target: string): string | undefined {
	if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined;
	const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
	const file = pathPart === '' ? from : resolve(dirname(from), decodeURIComponent(pathPart));
	if (relative(root, file).split(sep)[0] === '..') return 'points outside the repository';
	if (!existsSync(file)) return 'no such file';
	if (anchor === undefined) return undefined;
	if (!file.endsWith('.md')) return 'an anchor into a file that is not markdown';
	return anchorsOf(readFileSync(file, 'utf8')).has(decodeURIComponent(anchor))
		? undefined
		: 'no such heading';
}

describe('the documentation', () => {
	it('links each node and credential to a section of the README that exists', () => {
		const anchors = anchorsOf(readFileSync(join(root, 'README.md'), 'utf8'));
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

	it('has no broken relative link in the README, CONTRIBUTING.md or docs/: every file and heading linked exists', () => {
		const files = documentationFiles();
		expect(files.length).toBeGreaterThan(2);
		const broken = files.flatMap((file) =>
			linksOf(readFileSync(file, 'utf8'))
				.map((target) => ({ target, why: brokenLink(file, target) }))
				.filter(({ why }) => why !== undefined)
				.map(({ target, why }) => `${relative(root, file)}: ${target}: ${why}`),
		);
		expect(broken).toEqual([]);
	});

	it('reads anchors and links as GitHub does (the checker itself)', () => {
		const anchors = anchorsOf(
			[
				'# Queue mode and scale',
				'## The `_import` contract',
				'### S3 CSV Inbound Trigger 2 → 3 (Poll Times)',
				'```bash',
				'# a comment, not a heading',
				'```',
				'## Usage',
				'## Usage',
			].join('\n'),
		);
		expect([...anchors]).toEqual([
			'queue-mode-and-scale',
			'the-_import-contract',
			's3-csv-inbound-trigger-2--3-poll-times',
			'usage',
			'usage-1',
		]);
		expect(
			linksOf('[a](docs/iam.md#kms) ![b](x.png "t") `[c](not-a-link)` [d](https://n8n.io)'),
		).toEqual(['docs/iam.md#kms', 'x.png', 'https://n8n.io']);
		const readme = join(root, 'README.md');
		expect(brokenLink(readme, 'docs/iam.md')).toBeUndefined();
		expect(brokenLink(readme, 'docs/no-such-page.md')).toBe('no such file');
		expect(brokenLink(readme, '#credentials')).toBeUndefined();
		expect(brokenLink(readme, '#no-such-heading')).toBe('no such heading');
		expect(brokenLink(readme, '../outside.md')).toBe('points outside the repository');
	});
});
