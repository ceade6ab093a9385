import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server';
import { createRedisClient } from '../redis';
import { InMemoryConversationStore, RedisConversationStore, type ConversationStore } from '.';
import type Redis from 'ioredis';

let redis: TestRedis;
let clients: Redis[] = [];

beforeAll(async () => {
	redis = await startTestRedis();
});
afterEach(async () => {
	await Promise.all(clients.map((c) => c.quit()));
	clients = [];
});
afterAll(async () => redis?.stop());

const client = () => {
	const c = createRedisClient(redis.config);
	clients.push(c);
	return c;
};

const stores: Array<[string, () => ConversationStore, () => ConversationStore]> = [
	['memory', () => new InMemoryConversationStore({ maxMessages: 4, ttlSeconds: 0 }), () => new InMemoryConversationStore({ maxMessages: 4, ttlSeconds: 0 })],
	['redis', () => new RedisConversationStore(client(), { maxMessages: 4, ttlSeconds: 60 }), () => new RedisConversationStore(client(), { maxMessages: 4, ttlSeconds: 60 })],
];

describe.each(stores)('%s conversation store', (kind, make, makeOther) => {
	it('appends, loads in order, caps per session and keeps sessions apart', async () => {
		const store = make();
		const session = `s-${kind}-${Date.now()}`;
		await store.append(session, [{ role: 'user', content: 'one' }, { role: 'assistant', content: 'two' }]);
		await store.append(session, [{ role: 'user', content: 'three' }, { role: 'assistant', content: 'four' }, { role: 'user', content: 'five' }]);
		expect((await store.load(session)).map((m) => m.content)).toEqual(['two', 'three', 'four', 'five']);
		expect(await store.load(`${session}-other`)).toEqual([]);
		await store.clear(session);
		expect(await store.load(session)).toEqual([]);
	});

	it('keeps tool calls intact', async () => {
		const store = make();
		const message = { role: 'assistant', content: '', tool_calls: [{ function: { name: 'calc', arguments: { a: 1 } } }] };
		await store.append('tools', [message]);
		expect(await store.load('tools')).toEqual([message]);
		await store.clear('tools');
	});

	if (kind === 'redis') {
		it('is shared between workers (two clients) and expires idle sessions', async () => {
			const a = make();
			const b = makeOther();
			await a.append('shared', [{ role: 'user', content: 'from worker A' }]);
			expect((await b.load('shared'))[0].content).toBe('from worker A');
			const ttl = await client().ttl('memory:shared');
			expect(ttl).toBeGreaterThan(0);
			expect(ttl).toBeLessThanOrEqual(60);
			await a.clear('shared');
		});
	}
});
