import type { PollContext, TriggerState } from '../../../lib/trigger/pollContext';
import { checkDue } from '../../../lib/trigger/v1Schedule';

const MINUTE = 60_000;
const T0 = Date.parse('2024-01-01T12:00:00Z');

function context(state: TriggerState, intervalMs: number, everyPoll = false): PollContext {
	return {
		storeFor: () => {
			throw new Error('no S3 here');
		},
		intervalMs,
		everyPoll,
		manual: false,
		state,
		now: T0,
		read: { csv: { delimiter: ',', encoding: 'utf-8', rowLimit: 10 } },
		warn: () => {},
	};
}

describe('checkDue: version 1 checks once Check Every has passed (30 s early counts), or once a failed check’s retry time has come; version 2 at every poll', () => {
	it.each<[string, TriggerState, number, boolean, boolean]>([
		['version 2: every poll, whatever the last check', { lastCheck: T0 }, 60 * MINUTE, true, true],
		['never checked', {}, 60 * MINUTE, false, true],
		['Check Every 0: every poll', { lastCheck: T0 - 1000 }, 0, false, true],
		[
			'checked 59 minutes ago, every hour',
			{ lastCheck: T0 - 59 * MINUTE },
			60 * MINUTE,
			false,
			false,
		],
		[
			'checked 59.5 minutes ago: the poll came early',
			{ lastCheck: T0 - 59.5 * MINUTE },
			60 * MINUTE,
			false,
			true,
		],
		['checked an hour ago', { lastCheck: T0 - 60 * MINUTE }, 60 * MINUTE, false, true],
		[
			'a failed check: not before its retry time, though the interval has passed',
			{ lastCheck: T0 - 2 * 60 * MINUTE, retryAt: T0 + MINUTE },
			60 * MINUTE,
			false,
			false,
		],
		[
			'a failed check: at its retry time, though the interval has not passed',
			{ lastCheck: T0 - MINUTE, retryAt: T0 },
			60 * MINUTE,
			false,
			true,
		],
	])('%s', (_case, state, intervalMs, everyPoll, due) => {
		expect(checkDue(context(state, intervalMs, everyPoll))).toBe(due);
	});
});
