/** How a failed check is retried, and how a lasting fault is reported: once, as one failed execution. */

import type { PollContext, PollResult } from './pollContext';
import { failedCheckRetryAt } from './v1Schedule';

/**
 * Runs a check. Version 2 checks at every poll, so a failed check is retried at the next poll;
 * version 1 retries after 1, 2, 4... minutes, never later than its interval, so a passing fault is
 * retried soon and a lasting one is not hammered.
 *
 * Passing faults stay quiet: a failed check is logged and the poll returns nothing, until
 * `reportFaultAfter` checks in a row have failed (a fault that needs the user is reported at its
 * first failure). Then the fault is thrown once (n8n records one
 * failed execution and runs the error workflow), naming the cause, since when, and the next try;
 * later failures of the same fault are logged only, until a check succeeds. (Under n8n's default
 * poll persistence a thrown poll's state is kept in memory, so "reported" holds; with the opt-in
 * durable poll cursors n8n discards a thrown poll's state and backs off by itself, so a lasting
 * fault is reported at each of n8n's backoff retries instead of once.)
 */
export async function withRetrySchedule(
	context: PollContext,
	check: () => Promise<PollResult>,
): Promise<PollResult> {
	if (context.manual) return await check();
	const { state } = context;
	try {
		const result = await check();
		if (result.notDue) return result;
		if (state.failures)
			context.warn(
				`The check succeeds again after ${state.failures === 1 ? '1 failed check' : `${state.failures} failed checks`}.`,
			);
		delete state.failures;
		delete state.failingSince;
		delete state.retryAt;
		delete state.faultReported;
		return result;
	} catch (error) {
		const failures = (state.failures ?? 0) + 1;
		state.failures = failures;
		state.failingSince ??= context.now;
		// Version 2 retries at the next poll (n8n's Poll Times); version 1 after 1, 2, 4... minutes.
		if (!context.everyPoll) state.retryAt = failedCheckRetryAt(context, failures);
		const e = error as Error & { hint?: string };
		const since = new Date(state.failingSince).toISOString();
		const next =
			state.retryAt === undefined
				? 'at the next poll'
				: `at ${new Date(state.retryAt).toISOString()}`;
		// A passing fault (network, throttling, 5xx, an expiring session) may clear by itself; one
		// that needs the user (no such bucket, access denied, a wrong key) is reported at once.
		const transient = (error as { transient?: unknown }).transient === true;
		const reportAfter = transient ? Math.max(1, context.reportFaultAfter ?? 3) : 1;
		if (state.faultReported || failures < reportAfter) {
			context.warn(
				`Check failed (${failures} in a row, since ${since}); next try ${next}${state.faultReported ? ' (already reported)' : `; reported as a failed execution if it still fails at check ${reportAfter}`}: ${e.message}`,
			);
			return { items: [] };
		}
		state.faultReported = true;
		e.hint = `${e.hint ? `${e.hint} ` : ''}Failing since ${since} (${failures} checks in a row). The trigger keeps trying (next ${next}) and reports this fault once; imports resume by themselves when it clears.`;
		throw e;
	}
}
