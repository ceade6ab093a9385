import type Redis from 'ioredis';

import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server';
import { startSimulator, type Simulator } from '../../test/simulator';
import { Gateway } from '../gateway';
import { newTrace, type Backend, type Call } from '../pipeline';
import { closeRedisClient, createRedisClient } from '../redis';
import { createRouter } from '.';
import { BackendUnreachableError } from '../ollama';
import { MODEL, preloadSimulatorTokenizer } from './simulators.fixture';

// Two workers sharing one real Redis. Each worker is a separate gateway (or router) instance in
// this process with its own Redis client, as two n8n queue-mode workers would each have.

let redis: TestRedis;
const clients: Redis[] = [];
const client = () => {
	const c = createRedisClient(redis.config, { lazyConnect: false });
	c.on('error', () => undefined);
	clients.push(c);
	return c;
};
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits until `ready()` holds (shared state arrives within a few sync periods; the machine may be busy). */
async function eventually(ready: () => boolean, ms = 3000) {
	const until = Date.now() + ms;
	while (!ready() && Date.now() < until) await settle(20);
}

beforeAll(async () => {
	preloadSimulatorTokenizer();
	redis = await startTestRedis();
});
afterAll(async () => {
	await Promise.all(clients.map(closeRedisClient));
	await redis.stop();
});

describe('two gateways over HTTP', () => {
	let sims: Simulator[] = [];
	const gateways: Gateway[] = [];
	afterEach(async () => {
		await Promise.all(gateways.splice(0).map((g) => g.close()));
		await Promise.all(sims.map((s) => s.close()));
	});

	async function twoWorkers(shared: boolean) {
		sims = await Promise.all([0, 1].map(() => startSimulator({ parallel: 2, timeScale: 1, loadMs: 0, decodeTokensPerSec: 400, prefillTokensPerSec: 100_000, replyTokensMin: 200, replyTokensMax: 200 })));
		const config = {
			backends: sims.map((s, i) => ({ name: `gpu-${i + 1}`, baseUrl: s.url, weight: 1, parallel: 2 })),
			embedBatching: false as const,
			balancer: { healthIntervalMs: 0, lookAhead: 0, syncMs: 50 },
		};
		const [a, b] = [new Gateway(config), new Gateway(config)];
		gateways.push(a, b);
		if (shared) {
			a.shareState(client());
			b.shareState(client());
		}
		await Promise.all([a.warmUp({ model: MODEL }), b.warmUp({ model: MODEL })]);
		for (const sim of sims) sim.resetStats(); // the two warm-ups met at the load; count only the calls
		const ask = (g: Gateway, i: number) => g.chat({ model: MODEL, messages: [{ role: 'user', content: `q${i}` }] });
		const fromA = Array.from({ length: 4 }, (_, i) => ask(a, i));
		// b learns a's calls within a few sync periods (waited for, since the machine may be busy)
		const until = Date.now() + 3000;
		do await settle(50);
		while (shared && b.balancer.inFlight('gpu-1') + b.balancer.inFlight('gpu-2') < 4 && Date.now() < until);
		const fromB = Array.from({ length: 4 }, (_, i) => ask(b, 10 + i));
		const results = await Promise.all([...fromA, ...fromB]);
		return { results, a, b };
	}

	it('with shared state the two never send a backend more than its slots together', async () => {
		const { results } = await twoWorkers(true);
		expect(results).toHaveLength(8);
		for (const sim of sims) {
			expect(sim.stats.maxActive).toBeLessThanOrEqual(2);
			expect(sim.stats.maxQueued).toBe(0);
		}
	});

	it('without it each fills the slots on its own, so calls queue at the servers', async () => {
		await twoWorkers(false);
		expect(Math.max(...sims.map((s) => s.stats.maxQueued))).toBeGreaterThan(0);
	});
});

describe('two routers sharing circuits, learned limits, prefixes and counts', () => {
	const fake = (name: string, parallel = 2) => ({ name, backend: { name, baseUrl: 'http://127.0.0.1:9', weight: 1, parallel } }) as unknown as Backend;
	const call = (content = 'x', target?: Backend): Call => ({ kind: 'chat', request: { model: 'm', messages: [{ role: 'user', content }] }, options: {}, trace: newTrace(), target });
	const routers: Array<ReturnType<typeof createRouter>> = [];
	afterEach(async () => {
		await Promise.all(routers.splice(0).map((r) => r.close!()));
	});
	const pair = (backends: Backend[]) => {
		const make = () => {
			const r = createRouter(backends, { healthIntervalMs: 0, syncMs: 30, failureThreshold: 1, cooldownMs: 30_000, minPrefixChars: 50 });
			const c = client();
			r.share(c);
			routers.push(r);
			return Object.assign(r, { redis: c });
		};
		return [make(), make()];
	};

	it('a circuit one worker opens keeps the other away too', async () => {
		const backends = [fake('a'), fake('b')];
		const [one, two] = pair(backends);
		one.tryAcquire(call('x', backends[0]))!.release({ ok: false, error: new BackendUnreachableError('a', 'ECONNREFUSED'), durationMs: 1 });
		await eventually(() => two.health()[0].circuit === 'open');
		expect(two.health()[0].circuit).toBe('open');
		expect(new Set(Array.from({ length: 2 }, () => two.tryAcquire(call())!.backend.name))).toEqual(new Set(['b']));
	});

	it('in-flight counts add up across workers, and a worker that dies leaves none behind', async () => {
		const backends = [fake('a')];
		const [one, two] = pair(backends);
		const held = [one.tryAcquire(call())!, one.tryAcquire(call())!];
		expect(held.every(Boolean)).toBe(true);
		await eventually(() => two.inFlight('a') === 2);
		expect(two.inFlight('a')).toBe(2);
		expect(two.tryAcquire(call())).toBeUndefined(); // cold: 2 slots, both taken by the other worker
		// the first worker loses Redis without cleaning up (as a crashed process would): its counts expire (3 s)
		one.redis.disconnect();
		const before = Date.now();
		while (two.inFlight('a') > 0 && Date.now() - before < 6000) await settle(100);
		expect(two.inFlight('a')).toBe(0);
		expect(Date.now() - before).toBeGreaterThan(1000);
		expect(two.tryAcquire(call())).toBeDefined();
	});

	it('a conversation follows its backend whichever worker serves the next turn', async () => {
		const backends = [fake('a', 2), fake('b', 2), fake('c', 2)];
		const [one, two] = pair(backends);
		for (const r of [one, two]) for (const target of backends) r.tryAcquire(call('load', target))!.release({ ok: true, durationMs: 1 });
		const doc = 'The shared document every turn starts with. '.repeat(10);
		const first = one.tryAcquire(call(doc))!;
		first.release({ ok: true, durationMs: 1 });
		await settle(300); // the prefix entry travels over the channel at the next sync
		const picks = new Set(Array.from({ length: 2 }, () => {
			const lease = two.tryAcquire(call(`${doc} and a follow-up`))!;
			return lease.backend.name;
		}));
		expect(picks).toEqual(new Set([first.backend.name]));
	});
});
