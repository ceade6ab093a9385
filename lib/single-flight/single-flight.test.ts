import { spawn } from 'node:child_process';
import { join } from 'node:path';

import type Redis from 'ioredis';

import { Gateway } from '../gateway';
import type { CachePolicy } from '../pipeline';
import { closeRedisClient, createRedisClient } from '../redis';
import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server';
import { startSimulator, type Simulator } from '../../test/simulator';
import { RedisFlight } from './redis-lock';

let sim: Simulator;
let redis: TestRedis;
let client: Redis;
let gateway: Gateway;

const chats = () => sim.stats.requestsByEndpoint['/api/chat'] ?? 0;
const ask = (content: string, cache: CachePolicy | undefined, signal?: AbortSignal) =>
	gateway.chat({ model: 'llama3.2:3b', messages: [{ role: 'user', content }], options: { temperature: 0 } }, { hints: cache ? { cache } : undefined, signal });

beforeAll(async () => {
	// slow enough decoding that concurrent calls overlap
	sim = await startSimulator({ timeScale: 1, parallel: 4, loadMs: 0, decodeTokensPerSec: 200, prefillTokensPerSec: 100_000 });
	redis = await startTestRedis();
	client = createRedisClient(redis.config, { lazyConnect: false });
});
beforeEach(() => {
	gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 4 }], apiKey: 'shared' });
});
afterEach(async () => {
	await gateway.close();
	await client.flushdb();
	sim.resetStats();
});
afterAll(async () => {
	await closeRedisClient(client);
	await redis.stop();
	await sim.close();
});

describe('single-flight in one process', () => {
	it('sends 100 identical concurrent calls as one backend request; all get the same answer', async () => {
		const policy: CachePolicy = { mode: 'exact', namespace: 'wf' };
		const results = await Promise.all(Array.from({ length: 100 }, () => ask('Explain single flight', policy)));
		expect(chats()).toBe(1);
		expect(new Set(results.map((r) => r.message.content)).size).toBe(1);
		expect(results.filter((r) => r.cacheLayer === 'single-flight')).toHaveLength(99);
		expect(gateway.cache.stats().singleFlightJoins).toBe(99);
	});

	it('gives every waiter the same error', async () => {
		const policy: CachePolicy = { mode: 'exact', namespace: 'wf' };
		const outcomes = await Promise.allSettled(
			Array.from({ length: 10 }, () =>
				gateway.chat({ model: 'no-such-model', messages: [{ role: 'user', content: 'fail' }], options: { temperature: 0 } }, { hints: { cache: policy } }),
			),
		);
		expect(chats()).toBe(1);
		const reasons = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'fulfilled'));
		expect(new Set(reasons).size).toBe(1);
		expect(reasons[0]).not.toBe('fulfilled');
	});

	it('lets one waiter leave on its own signal while the others still get the answer', async () => {
		const policy: CachePolicy = { mode: 'exact', namespace: 'wf' };
		const leaver = new AbortController();
		const calls = [ask('Abort one of us', policy), ask('Abort one of us', policy, leaver.signal), ask('Abort one of us', policy)];
		setTimeout(() => leaver.abort(), 30);
		const [a, b, c] = await Promise.allSettled(calls);
		expect(b.status).toBe('rejected');
		expect(a.status).toBe('fulfilled');
		expect(c.status).toBe('fulfilled');
		expect(chats()).toBe(1);
	});

	it('leaves calls without a cache policy, or not deterministic, alone', async () => {
		await Promise.all(Array.from({ length: 3 }, () => ask('No policy', undefined)));
		expect(chats()).toBe(3);
		sim.resetStats();
		await Promise.all(
			Array.from({ length: 3 }, () =>
				gateway.chat({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hot' }], options: { temperature: 0.9 } }, { hints: { cache: { mode: 'exact', namespace: 'wf' } } }),
			),
		);
		expect(chats()).toBe(3);
	});
});

describe('single-flight across processes (Redis)', () => {
	it('100 identical concurrent calls from two processes make exactly one backend request', async () => {
		const child = spawn(process.execPath, [join(__dirname, '..', '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(__dirname, 'flight-child.fixture.ts'), sim.url, String(redis.config.port), '50', 'Shared across workers'], {
			stdio: ['pipe', 'pipe', 'inherit'],
		});
		let out = '';
		child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`child did not start: ${out}`)), 60_000);
			child.stdout!.on('data', () => {
				if (out.includes('ready')) {
					clearTimeout(timer);
					resolve();
				}
			});
		});
		const exited = new Promise((resolve) => child.once('close', resolve));
		child.stdin!.write('go\n');
		const policy: CachePolicy = { mode: 'exact', namespace: 'wf', redis: client };
		const here = await Promise.all(Array.from({ length: 50 }, () => ask('Shared across workers', policy)));
		await exited;
		const there = JSON.parse(out.slice(out.indexOf('['))) as Array<{ content?: string; layer: string | null; error?: string }>;
		expect(there.filter((r) => r.error)).toEqual([]);
		expect(chats()).toBe(1);
		expect(new Set([...here.map((r) => r.message.content), ...there.map((r) => r.content)]).size).toBe(1);
		// 99 of the 100 calls were served without a request of their own
		const served = here.filter((r) => r.cacheHit).length + there.filter((r) => r.layer !== null).length;
		expect(served).toBe(99);
	}, 120_000);

	it('an answer cached by another process is read from the shared Redis (L2)', async () => {
		const child = spawn(process.execPath, [join(__dirname, '..', '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(__dirname, 'flight-child.fixture.ts'), sim.url, String(redis.config.port), '1', 'Answered by the child'], {
			stdio: ['pipe', 'pipe', 'inherit'],
		});
		let out = '';
		child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
		const exited = new Promise((resolve) => child.once('close', resolve));
		child.stdin!.write('go\n');
		await exited;
		const [fromChild] = JSON.parse(out.slice(out.indexOf('['))) as Array<{ content: string }>;
		expect(chats()).toBe(1);
		const here = await ask('Answered by the child', { mode: 'exact', namespace: 'wf', redis: client });
		expect(here).toMatchObject({ cacheHit: true, cacheLayer: 'l2', message: { content: fromChild.content } });
		expect(chats()).toBe(1);
	}, 120_000);

	it('a waiter takes over when the lock owner dies (its lock expires)', async () => {
		const flight = new RedisFlight(client, { lockMs: 300 });
		await client.set('sf:dead-owner:lock', 'someone-who-died', 'PX', 300);
		const started = Date.now();
		let ran = 0;
		const { outcome, joined } = await flight.run('dead-owner', async () => {
			ran++;
			return 'done by the waiter';
		});
		expect(joined).toBe(false);
		expect(ran).toBe(1);
		expect(outcome).toEqual({ ok: true, value: 'done by the waiter' });
		expect(Date.now() - started).toBeGreaterThanOrEqual(250);
	});

	it('a waiter is woken by the owner\'s notification and gets its outcome (or its error)', async () => {
		const owner = new RedisFlight(client);
		const waiter = new RedisFlight(client);
		let release!: () => void;
		const gate = new Promise<void>((resolve) => (release = resolve));
		const first = owner.run('k1', async () => {
			await gate;
			throw new Error('backend said no');
		});
		await new Promise((resolve) => setTimeout(resolve, 20));
		const second = waiter.run('k1', async () => 'should not run');
		setTimeout(release, 50);
		const [a, b] = await Promise.all([first, second]);
		expect(a).toEqual({ outcome: { ok: false, error: { name: 'Error', message: 'backend said no' } }, joined: false });
		expect(b).toEqual({ outcome: a.outcome, joined: true });
	});
});
