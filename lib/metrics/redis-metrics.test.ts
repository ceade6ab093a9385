import type { Redis } from 'ioredis';

import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server';
import { createRedisClient, type RedisConfig } from '../redis';
import { testRecord } from './call-record.fixture';
import { RedisMetricsStore } from './redis-metrics';

const record = testRecord;

let server: TestRedis;
const clients: Redis[] = [];

function client(config: RedisConfig = server.config): Redis {
	const redis = createRedisClient(config);
	clients.push(redis);
	return redis;
}

/** Every key under a raw prefix, as Redis itself stores them (keyPrefix included). */
async function rawKeys(raw: Redis, match: string): Promise<string[]> {
	const keys: string[] = [];
	let cursor = '0';
	do {
		const [next, found] = await raw.scan(cursor, 'MATCH', match, 'COUNT', 1000);
		keys.push(...found);
		cursor = next;
	} while (cursor !== '0');
	return keys.sort();
}

beforeAll(async () => {
	server = await startTestRedis();
});
afterAll(async () => {
	await Promise.all(clients.map((c) => c.quit()));
	await server?.stop();
});

describe('RedisMetricsStore against a real redis-server', () => {
	const prefix = () => server.config.keyPrefix ?? '';

	it('combines what two workers record into one snapshot read by a third client', async () => {
		const workerA = new RedisMetricsStore(client(), { namespace: 'combined' });
		const workerB = new RedisMetricsStore(client(), { namespace: 'combined' });
		const reader = new RedisMetricsStore(client(), { namespace: 'combined' });
		expect(await reader.snapshot()).toEqual({ since: null, byBackend: {}, byModel: {} });

		const before = Date.now();
		await Promise.all([
			workerA.record(record({ backend: 'gpu-a', latencyMs: 100, promptTokens: 100, completionTokens: 20 })),
			workerA.record(record({ backend: 'gpu-a', latencyMs: 300, cacheHit: true })),
			workerA.record(record({ backend: 'gpu:b', model: 'qwen2.5:7b', latencyMs: 250 })),
			workerB.record(record({ backend: 'gpu:b', latencyMs: 200 })),
			workerB.record(
				record({ backend: 'gpu:b', model: 'qwen2.5:7b', ok: false, error: 'TIMEOUT', latencyMs: 30_000, promptTokens: 0, completionTokens: 0 }),
			),
		]);

		const snapshot = await reader.snapshot();
		expect(Date.parse(snapshot.since as string)).toBeGreaterThanOrEqual(before - 1000);
		expect(snapshot.byBackend).toEqual({
			'gpu-a': {
				calls: 2,
				errors: 0,
				cacheHits: 1,
				promptTokens: 110,
				completionTokens: 25,
				totalTokens: 135,
				latencyMs: { p50: 100, p95: 300, samples: 2 },
			},
			'gpu:b': {
				calls: 3,
				errors: 1,
				cacheHits: 0,
				promptTokens: 20,
				completionTokens: 10,
				totalTokens: 30,
				latencyMs: { p50: 250, p95: 30_000, samples: 3 },
			},
		});
		expect(snapshot.byModel['llama3.1:8b']).toMatchObject({ calls: 3, errors: 0, promptTokens: 120 });
		expect(snapshot.byModel['qwen2.5:7b']).toMatchObject({ calls: 2, errors: 1, latencyMs: { samples: 2 } });
	});

	it('encodes names, so a ":" in a model name stays one key segment', async () => {
		const store = new RedisMetricsStore(client(), { namespace: 'layout' });
		await store.record(record({ backend: 'gpu:b', model: 'llama3.1:8b' }));
		const raw = client({ ...server.config, keyPrefix: '' });
		expect(await rawKeys(raw, `${prefix()}layout:*`)).toEqual(
			[
				'layout:backend:gpu%3Ab',
				'layout:backend:gpu%3Ab:latency',
				'layout:backends',
				'layout:model:llama3.1%3A8b',
				'layout:model:llama3.1%3A8b:latency',
				'layout:models',
				'layout:since',
			].map((key) => `${prefix()}${key}`),
		);
		expect(await raw.hgetall(`${prefix()}layout:model:llama3.1%3A8b`)).toEqual({
			calls: '1',
			promptTokens: '10',
			completionTokens: '5',
		});
	});

	it('sends each record to Redis in one write: a single round trip', async () => {
		const redis = client();
		const store = new RedisMetricsStore(redis, { namespace: 'trips' });
		await redis.ping(); // connect first, so the spy only sees the record
		const writes = jest.spyOn(redis.stream, 'write');
		await store.record(record());
		await store.record(record({ backend: 'gpu-b', ok: false, cacheHit: true }));
		expect(writes).toHaveBeenCalledTimes(2);
		writes.mockRestore();
		expect((await store.snapshot()).byModel['llama3.1:8b']).toMatchObject({ calls: 2, errors: 1, cacheHits: 1 });
	});

	it('counts failed calls per error kind across workers, in the record\'s one round trip, bounded', async () => {
		const namespace = `kinds-${Date.now()}`;
		const redis = client();
		const workerA = new RedisMetricsStore(redis, { namespace, maxNames: 2 });
		const workerB = new RedisMetricsStore(client(), { namespace, maxNames: 2 });
		await redis.ping();
		const writes = jest.spyOn(redis.stream, 'write');
		await workerA.record(record({ ok: false, error: 'TIMEOUT' }));
		expect(writes).toHaveBeenCalledTimes(1);
		writes.mockRestore();
		await workerB.record(record({ ok: false, error: 'TIMEOUT' }));
		await workerB.record(record({ ok: false, error: 'BUSY' }));
		await workerA.record(record({ ok: false, error: 'UNREACHABLE' }));
		await workerA.record(record());
		expect({ ...(await workerA.snapshot()).errorsByKind }).toEqual({ TIMEOUT: 2, BUSY: 1, '(other)': 1 });
		await workerA.reset();
		expect((await workerA.snapshot()).errorsByKind).toBeUndefined();
	});

	it('caps the latency list at the window, shared by all workers', async () => {
		const workerA = new RedisMetricsStore(client(), { namespace: 'window', window: 5 });
		const workerB = new RedisMetricsStore(client(), { namespace: 'window', window: 5 });
		for (let i = 1; i <= 4; i++) await workerA.record(record({ latencyMs: i * 1000 }));
		for (let i = 1; i <= 4; i++) await workerB.record(record({ latencyMs: i }));
		const raw = client({ ...server.config, keyPrefix: '' });
		expect(await raw.llen(`${prefix()}window:backend:gpu-a:latency`)).toBe(5);
		// The newest five are 4000 (A's last), then B's 1..4.
		expect((await workerA.snapshot()).byBackend['gpu-a']).toMatchObject({
			calls: 8,
			latencyMs: { p50: 3, p95: 4000, samples: 5 },
		});
	});

	it('reset deletes every key of its namespace, by SCAN, and nothing of a neighbouring one', async () => {
		const store = new RedisMetricsStore(client(), { namespace: 'metrics', maxNames: 1000 });
		const neighbour = new RedisMetricsStore(client(), { namespace: 'metrics:other' });
		// Enough distinct names that SCAN needs more than one cursor step.
		await Promise.all(
			Array.from({ length: 400 }, (_, i) => store.record(record({ model: `model-${i}:latest`, backend: `gpu-${i % 3}` }))),
		);
		await neighbour.record(record());
		const raw = client({ ...server.config, keyPrefix: '' });
		expect((await rawKeys(raw, `${prefix()}metrics:model:*`)).length).toBe(800);

		await store.reset();
		expect(await store.snapshot()).toEqual({ since: null, byBackend: {}, byModel: {} });
		const left = await rawKeys(raw, `${prefix()}metrics:*`);
		expect(left.length).toBeGreaterThan(0);
		expect(left.every((key) => key.startsWith(`${prefix()}metrics:other:`))).toBe(true);
		expect((await neighbour.snapshot()).byBackend['gpu-a']).toMatchObject({ calls: 1 });

		await store.record(record());
		expect((await store.snapshot()).byBackend).toEqual({ 'gpu-a': expect.objectContaining({ calls: 1 }) });
	});

	it('reset works under a keyPrefix holding glob characters', async () => {
		const config = { ...server.config, keyPrefix: 'team[1]*?:' };
		const store = new RedisMetricsStore(client(config));
		const bystander = client({ ...server.config, keyPrefix: 'team1x:' });
		await bystander.set('metrics:backend:keep', 'yes');
		await store.record(record());
		await store.reset();
		const raw = client({ ...server.config, keyPrefix: '' });
		expect(await rawKeys(raw, 'team\\[1\\]\\*\\?:*')).toEqual([]);
		expect(await bystander.get('metrics:backend:keep')).toBe('yes');
	});

	it('rejects when Redis refuses a command instead of losing the record silently', async () => {
		const redis = client();
		await redis.set('broken:backends', 'not a set');
		await expect(new RedisMetricsStore(redis, { namespace: 'broken' }).record(record())).rejects.toThrow(/WRONGTYPE/);
	});

	it('rejects bad options up front', () => {
		const redis = client();
		expect(() => new RedisMetricsStore(redis, { namespace: '' })).toThrow(RangeError);
		expect(() => new RedisMetricsStore(redis, { window: 0 })).toThrow(RangeError);
	});

	it('gives every key it writes a TTL (no key lives for ever)', async () => {
		const namespace = `ttl-${Date.now()}`;
		const store = new RedisMetricsStore(client(), { namespace, ttlSeconds: 120 });
		await store.record(record({ backend: 'gpu-a', model: 'llama3.1:8b' }));
		const raw = client({ ...server.config, keyPrefix: '' });
		const keys = await rawKeys(raw, `${prefix()}${namespace}:*`);
		expect(keys.length).toBeGreaterThanOrEqual(7);
		for (const key of keys) {
			const ttl = await raw.ttl(key);
			expect([key, ttl > 0 && ttl <= 120]).toEqual([key, true]);
		}
	});

	it('bounds the names it keeps (model names come from expressions); the rest share "(other)"', async () => {
		const namespace = `bound-${Date.now()}`;
		const store = new RedisMetricsStore(client(), { namespace, maxNames: 4 });
		for (let i = 0; i < 50; i++) await store.record(record({ backend: 'gpu-a', model: `m-${i}` }));
		const snapshot = await store.snapshot();
		expect(Object.keys(snapshot.byModel).sort()).toEqual(['(other)', 'm-0', 'm-1', 'm-2', 'm-3'].sort());
		expect(snapshot.byModel['(other)'].calls).toBe(46);
		const raw = client({ ...server.config, keyPrefix: '' });
		expect((await rawKeys(raw, `${prefix()}${namespace}:model:*`)).length).toBeLessThanOrEqual(10);
	});
});
