// @ts-check
/**
 * A real local HTTP server standing in for the customer's systems: it serves an account
 * directory (GET /directory), receives destination rows (POST /rows) and status callbacks
 * (POST /callback, or any other POST), and answers as scripted.
 */
const { createServer } = require('node:http');

/**
 * @typedef {{ method: string, url: string, headers: import('node:http').IncomingHttpHeaders, body: string }} ReceivedRequest
 * @typedef {{
 *   url: string,
 *   callbackUrl: string,
 *   requests: ReceivedRequest[],
 *   rows: unknown[],
 *   callbacks: ReceivedRequest[],
 *   answers: number[],
 *   delayMs: number,
 *   directory: unknown[],
 *   apiKey?: string,
 *   onEvent?: (kind: 'row' | 'callback', request: ReceivedRequest) => void,
 *   close(): Promise<void>,
 * }} Receiver
 */

/**
 * @param {{ answers?: number[], directory?: unknown[], apiKey?: string }} [options]
 * @returns {Promise<Receiver>}
 */
async function startReceiver(options = {}) {
	/** @type {ReceivedRequest[]} */
	const requests = [];
	/** @type {ReceivedRequest[]} */
	const callbacks = [];
	/** @type {unknown[]} */
	const rows = [];
	/** @type {Receiver} */
	const receiver = {
		url: '',
		callbackUrl: '',
		requests,
		rows,
		callbacks,
		answers: options.answers ?? [200],
		delayMs: 0,
		directory: options.directory ?? [],
		apiKey: options.apiKey,
		close: async () => {},
	};
	const server = createServer((req, res) => {
		/** @type {Buffer[]} */
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			/** @type {ReceivedRequest} */
			const request = {
				method: req.method ?? '',
				url: req.url ?? '',
				headers: req.headers,
				body: Buffer.concat(chunks).toString('utf8'),
			};
			requests.push(request);
			if (request.method === 'GET' && request.url.startsWith('/directory')) {
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end(JSON.stringify(receiver.directory));
				return;
			}
			if (request.method === 'POST' && request.url.startsWith('/rows')) {
				try {
					const parsed = JSON.parse(request.body);
					for (const row of Array.isArray(parsed) ? parsed : [parsed]) rows.push(row);
				} catch {
					rows.push(request.body);
				}
				receiver.onEvent?.('row', request);
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ ok: true }));
				return;
			}
			// With an API key set, the endpoint refuses requests without it, as an API gateway would.
			const refused =
				receiver.apiKey !== undefined && request.headers['x-api-key'] !== receiver.apiKey;
			if (request.method !== 'POST') {
				// A credential test's HEAD (or any other probe) is not a callback.
				res.writeHead(refused ? 401 : 200);
				res.end();
				return;
			}
			if (refused) {
				res.writeHead(401, { 'content-type': 'text/plain' });
				res.end('x-api-key missing or wrong');
				return;
			}
			callbacks.push(request);
			const index = Math.min(callbacks.length - 1, receiver.answers.length - 1);
			const status = receiver.answers[index] ?? 200;
			setTimeout(() => {
				receiver.onEvent?.('callback', request);
				res.writeHead(status, { 'content-type': 'text/plain' });
				res.end(status < 300 ? 'ok' : 'no');
			}, receiver.delayMs);
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : 0;
	receiver.url = `http://127.0.0.1:${port}`;
	receiver.callbackUrl = `${receiver.url}/prd/data-export`;
	receiver.close = async () => {
		server.closeAllConnections();
		await new Promise((resolve) => server.close(() => resolve(undefined)));
	};
	return receiver;
}

module.exports = { startReceiver };
