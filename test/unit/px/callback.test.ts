import {
	sendCallback,
	type CallbackRequest,
	type CallbackResponse,
	type CallbackResult,
	type PostJson,
} from '../../../lib/px/callback';

const REQUEST: CallbackRequest = {
	url: 'https://status.example.com/hook',
	body: {
		folder_path: 'px/current/dt=20240101/',
		success: true,
		message: '2 records were uploaded',
	},
	idempotencyKey: 'batch-1',
	timeoutMs: 5_000,
	maxAttempts: 4,
	retryDelayMs: 1_000,
};

/** An answer from the endpoint, or a request that got none. */
type Answer = number | { status: number; retryAfter: string } | 'no answer';

/**
 * Sends the callback through a post function that gives `answers` in turn, on jest's fake clock
 * (no HTTP server: the schedule is the rule here). Returns the waits between attempts and the result.
 */
async function schedule(answers: Answer[], request: Partial<CallbackRequest> = {}) {
	const at: number[] = [];
	const headers: Array<Record<string, string>> = [];
	const post: PostJson = async (r) => {
		at.push(Date.now());
		headers.push(r.headers);
		const answer = answers[Math.min(at.length, answers.length) - 1];
		if (answer === 'no answer')
			throw Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' });
		const response: CallbackResponse =
			typeof answer === 'number'
				? { statusCode: answer, statusMessage: 'Status' }
				: {
						statusCode: answer.status,
						statusMessage: 'Status',
						headers: { 'retry-after': answer.retryAfter },
					};
		return response;
	};
	jest.useFakeTimers({ now: 0 });
	try {
		const sending = sendCallback({ ...REQUEST, ...request }, post);
		await jest.runAllTimersAsync();
		const result: CallbackResult = await sending;
		return { waits: at.slice(1).map((t, i) => t - at[i]), result, headers };
	} finally {
		jest.useRealTimers();
	}
}

describe('sendCallback: 2xx is delivered; no answer, 408, 429 and 5xx are retried after 1, 2, 4… s (at most 30 s, Retry-After honoured up to that); other answers are not retried', () => {
	it.each<[string, Answer[], Partial<CallbackRequest>, number[], CallbackResult]>([
		['delivered at once', [200], {}, [], { delivered: true, attempts: 1, status: 200 }],
		['any 2xx is delivery', [204], {}, [], { delivered: true, attempts: 1, status: 204 }],
		[
			'a 5xx, then delivered',
			[503, 200],
			{},
			[1_000],
			{ delivered: true, attempts: 2, status: 200 },
		],
		[
			'no answer, 408, 429: retried as a 5xx is',
			['no answer', 408, 429, 200],
			{},
			[1_000, 2_000, 4_000],
			{ delivered: true, attempts: 4, status: 200 },
		],
		[
			'the waits double up to 30 s',
			[500],
			{ maxAttempts: 8 },
			[1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000],
			{ delivered: false, attempts: 8, status: 500, error: 'the endpoint answered 500 Status' },
		],
		[
			'Retry-After in seconds is honoured',
			[{ status: 429, retryAfter: '7' }, 200],
			{},
			[7_000],
			{ delivered: true, attempts: 2, status: 200 },
		],
		[
			'Retry-After longer than 30 s waits 30 s',
			[{ status: 503, retryAfter: '3600' }, 200],
			{},
			[30_000],
			{ delivered: true, attempts: 2, status: 200 },
		],
		[
			'a Retry-After that is not a number of seconds is ignored',
			[{ status: 503, retryAfter: 'Wed, 21 Oct 2015 07:28:00 GMT' }, 200],
			{},
			[1_000],
			{ delivered: true, attempts: 2, status: 200 },
		],
		[
			'a 4xx other than 408 and 429 is not retried in this run',
			[401, 200],
			{},
			[],
			{ delivered: false, attempts: 1, status: 401, error: 'the endpoint answered 401 Status' },
		],
		[
			'a redirect is not delivery, and not retried',
			[302],
			{},
			[],
			{ delivered: false, attempts: 1, status: 302, error: 'the endpoint answered 302 Status' },
		],
		[
			'Max Attempts bounds the tries; after the last, no wait',
			['no answer'],
			{ maxAttempts: 3 },
			[1_000, 2_000],
			{ delivered: false, attempts: 3, error: 'could not reach the endpoint: ECONNREFUSED' },
		],
		[
			'Max Attempts 0 still tries once',
			[500],
			{ maxAttempts: 0 },
			[],
			{ delivered: false, attempts: 1, status: 500, error: 'the endpoint answered 500 Status' },
		],
	])('%s', async (_case, answers, request, waits, result) => {
		const sent = await schedule(answers, request);
		expect([sent.waits, sent.result]).toEqual([waits, result]);
	});

	it('every attempt carries the same idempotency key, so the receiver can drop repeats', async () => {
		const { headers } = await schedule([500, 'no answer', 200]);
		expect(headers).toEqual(
			Array(3).fill({ 'content-type': 'application/json', 'idempotency-key': 'batch-1' }),
		);
	});
});
