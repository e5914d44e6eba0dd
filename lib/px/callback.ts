/**
 * The status callback of reference 001: a POST of {folder_path, success, message} with the
 * customer's API key in x-api-key. The one place that talks to the callback endpoint.
 */
export interface CallbackBody {
	folder_path: string;
	success: boolean;
	message: string;
}

export interface CallbackRequest {
	url: string;
	apiKey?: string;
	body: CallbackBody;
	/** The same for every delivery of the same batch, so the receiver can drop repeats. */
	idempotencyKey: string;
	timeoutMs: number;
	maxAttempts: number;
	/** First retry delay; doubled each time, at most 30 s. */
	retryDelayMs: number;
}

export interface CallbackResult {
	delivered: boolean;
	attempts: number;
	status?: number;
	error?: string;
}

/** The system error code (ECONNREFUSED, ENOTFOUND...) somewhere in a fetch error's causes. */
function networkCode(error: unknown, depth = 0): string | undefined {
	if (!error || typeof error !== 'object' || depth > 5) return undefined;
	const e = error as { code?: unknown; cause?: unknown; errors?: unknown[] };
	if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
	for (const inner of [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
		const code = networkCode(inner, depth + 1);
		if (code) return code;
	}
	return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function retryable(status: number): boolean {
	// 408 Request Timeout and 429 Too Many Requests say "try again later", as 5xx do.
	return status === 408 || status === 429 || status >= 500;
}

/**
 * Sends the callback. A 2xx answer is success; network errors, timeouts, 408, 429 and 5xx are retried
 * with bounded backoff (honouring Retry-After up to the cap); other answers are not retried.
 * Never throws: the result says what happened, without the API key.
 */
export async function sendCallback(request: CallbackRequest): Promise<CallbackResult> {
	const payload = JSON.stringify(request.body);
	let attempts = 0;
	let last: CallbackResult = { delivered: false, attempts: 0 };
	while (attempts < Math.max(1, request.maxAttempts)) {
		attempts++;
		let wait = Math.min(30_000, request.retryDelayMs * 2 ** (attempts - 1));
		try {
			const response = await fetch(request.url, {
				method: 'POST',
				headers: {
					'content-type': 'application/json',
					'idempotency-key': request.idempotencyKey,
					...(request.apiKey ? { 'x-api-key': request.apiKey } : {}),
				},
				body: payload,
				signal: AbortSignal.timeout(request.timeoutMs),
			});
			await response.arrayBuffer().catch(() => undefined);
			if (response.ok) return { delivered: true, attempts, status: response.status };
			last = { delivered: false, attempts, status: response.status, error: `the endpoint answered ${response.status} ${response.statusText}`.trim() };
			if (!retryable(response.status)) return last;
			const retryAfter = Number(response.headers.get('retry-after'));
			if (Number.isFinite(retryAfter) && retryAfter > 0) wait = Math.min(30_000, retryAfter * 1000);
		} catch (error) {
			const e = error as Error;
			const reason = e.name === 'TimeoutError' ? `no answer within ${request.timeoutMs} ms` : (networkCode(e) ?? e.message);
			last = { delivered: false, attempts, error: `could not reach the endpoint: ${reason}` };
		}
		if (attempts < request.maxAttempts) await sleep(wait);
	}
	return last;
}
