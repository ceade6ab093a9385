import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { RedisConfig } from '../../lib/redis';

export interface TestRedis {
	config: RedisConfig;
	url: string;
	stop(): Promise<void>;
}

async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

/**
 * A private redis-server on a free loopback port, with nothing persisted, so tests neither
 * depend on nor pollute a shared Redis. REDIS_URL, when set, is used instead.
 */
export async function startTestRedis(options: { port?: number } = {}): Promise<TestRedis> {
	if (process.env.REDIS_URL) {
		const url = new URL(process.env.REDIS_URL);
		return {
			url: process.env.REDIS_URL,
			config: {
				host: url.hostname,
				port: Number(url.port || 6379),
				password: url.password || undefined,
				username: url.username || undefined,
				database: Number(url.pathname.slice(1) || 0),
				keyPrefix: `agent-team-test-${process.pid}-${Date.now()}:`,
			},
			stop: async () => undefined,
		};
	}
	const which = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
	if (which.error || which.status !== 0) {
		throw new Error(
			'redis-server is not installed; the tests need it. Install it with `apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis`, or set REDIS_URL to a Redis they may use.',
		);
	}
	// a given port: restart a stopped server where its clients expect it (outage tests)
	const port = options.port ?? (await freePort());
	const dir = mkdtempSync(join(tmpdir(), 'agent-team-redis-'));
	const child: ChildProcess = spawn(
		'redis-server',
		['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
		{ stdio: ['ignore', 'pipe', 'pipe'] },
	);
	await new Promise<void>((resolve, reject) => {
		let log = '';
		const timer = setTimeout(() => reject(new Error(`redis-server did not start on port ${port}: ${log}`)), 10_000);
		child.stdout?.on('data', (chunk: Buffer) => {
			log += chunk.toString();
			if (/Ready to accept connections/i.test(log)) {
				clearTimeout(timer);
				resolve();
			}
		});
		child.once('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`redis-server exited with code ${code}: ${log}`));
		});
	});
	return {
		url: `redis://127.0.0.1:${port}`,
		config: { host: '127.0.0.1', port, keyPrefix: 'agent-team-test:' },
		stop: async () => {
			if (child.exitCode === null) {
				const exited = new Promise((resolve) => child.once('close', resolve));
				child.kill('SIGTERM');
				await exited;
			}
			rmSync(dir, { recursive: true, force: true });
		},
	};
}
