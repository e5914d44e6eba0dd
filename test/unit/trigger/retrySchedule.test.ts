import { withRetrySchedule } from '../../../lib/trigger/retrySchedule';
import type { PollResult, TriggerState } from '../../../lib/trigger/pollContext';

type Options = Parameters<typeof withRetrySchedule>[0];
const MINUTE = 60_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');

function options(state: TriggerState, o: Partial<Options> = {}): Options & { warnings: string[] } {
	const warnings: string[] = [];
	return {
		storeFor: () => {
			throw new Error('no S3 here');
		},
		intervalMs: 60 * MINUTE,
		manual: false,
		state,
		now: T0,
		read: { csv: { delimiter: ',', encoding: 'utf-8', rowLimit: 10 } },
		warn: (m) => warnings.push(m),
		warnings,
		...o,
	};
}

const fault = (transient: boolean) =>
	Object.assign(new Error(transient ? 'S3 is busy (SlowDown)' : 'Access denied'), { transient });
const ok = async (): Promise<PollResult> => ({ items: [{ a: 1 }] });

/** Runs checks one after another on one state; each outcome as the poll saw it. */
async function checks(
	outcomes: Array<'ok' | 'transient' | 'lasting'>,
	o: Partial<Options> = {},
): Promise<Array<{ poll: string; retryInMin?: number; failures?: number }>> {
	const state: TriggerState = {};
	const seen = [];
	for (const [n, outcome] of outcomes.entries()) {
		const now = T0 + n * MINUTE;
		const opts = options(state, { ...o, now });
		let poll: string;
		try {
			const result = await withRetrySchedule(opts, async () => {
				if (outcome === 'ok') return await ok();
				throw fault(outcome === 'transient');
			});
			poll = result.items.length > 0 ? 'items' : 'quiet';
		} catch {
			poll = 'thrown';
		}
		if (opts.warnings.some((w) => /succeeds again/.test(w))) poll += ', says it recovered';
		if (opts.warnings.some((w) => /already reported/.test(w))) poll += ', already reported';
		seen.push({
			poll,
			...(state.retryAt !== undefined ? { retryInMin: (state.retryAt - now) / MINUTE } : {}),
			...(state.failures !== undefined ? { failures: state.failures } : {}),
		});
	}
	return seen;
}

describe('withRetrySchedule: a passing fault stays quiet until it has failed Report Fault After checks in a row; it is then reported once, and a fault that needs the user at once', () => {
	it.each<[string, Array<'ok' | 'transient' | 'lasting'>, Partial<Options>, string[]]>([
		[
			'a transient fault is reported (thrown: one failed execution) at the 3rd check in a row, by default',
			['transient', 'transient', 'transient', 'transient'],
			{},
			['quiet', 'quiet', 'thrown', 'quiet, already reported'],
		],
		[
			'Report Fault After 1: at its first failure',
			['transient', 'transient'],
			{ reportFaultAfter: 1 },
			['thrown', 'quiet, already reported'],
		],
		[
			'a fault that needs the user (access denied) is reported at its first failure, whatever the setting',
			['lasting', 'lasting'],
			{ reportFaultAfter: 5 },
			['thrown', 'quiet, already reported'],
		],
		[
			'a success ends the fault and says so; the next fault counts from one again',
			['transient', 'transient', 'ok', 'transient', 'transient', 'transient'],
			{},
			['quiet', 'quiet', 'items, says it recovered', 'quiet', 'quiet', 'thrown'],
		],
		[
			'a success after a reported fault: the next fault is reported again',
			['lasting', 'ok', 'lasting'],
			{},
			['thrown', 'items, says it recovered', 'thrown'],
		],
	])('%s', async (_case, outcomes, o, expected) => {
		expect((await checks(outcomes, o)).map((c) => c.poll)).toEqual(expected);
	});
});

describe('withRetrySchedule: version 1 retries after 1, 2, 4… minutes, never later than its interval (and never sooner than a minute); version 2 at the next poll', () => {
	const transient8 = Array<'transient'>(8).fill('transient');
	it.each<[string, Partial<Options>, Array<number | undefined>]>([
		['interval 1 hour', { intervalMs: 60 * MINUTE }, [1, 2, 4, 8, 16, 32, 60, 60]],
		['interval 5 minutes', { intervalMs: 5 * MINUTE }, [1, 2, 4, 5, 5, 5, 5, 5]],
		['interval under a minute', { intervalMs: 10_000 }, [1, 1, 1, 1, 1, 1, 1, 1]],
		['version 2 (every poll checks)', { everyPoll: true }, Array(8).fill(undefined)],
	])('%s', async (_case, o, minutes) => {
		expect(
			(await checks(transient8, { reportFaultAfter: 99, ...o })).map((c) => c.retryInMin),
		).toEqual(minutes);
	});
});

describe('withRetrySchedule: what does not count as a check leaves the fault state alone', () => {
	it.each<[string, Partial<Options>, () => Promise<PollResult>, 'thrown' | 'returned']>([
		[
			'a manual test run throws at once and keeps no state',
			{ manual: true },
			() => Promise.reject(fault(true)),
			'thrown',
		],
		['a manual test run that succeeds does not end the fault', { manual: true }, ok, 'returned'],
		[
			'a check that was not due does not end the fault',
			{},
			async () => ({ items: [], notDue: true }),
			'returned',
		],
	])('%s', async (_case, o, check, how) => {
		const state: TriggerState = { failures: 2, failingSince: T0 - MINUTE, retryAt: T0 + MINUTE };
		const before = { ...state };
		const run = withRetrySchedule(options(state, o), check);
		if (how === 'thrown') await expect(run).rejects.toThrow('S3 is busy');
		else await run;
		expect(state).toEqual(before);
	});
});
