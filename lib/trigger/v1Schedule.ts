/**
 * Version 1's own import schedule ("Check Every"), apart from n8n's Poll Times: a check is due once
 * the interval has passed, at the first poll after activation, and after a failed check sooner than
 * the interval (1, 2, 4... minutes). Version 2 has none of it: n8n's Poll Times are the one schedule,
 * every poll checks, and a failed check is retried at the next poll.
 */

import { types } from 'node:util';

import { SCHEDULE_SLACK_MS, type PollContext } from './pollContext';

/** The trigger states (n8n's in-memory static data objects) this process has polled with. */
const polledStates = new WeakSet<object>();

/**
 * Whether this is the first poll since n8n activated the workflow (published it, re-published it
 * with a changed trigger, or started): then the trigger checks at once, whatever its schedule.
 * Under n8n's default poll persistence the node's static data is an observable object that n8n
 * builds once per activation and keeps between polls, so a new one means a new activation. With
 * n8n's durable poll cursors every poll gets a plain copy instead; there is no activation to tell,
 * and the schedule alone decides.
 */
export function firstPollOfActivation(state: object): boolean {
	if (!types.isProxy(state) || polledStates.has(state)) return false;
	polledStates.add(state);
	return true;
}

/**
 * Whether the scheduled check is due: at every poll in version 2; in version 1 once Check Every
 * has passed since the last check, or, after a failed check, once its retry time has come.
 */
export function checkDue(context: PollContext): boolean {
	const { state, now, intervalMs, everyPoll } = context;
	if (everyPoll) return true;
	if (state.retryAt !== undefined) return now >= state.retryAt;
	return (
		intervalMs <= 0 ||
		state.lastCheck === undefined ||
		now - state.lastCheck >= intervalMs - SCHEDULE_SLACK_MS
	);
}

/**
 * When version 1 tries again after `failures` failed checks in a row: after 1, 2, 4... minutes,
 * never later than its interval (nor sooner than a minute), so a passing fault is retried soon and
 * a lasting one is not hammered.
 */
export function failedCheckRetryAt(context: PollContext, failures: number): number {
	return context.now + Math.min(Math.max(context.intervalMs, 60_000), 60_000 * 2 ** (failures - 1));
}
