import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
	method: string;
	url: string;
	headers: IncomingHttpHeaders;
	body: string;
}

export interface Receiver {
	url: string;
	requests: ReceivedRequest[];
	/** Status codes to answer with, in turn; the last one repeats. */
	answers: number[];
	/** Delay before answering, in ms. */
	delayMs: number;
	close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 that records requests and answers as scripted. */
export async function startReceiver(answers: number[] = [200]): Promise<Receiver> {
	const requests: ReceivedRequest[] = [];
	const receiver = { requests, answers, delayMs: 0 } as Receiver;
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
			const index = Math.min(requests.length - 1, receiver.answers.length - 1);
			const status = receiver.answers[index] ?? 200;
			setTimeout(() => {
				res.writeHead(status, { 'content-type': 'text/plain' });
				res.end(status < 300 ? 'ok' : 'no');
			}, receiver.delayMs);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prd/data-export`;
	receiver.close = async () => {
		server.closeAllConnections();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	};
	return receiver;
}
