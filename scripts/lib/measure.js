// @ts-check
/** Timing and memory helpers for the benchmark. */
const { readdirSync, readFileSync } = require('node:fs');

/** RSS in bytes of a process and all its descendants (Linux /proc). @param {number} rootPid */
function treeRss(rootPid) {
	/** @type {Map<number, number[]>} */
	const children = new Map();
	/** @type {Map<number, number>} */
	const rss = new Map();
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
			const pid = Number(entry);
			if (!children.has(ppid)) children.set(ppid, []);
			children.get(ppid)?.push(pid);
			const status = readFileSync(`/proc/${entry}/status`, 'utf8');
			const m = /VmRSS:\s+(\d+) kB/.exec(status);
			rss.set(pid, m ? Number(m[1]) * 1024 : 0);
		} catch {
			// the process ended meanwhile
		}
	}
	let total = 0;
	const stack = [rootPid];
	while (stack.length) {
		const pid = /** @type {number} */ (stack.pop());
		total += rss.get(pid) ?? 0;
		stack.push(...(children.get(pid) ?? []));
	}
	return total;
}

/** Samples a process tree's RSS every `everyMs` until stopped; returns the peak. @param {number} pid */
function peakSampler(pid, everyMs = 100) {
	let peak = treeRss(pid);
	const timer = setInterval(() => {
		peak = Math.max(peak, treeRss(pid));
	}, everyMs);
	return {
		stop: () => {
			clearInterval(timer);
			return Math.max(peak, treeRss(pid));
		},
	};
}

/** This process's own peak RSS while `fn` runs. @template T @param {() => Promise<T>} fn */
async function withOwnPeak(fn) {
	global.gc?.();
	const before = process.memoryUsage().rss;
	let peak = before;
	const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
	const started = process.hrtime.bigint();
	const result = await fn();
	const ms = Number(process.hrtime.bigint() - started) / 1e6;
	clearInterval(timer);
	peak = Math.max(peak, process.memoryUsage().rss);
	return { result, ms, peakDelta: peak - before, peak };
}

/** @param {number[]} values */
const median = (values) => {
	const s = [...values].sort((a, b) => a - b);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const mb = (/** @type {number} */ bytes) => Math.round(bytes / 1024 / 1024);

module.exports = { treeRss, peakSampler, withOwnPeak, median, mb };
