import type Redis from 'ioredis';

import { Gateway } from '../gateway';
import type { CachePolicy } from '../pipeline';
import { closeRedisClient, createRedisClient } from '../redis';
import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server';
import { startSimulator, type Simulator } from '../../test/simulator';

let sim: Simulator;
let redis: TestRedis;
let client: Redis;
const gateways: Gateway[] = [];

const gatewayFor = () => {
	const gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 4 }] });
	gateways.push(gateway);
	return gateway;
};
const calls = (endpoint: string) => sim.stats.requestsByEndpoint[endpoint] ?? 0;
const ask = (gateway: Gateway, content: string, cache: CachePolicy) =>
	gateway.chat({ model: 'llama3.2:3b', messages: [{ role: 'user', content }], options: { temperature: 0 } }, { hints: { cache } });
const semantic = (extra: Partial<CachePolicy> = {}): CachePolicy => ({ mode: 'semantic', namespace: 'wf', threshold: 0.75, ...extra });

beforeAll(async () => {
	sim = await startSimulator({ timeScale: 0, parallel: 4 });
	redis = await startTestRedis();
	client = createRedisClient(redis.config, { lazyConnect: false });
});
afterEach(async () => {
	await Promise.all(gateways.splice(0).map((g) => g.close()));
	await client.flushdb();
	sim.resetStats();
});
afterAll(async () => {
	await closeRedisClient(client);
	await redis.stop();
	await sim.close();
});

describe('semantic cache', () => {
	it('serves a reworded question from the semantic layer and reports the similarity', async () => {
		const gateway = gatewayFor();
		const first = await ask(gateway, 'How do I reset my password?', semantic());
		const reworded = await ask(gateway, 'How can I change my password?', semantic());
		expect(calls('/api/chat')).toBe(1);
		expect(reworded).toMatchObject({ cacheHit: true, cacheLayer: 'semantic', message: first.message });
		expect(reworded.similarity).toBeGreaterThanOrEqual(0.75);
		expect(reworded.similarity).toBeLessThan(1);
	});

	it('rejects a close match whose numbers, negation or entities differ (guards)', async () => {
		const gateway = gatewayFor();
		await ask(gateway, 'How many days are in 3 weeks?', semantic());
		await ask(gateway, 'Is coffee good for your health?', semantic());
		await ask(gateway, 'What is the capital of France?', semantic());
		const near = [
			await ask(gateway, 'How many days are in 4 weeks?', semantic()),
			await ask(gateway, 'Is coffee not good for your health?', semantic()),
			await ask(gateway, 'What is the capital of Spain?', semantic()),
		];
		expect(near.map((r) => r.cacheHit)).toEqual([false, false, false]);
		expect(calls('/api/chat')).toBe(6);
		expect(gateway.cache.stats().guardRejections).toBeGreaterThanOrEqual(2);
	});

	it('does not match below the threshold', async () => {
		const gateway = gatewayFor();
		await ask(gateway, 'How do I reset my password?', semantic({ threshold: 0.999 }));
		expect((await ask(gateway, 'How can I change my password?', semantic({ threshold: 0.999 }))).cacheHit).toBe(false);
	});

	it('shadow mode records what would have hit, with its similarity, and serves nothing', async () => {
		const gateway = gatewayFor();
		await ask(gateway, 'How do I reset my password?', semantic({ shadow: true }));
		const reworded = await ask(gateway, 'How can I change my password?', semantic({ shadow: true }));
		expect(reworded.cacheHit).toBe(false);
		expect(calls('/api/chat')).toBe(2);
		const stats = gateway.cache.stats();
		expect(stats.shadowWouldHits).toBe(1);
		expect(stats.shadow[0].similarity).toBeGreaterThanOrEqual(0.75);
		// the exact layer still serves exact repeats
		expect((await ask(gateway, 'How can I change my password?', semantic({ shadow: true }))).cacheLayer).toBe('l1');
	});

	it('shares vectors through Redis: another worker finds the match (its index is rebuilt from Redis)', async () => {
		const policy = semantic({ redis: client });
		const first = await ask(gatewayFor(), 'How do I reset my password?', policy);
		const other = await ask(gatewayFor(), 'How can I change my password?', policy);
		expect(other).toMatchObject({ cacheLayer: 'semantic', message: first.message });
		expect(calls('/api/chat')).toBe(1);
	});

	it('keeps workflows apart in the semantic layer too', async () => {
		const gateway = gatewayFor();
		await ask(gateway, 'How do I reset my password?', semantic({ namespace: 'wf-a', redis: client }));
		expect((await ask(gateway, 'How can I change my password?', semantic({ namespace: 'wf-b', redis: client }))).cacheHit).toBe(false);
	});

	it('drops the vectors of a cleared namespace', async () => {
		const gateway = gatewayFor();
		await ask(gateway, 'How do I reset my password?', semantic({ redis: client }));
		await gateway.cache.invalidate({ namespace: 'wf' }, { redis: client });
		expect(await client.keys('*:s:*')).toEqual([]);
		expect((await ask(gatewayFor(), 'How can I change my password?', semantic({ redis: client }))).cacheHit).toBe(false);
	});

	it('goes on as an exact cache with a warning when the embedding model is missing', async () => {
		const gateway = gatewayFor();
		const policy = semantic({ embedModel: 'no-such-embedder' });
		const first = await ask(gateway, 'How do I reset my password?', policy);
		expect(first.warnings.join(' ')).toMatch(/embedding model "no-such-embedder"/);
		expect((await ask(gateway, 'How do I reset my password?', policy)).cacheLayer).toBe('l1');
	});
});

describe('embeddings cache', () => {
	it('embeds a text once per model: repeated inputs are not sent again, order is kept', async () => {
		const gateway = gatewayFor();
		const cache: CachePolicy = { mode: 'exact', namespace: 'docs', redis: client };
		const first = await gateway.embed({ model: 'nomic-embed-text', input: ['alpha', 'beta'] }, { hints: { cache } });
		sim.resetStats();
		const second = await gateway.embed({ model: 'nomic-embed-text', input: ['beta', 'gamma', 'alpha'] }, { hints: { cache } });
		expect(calls('/api/embed')).toBe(1);
		expect(sim.stats.requestsByModel['nomic-embed-text:latest']).toBe(1);
		expect(second.embeddings[0]).toEqual(first.embeddings[1]);
		expect(second.embeddings[2]).toEqual(first.embeddings[0]);
		sim.resetStats();
		const third = await gatewayFor().embed({ model: 'nomic-embed-text', input: 'gamma' }, { hints: { cache } });
		expect(calls('/api/embed')).toBe(0);
		expect(third).toMatchObject({ cacheHit: true, cacheLayer: 'l2' });
		expect(third.embeddings[0]).toEqual(second.embeddings[1]);
	});
});
