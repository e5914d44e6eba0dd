/**
 * A real HTTP proxy on 127.0.0.1 in front of moto, for the faults moto cannot produce on demand:
 * an error answer for chosen requests (500, 503 SlowDown, 403, ExpiredToken) and a connection cut
 * after N bytes of a response. Requests not matched by a rule pass through unchanged.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultRule {
	method?: string;
	/** Matched against the decoded path, e.g. /bucket/key. */
	path?: RegExp;
	/** Matched against the raw query string. */
	query?: RegExp;
	/** How many matching requests to fault; then the rule stops. Default 1. */
	times?: number;
	/** Answer with this status and S3 error code instead of forwarding. */
	status?: number;
	code?: string;
	/** Forward, but cut the connection after this many bytes of the response body. */
	cutAfterBytes?: number;
	/** Set when the rule fired, with how many times. */
	fired?: number;
}

export interface FaultProxy {
	endpoint: string;
	rules: FaultRule[];
	/** Every request seen: "METHOD path?query". */
	log: string[];
	close(): Promise<void>;
}

function matches(rule: FaultRule, req: IncomingMessage, path: string, query: string): boolean {
	if ((rule.fired ?? 0) >= (rule.times ?? 1)) return false;
	if (rule.method && rule.method !== req.method) return false;
	if (rule.path && !rule.path.test(path)) return false;
	if (rule.query && !rule.query.test(query)) return false;
	return true;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
	const upstream = new URL(target);
	const proxy: FaultProxy = { endpoint: '', rules: [], log: [], close: async () => {} };
	const server: Server = createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://proxy');
		const path = decodeURIComponent(url.pathname);
		const query = url.search.slice(1);
		proxy.log.push(`${req.method} ${path}${query ? `?${query}` : ''}`);
		const rule = proxy.rules.find((r) => matches(r, req, path, query));
		if (rule) rule.fired = (rule.fired ?? 0) + 1;
		if (rule?.status) {
			req.resume();
			const code = rule.code ?? 'InternalError';
			res.writeHead(rule.status, { 'content-type': 'application/xml' });
			res.end(
				`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected by the test proxy</Message><RequestId>fault</RequestId></Error>`,
			);
			return;
		}
		const forward = httpRequest(
			{
				host: upstream.hostname,
				port: upstream.port,
				method: req.method,
				path: req.url,
				headers: req.headers,
			},
			(answer) => {
				res.writeHead(answer.statusCode ?? 500, answer.headers);
				if (rule?.cutAfterBytes === undefined) {
					answer.pipe(res);
					return;
				}
				let sent = 0;
				answer.on('data', (chunk: Buffer) => {
					if (sent >= (rule.cutAfterBytes ?? 0)) return;
					const part = chunk.subarray(0, Math.max(0, (rule.cutAfterBytes ?? 0) - sent));
					sent += part.length;
					res.write(part);
					if (sent >= (rule.cutAfterBytes ?? 0)) {
						answer.destroy();
						res.socket?.destroy();
					}
				});
				answer.on('end', () => res.end());
			},
		);
		forward.on('error', () => res.destroy());
		req.pipe(forward);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	proxy.close = async () => {
		server.closeAllConnections();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	};
	return proxy;
}
