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

describe('slot leases: atomic across workers', () => {
	let sim: Simulator | undefined;
	const gateways: Gateway[] = [];
	afterEach(async () => {
		await Promise.all(gateways.splice(0).map((g) => g.close()));
		await sim?.close();
		sim = undefined;
	});

	it('a burst starting on both workers at once never puts more than slots + look-ahead in flight at the backend', async () => {
		// 4 slots + 1 look-ahead. Before leases were reserved by a script, each worker checked the
		// other's published count, which neither had published yet: up to 10 in flight here.
		sim = await startSimulator({ parallel: 4, timeScale: 1, loadMs: 0, decodeTokensPerSec: 2000, prefillTokensPerSec: 100_000, replyTokensMin: 100, replyTokensMax: 100 });
		const config = {
			backends: [{ name: 'gpu-1', baseUrl: sim.url, weight: 1, parallel: 4 }],
			embedBatching: false as const,
			balancer: { healthIntervalMs: 0, lookAhead: 1, syncMs: 50 },
		};
		const [a, b] = [new Gateway(config), new Gateway(config)];
		gateways.push(a, b);
		a.shareState(client());
		b.shareState(client());
		await a.warmUp({ model: MODEL });
		await b.warmUp({ model: MODEL });
		sim.resetStats();
		const ask = (g: Gateway, i: number) => g.chat({ model: MODEL, messages: [{ role: 'user', content: `burst ${i}` }] });
		// three bursts, each started on both workers in the same turn of the event loop
		for (let round = 0; round < 3; round++) {
			const results = await Promise.all(Array.from({ length: 16 }, (_, i) => ask(i % 2 ? a : b, round * 100 + i)));
			expect(results).toHaveLength(16);
		}
		expect(sim.stats.completed).toBe(48);
		expect(sim.stats.maxInFlight).toBeLessThanOrEqual(5);
		expect(sim.stats.maxInFlight).toBeGreaterThanOrEqual(4);
	});

	it('Redis stopped mid-run: calls go on under local limits, none fails, and sharing resumes after the restart', async () => {
		const own = await startTestRedis();
		const mine: Redis[] = [];
		const c = (r: TestRedis) => {
			// reconnects every 50 ms, so both are connected again soon after the restart
			const x = createRedisClient(r.config, { lazyConnect: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
			x.on('error', () => undefined);
			mine.push(x);
			return x;
		};
		sim = await startSimulator({ parallel: 2, timeScale: 1, loadMs: 0, decodeTokensPerSec: 2000, prefillTokensPerSec: 100_000, replyTokensMin: 50, replyTokensMax: 50 });
		const config = {
			backends: [{ name: 'gpu-1', baseUrl: sim.url, weight: 1, parallel: 2 }],
			embedBatching: false as const,
			balancer: { healthIntervalMs: 0, lookAhead: 1, syncMs: 50 },
		};
		const [a, b] = [new Gateway(config), new Gateway(config)];
		gateways.push(a, b);
		a.shareState(c(own));
		b.shareState(c(own));
		const ask = (g: Gateway, i: number) => g.chat({ model: MODEL, messages: [{ role: 'user', content: `outage ${i}` }] });
		await Promise.all([ask(a, 0), ask(b, 1)]);
		const port = own.config.port;
		await own.stop();
		// while Redis is away: every call answers
		const during = await Promise.all(Array.from({ length: 12 }, (_, i) => ask(i % 2 ? a : b, 10 + i)));
		expect(during).toHaveLength(12);
		const restarted = await startTestRedis({ port });
		try {
			// sharing again: a worker's calls (slow now: 2.5 s each) show up in the other's counts through the new server
			sim.setOptions({ decodeTokensPerSec: 20 });
			const held = Array.from({ length: 3 }, (_, i) => ask(a, 100 + i));
			await eventually(() => b.balancer.inFlight('gpu-1') >= 3, 10_000);
			expect(b.balancer.inFlight('gpu-1')).toBeGreaterThanOrEqual(3);
			await Promise.all(held);
			sim.setOptions({ decodeTokensPerSec: 2000 });
			sim.resetStats();
			await Promise.all(Array.from({ length: 16 }, (_, i) => ask(i % 2 ? a : b, 200 + i)));
			expect(sim.stats.maxInFlight).toBeLessThanOrEqual(3);
		} finally {
			await Promise.all(gateways.splice(0).map((g) => g.close()));
			await Promise.all(mine.map(closeRedisClient)); // before the server goes, or they would be reconnecting
			await restarted.stop();
		}
	});
});

describe('two routers sharing circuits, learned limits, prefixes and counts', () => {
	const fake = (name: string, parallel = 2) => ({ name, backend: { name, baseUrl: 'http://127.0.0.1:9', weight: 1, parallel } }) as unknown as Backend;
	const call = (content = 'x', target?: Backend): Call => ({ kind: 'chat', request: { model: 'm', messages: [{ role: 'user', content }] }, options: {}, trace: newTrace(), target });
	const routers: Array<ReturnType<typeof createRouter>> = [];
	afterEach(async () => {
		await Promise.all(routers.splice(0).map((r) => r.close!()));
	});
	/** Waits for a slot the way the scheduler does: tries, then again at each capacity event. */
	const acquire = (r: ReturnType<typeof createRouter>, c: Call) =>
		new Promise<NonNullable<ReturnType<typeof r.tryAcquire>>>((resolve) => {
			const now = r.tryAcquire(c);
			if (now) return resolve(now);
			const off = r.onCapacity(() => {
				const lease = r.tryAcquire(c);
				if (!lease) return;
				off();
				resolve(lease);
			});
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
		(await acquire(one, call('x', backends[0]))).release({ ok: false, error: new BackendUnreachableError('a', 'ECONNREFUSED'), durationMs: 1 });
		await eventually(() => two.health()[0].circuit === 'open');
		expect(two.health()[0].circuit).toBe('open');
		expect(new Set((await Promise.all([acquire(two, call()), acquire(two, call())])).map((l) => l.backend.name))).toEqual(new Set(['b']));
	});

	it('in-flight counts add up across workers; a worker killed while holding leases (no release, no renewal) frees them within the TTL', async () => {
		const backends = [fake('a', 2)];
		const [one, two] = pair(backends);
		// both warm (slots + look-ahead = 3), then one holds all three
		(await acquire(one, call('load', backends[0]))).release({ ok: true, durationMs: 1 });
		(await acquire(two, call('load', backends[0]))).release({ ok: true, durationMs: 1 });
		const held = await Promise.all([acquire(one, call('1')), acquire(one, call('2')), acquire(one, call('3'))]);
		expect(held.every(Boolean)).toBe(true);
		await eventually(() => two.inFlight('a') === 3);
		expect(two.inFlight('a')).toBe(3);
		expect(two.tryAcquire(call())).toBeUndefined();
		const raw = client();
		const [setKey] = (await raw.keys('*slots:*')).filter((k) => !k.endsWith(':wait'));
		expect(await raw.zcard(setKey.slice((raw.options.keyPrefix ?? '').length))).toBe(3);
		let got = 0;
		const waiting = [acquire(two, call('x')), acquire(two, call('y'))].map((p) => p.then((l) => (got++, l)));
		await settle(300);
		expect(got).toBe(0); // the other worker's leases are in force
		// "kill" one: its connection drops without giving anything back, and it stops renewing
		one.redis.disconnect();
		const killedAt = Date.now();
		const scores = (await raw.zrange(setKey.slice((raw.options.keyPrefix ?? '').length), 0, -1, 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);
		// every lease of the dead worker expires at most one TTL after its last renewal
		for (const expiry of scores) expect(expiry).toBeLessThanOrEqual(killedAt + 3000 + 50);
		const leases = await Promise.all(waiting);
		console.log(`leases of the killed worker were taken over ${Date.now() - killedAt} ms after the kill`);
		expect(leases.map((l) => l.backend.name)).toEqual(['a', 'a']);
		expect(got).toBe(2);
		expect(two.inFlight('a')).toBe(2); // nothing of the dead worker is counted any more
	});

	it('two routers asking at the same moment never hold more leases than the capacity', async () => {
		const backends = [fake('a', 4)];
		const [one, two] = pair(backends);
		(await acquire(one, call('load', backends[0]))).release({ ok: true, durationMs: 1 });
		(await acquire(two, call('load', backends[0]))).release({ ok: true, durationMs: 1 });
		await settle(100); // warm-up leases given back
		let running = 0;
		let most = 0;
		const work = async (r: ReturnType<typeof createRouter>, i: number) => {
			const lease = await acquire(r, call(`c${i}`));
			most = Math.max(most, ++running);
			await settle(5 + (i % 3) * 5);
			running--;
			lease.release({ ok: true, durationMs: 10 });
		};
		await Promise.all(Array.from({ length: 40 }, (_, i) => work(i % 2 ? one : two, i)));
		expect(most).toBeLessThanOrEqual(5); // 4 slots + 1 look-ahead
		expect(most).toBeGreaterThanOrEqual(2);
	});

	it('a busy worker reuses the leases it holds (no Redis per call); a worker that starts waiting gets unused ones at once', async () => {
		// A sync period no test reaches (10 min; leases then live 100 min): every exchange seen below
		// is one a call caused, and `one` gives back its idle leases only when another worker asks.
		const make = () => {
			const r = createRouter([fake('a', 2)], { healthIntervalMs: 0, syncMs: 600_000 });
			const c = client();
			r.share(c);
			routers.push(r);
			return r;
		};
		const [one, two] = [make(), make()];
		const raw = client();
		const scripts = async () => Number(/cmdstat_evalsha:calls=(\d+)/.exec(await raw.info('commandstats'))?.[1] ?? 0);
		(await acquire(one, call('load'))).release({ ok: true, durationMs: 1 });
		const before = await scripts();
		for (let i = 0; i < 20; i++) {
			(await acquire(one, call(`turn ${i}`))).release({ ok: true, durationMs: 1 });
			await settle(5); // calls a few ms apart: the exchange a release schedules runs in between
		}
		// before: one script to take a lease and one to give it back, for every call (40 here)
		expect((await scripts()) - before).toBeLessThanOrEqual(2);
		// one takes every lease the backend has (2 slots + 1 look-ahead) and gives the calls back
		const all = await Promise.all(['x', 'y', 'z'].map((id) => acquire(one, call(`burst ${id}`))));
		for (const l of all) l.release({ ok: true, durationMs: 1 });
		// one keeps its unused leases for a sync period (10 min) unless another worker waits: the lease
		// two gets can only come from one's handover (by event order, not a time bound; without the
		// handover this await outlives the test's timeout)
		const lease = await acquire(two, call('other worker'));
		expect(lease.backend.name).toBe('a');
	});

	it('a conversation follows its backend whichever worker serves the next turn', async () => {
		const backends = [fake('a', 2), fake('b', 2), fake('c', 2)];
		const [one, two] = pair(backends);
		for (const r of [one, two]) for (const target of backends) (await acquire(r, call('load', target))).release({ ok: true, durationMs: 1 });
		const doc = 'The shared document every turn starts with. '.repeat(10);
		const first = await acquire(one, call(doc));
		first.release({ ok: true, durationMs: 1 });
		await settle(300); // the prefix entry travels over the channel at the next sync
		const picks = new Set((await Promise.all(Array.from({ length: 2 }, () => acquire(two, call(`${doc} and a follow-up`))))).map((l) => l.backend.name));
		expect(picks).toEqual(new Set([first.backend.name]));
	});
});
