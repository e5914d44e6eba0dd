import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface MotoServer {
	endpoint: string;
	port: number;
	stop(): Promise<void>;
}

const INSTALL_HINT =
	'moto_server was not found on PATH. The tests run against a real S3 server: install it with\n' +
	"  pip install 'moto[server]'\n" +
	'(or `pipx install "moto[server]"`), then run the tests again. Set MOTO_SERVER to its path if it is elsewhere.';

export function motoCommand(): string {
	const command = process.env.MOTO_SERVER || 'moto_server';
	const found = spawnSync(command, ['--help'], { stdio: 'ignore' });
	if (found.error || found.status !== 0) throw new Error(INSTALL_HINT);
	return command;
}

export async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

async function waitUntilUp(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
	const deadline = Date.now() + 20_000;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${output()}`);
		try {
			const response = await fetch(`${endpoint}/moto-api/`);
			if (response.status < 500) return;
		} catch {
			// not up yet
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`moto_server did not start within 20 s: ${output()}`);
}

/** Starts moto_server on a free 127.0.0.1 port. `env` can turn on IAM enforcement. */
export async function startMoto(env: Record<string, string> = {}): Promise<MotoServer> {
	const command = motoCommand();
	const port = await freePort();
	let log = '';
	const child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], {
		env: { ...process.env, ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	child.stdout?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
	child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
	const endpoint = `http://127.0.0.1:${port}`;
	await waitUntilUp(endpoint, child, () => log);
	return {
		endpoint,
		port,
		stop: async () => {
			if (child.exitCode !== null) return;
			await new Promise<void>((resolve) => {
				child.once('exit', () => resolve());
				child.kill('SIGTERM');
				setTimeout(() => child.kill('SIGKILL'), 3000).unref();
			});
		},
	};
}
