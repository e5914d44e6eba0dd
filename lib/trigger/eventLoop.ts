import type { QueueMessage } from '../sqs/queue';
import { parseEventMessage, type NotifiedObject } from './events';

/**
 * The event trigger's loop, for as long as the workflow is active:
 * - long-polls the queue (up to 20 s per request, 10 messages at a time);
 * - reads each message into the objects it names (`s3:TestEvent` and other event kinds name none);
 * - hands on what concerns the trigger's mode (the caller's `onObjects`, which claims and emits);
 * - deletes the messages only after that succeeded: a failure leaves them in the queue, and SQS
 *   hands them out again once their visibility timeout has passed;
 * - lists the whole folder at the start and every `fallbackMs` (the caller's `onListing`), so an
 *   event that never came (a queue purged, a notification misconfigured) costs minutes, not data;
 *   with a backlog left (beyond Max Files per Run) it lists again a few seconds later.
 * Handing on and listing never overlap: one runs after the other.
 */

export interface EventLoopOptions {
	queue: {
		receive(
			waitSeconds: number,
			visibilitySeconds: number,
			signal?: AbortSignal,
		): Promise<QueueMessage[]>;
		delete(messages: QueueMessage[]): Promise<string[]>;
	};
	/** Hands on what the objects name; may throw (nothing is deleted then). */
	onObjects(objects: NotifiedObject[]): Promise<{ backlog?: boolean }>;
	/** The mode's full check (a listing, or a HEAD of the single file); throws only a fault to report. */
	onListing(): Promise<{ backlog?: boolean }>;
	fallbackMs: number;
	waitSeconds?: number;
	visibilitySeconds?: number;
	/** How soon to list again after a listing left a backlog. */
	backlogPauseMs?: number;
	/** A fault is reported (one failed execution) at this many failures in a row; one that needs the user at once. */
	reportFaultAfter?: number;
	warn(message: string): void;
	debug?(message: string): void;
	/** Records one failed execution (n8n's saveFailedExecution): the error workflow runs. */
	report(error: Error): void;
}

export interface EventLoop {
	/** Stops receiving and listing; resolves once what was running has finished. */
	stop(): Promise<void>;
	/** Resolves when the loop has handled what it received and is waiting again (for tests). */
	idle(): Promise<void>;
}

const MAX_BACKOFF_MS = 60_000;

export function startEventLoop(o: EventLoopOptions): EventLoop {
	const waitSeconds = o.waitSeconds ?? 20;
	const visibilitySeconds = o.visibilitySeconds ?? 300;
	const stopping = new AbortController();
	let stopped = false;
	let chain: Promise<unknown> = Promise.resolve();
	/** One at a time: handing on from events and listing never overlap. */
	const serial = <T>(work: () => Promise<T>): Promise<T> => {
		const next = chain.then(work, work);
		chain = next.catch(() => undefined);
		return next;
	};

	let failures = 0;
	let reported = false;
	const failed = (error: Error & { transient?: boolean; hint?: string }, what: string) => {
		failures++;
		const reportAt = error.transient === true ? Math.max(1, o.reportFaultAfter ?? 3) : 1;
		if (!reported && failures >= reportAt) {
			reported = true;
			error.hint = `${error.hint ? `${error.hint} ` : ''}${failures === 1 ? 'It failed once' : `It failed ${failures} times in a row`}; the trigger keeps trying and reports this fault once. Messages not handled stay in the queue.`;
			o.report(error);
		} else
			o.warn(
				`${what} failed (${failures} in a row${reported ? ', already reported' : ''}): ${error.message}`,
			);
	};
	const succeeded = () => {
		if (failures > 0) o.warn(`The queue works again after ${failures} failure(s).`);
		failures = 0;
		reported = false;
	};
	const pause = (ms: number) =>
		new Promise<void>((resolve) => {
			const timer = setTimeout(resolve, ms);
			stopping.signal.addEventListener('abort', () => {
				clearTimeout(timer);
				resolve();
			});
		});

	// The fallback listing: at once, then every fallbackMs (sooner while a backlog is left).
	let listingTimer: NodeJS.Timeout | undefined;
	const scheduleListing = (delayMs: number) => {
		if (stopped) return;
		if (listingTimer) clearTimeout(listingTimer);
		listingTimer = setTimeout(() => {
			listingTimer = undefined;
			void serial(async () => {
				if (stopped) return;
				let backlog = false;
				try {
					backlog = (await o.onListing()).backlog === true;
				} catch (error) {
					o.report(error as Error);
				}
				scheduleListing(backlog ? (o.backlogPauseMs ?? 5000) : o.fallbackMs);
			});
		}, delayMs);
	};
	scheduleListing(0);

	let idleWaiters: Array<() => void> = [];
	const handle = async (messages: QueueMessage[]) => {
		const objects: NotifiedObject[] = [];
		for (const message of messages) {
			const parsed = parseEventMessage(message.body);
			if (parsed.kind === 'objects') objects.push(...parsed.objects);
			else if (parsed.kind === 'unknown')
				o.warn(
					`Message ${message.id} in the queue is not an S3 event notification (${parsed.reason}); it is deleted. Send only this bucket's notifications to the queue.`,
				);
			else o.debug?.(`s3:TestEvent ${message.id} ignored`);
		}
		let backlog = false;
		if (objects.length > 0) backlog = (await serial(() => o.onObjects(objects))).backlog === true;
		const notDeleted = await o.queue.delete(messages);
		if (notDeleted.length > 0)
			o.warn(
				`SQS did not delete ${notDeleted.length} message(s) (${notDeleted.join(', ')}); they come back and are recognised as handed on.`,
			);
		if (backlog) scheduleListing(o.backlogPauseMs ?? 5000);
	};

	const loop = (async () => {
		while (!stopped) {
			try {
				const signal = AbortSignal.any([
					stopping.signal,
					AbortSignal.timeout((waitSeconds + 15) * 1000),
				]);
				const messages = await o.queue.receive(waitSeconds, visibilitySeconds, signal);
				if (stopped) break;
				if (messages.length > 0) await handle(messages);
				succeeded();
			} catch (error) {
				if (stopped) break;
				failed(error as Error, 'Receiving or handing on S3 events');
				await pause(Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(6, failures - 1)));
			}
			const waiters = idleWaiters;
			idleWaiters = [];
			waiters.forEach((w) => w());
		}
	})();

	return {
		stop: async () => {
			stopped = true;
			stopping.abort();
			if (listingTimer) clearTimeout(listingTimer);
			idleWaiters.forEach((w) => w());
			await loop;
			await chain;
		},
		idle: () => new Promise<void>((resolve) => idleWaiters.push(resolve)),
	};
}
