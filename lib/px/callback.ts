/**
 * The status callback of reference 001: a POST of {folder_path, success, message} with the
 * customer's API key in x-api-key. The one place that talks to the callback endpoint.
 */
export interface CallbackBody {
	folder_path: string;
	success: boolean;
	message: string;
}

/** The HTTP answer the sender needs; whatever sends the request (n8n's request helpers) gives it. */
export interface CallbackResponse {
	statusCode: number;
	statusMessage?: string;
	headers?: Record<string, unknown>;
}

/**
 * Sends one POST of a JSON body, adding the credential's authentication (the x-api-key header);
 * resolves with any HTTP answer, rejects on network errors and timeouts. In the nodes this is
 * n8n's `httpRequestWithAuthentication` with the Import Status Callback API credential.
 */
export type PostJson = (request: {
	url: string;
	body: CallbackBody;
	headers: Record<string, string>;
	timeoutMs: number;
}) => Promise<CallbackResponse>;

export interface CallbackRequest {
	url: string;
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
 * Sends the callback through `post`. A 2xx answer is success; network errors, timeouts, 408, 429
 * and 5xx are retried with bounded backoff (honouring Retry-After up to the cap); other answers are
 * not retried in this run. Never throws: the result says what happened, without the API key.
 */
export async function sendCallback(
	request: CallbackRequest,
	post: PostJson,
): Promise<CallbackResult> {
	let attempts = 0;
	let last: CallbackResult = { delivered: false, attempts: 0 };
	while (attempts < Math.max(1, request.maxAttempts)) {
		attempts++;
		let wait = Math.min(30_000, request.retryDelayMs * 2 ** (attempts - 1));
		try {
			const response = await post({
				url: request.url,
				body: request.body,
				headers: { 'content-type': 'application/json', 'idempotency-key': request.idempotencyKey },
				timeoutMs: request.timeoutMs,
			});
			const status = response.statusCode;
			if (status >= 200 && status < 300) return { delivered: true, attempts, status };
			last = {
				delivered: false,
				attempts,
				status,
				error: `the endpoint answered ${status} ${response.statusMessage ?? ''}`.trim(),
			};
			if (!retryable(status)) return last;
			const retryAfter = Number(response.headers?.['retry-after']);
			if (Number.isFinite(retryAfter) && retryAfter > 0) wait = Math.min(30_000, retryAfter * 1000);
		} catch (error) {
			last = {
				delivered: false,
				attempts,
				error: `could not reach the endpoint: ${unreachableReason(error, request.timeoutMs)}`,
			};
		}
		if (attempts < request.maxAttempts) await sleep(wait);
	}
	return last;
}

/** Why a request got no HTTP answer: a timeout, or the system error code, never the request itself. */
export function unreachableReason(error: unknown, timeoutMs: number): string {
	const code = networkCode(error);
	const text = `${(error as Error)?.message ?? ''} ${code ?? ''}`;
	if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout|TimeoutError/i.test(text))
		return `no answer within ${timeoutMs} ms`;
	return code ?? (error as Error)?.message ?? String(error);
}
