import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server';
import { closeRedisClient, createRedisClient } from '../redis';
import { InMemoryConversationStore, RedisConversationStore, type ConversationStore, type SessionRef } from '.';
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

const client = (keyPrefix = redis.config.keyPrefix) => {
	const c = createRedisClient({ ...redis.config, keyPrefix });
	clients.push(c);
	return c;
};
const inWorkflow = (workflowId: string, sessionKey: string): SessionRef => ({ workflowId, sessionKey });

const stores: Array<[string, () => ConversationStore, () => ConversationStore]> = [
	['memory', () => new InMemoryConversationStore({ maxMessages: 4, ttlSeconds: 0 }), () => new InMemoryConversationStore({ maxMessages: 4, ttlSeconds: 0 })],
	['redis', () => new RedisConversationStore(client(), { maxMessages: 4, ttlSeconds: 60 }), () => new RedisConversationStore(client(), { maxMessages: 4, ttlSeconds: 60 })],
];

describe.each(stores)('%s conversation store', (kind, make, makeOther) => {
	it('appends, loads in order, caps per session and keeps sessions apart', async () => {
		const store = make();
		const session = inWorkflow('wf-1', `s-${kind}-${Date.now()}`);
		await store.append(session, [{ role: 'user', content: 'one' }, { role: 'assistant', content: 'two' }]);
		await store.append(session, [{ role: 'user', content: 'three' }, { role: 'assistant', content: 'four' }, { role: 'user', content: 'five' }]);
		expect((await store.load(session)).map((m) => m.content)).toEqual(['two', 'three', 'four', 'five']);
		expect(await store.load({ ...session, sessionKey: `${session.sessionKey}-other` })).toEqual([]);
		await store.clear(session);
		expect(await store.load(session)).toEqual([]);
	});

	it('keeps tool calls intact', async () => {
		const store = make();
		const message = { role: 'assistant', content: '', tool_calls: [{ function: { name: 'calc', arguments: { a: 1 } } }] };
		await store.append(inWorkflow('wf-1', 'tools'), [message]);
		expect(await store.load(inWorkflow('wf-1', 'tools'))).toEqual([message]);
		await store.clear(inWorkflow('wf-1', 'tools'));
	});

	it('scopes a session key to its workflow; sharing across workflows is a separate, explicit scope', async () => {
		const store = make();
		await store.append(inWorkflow('A', 'user-1'), [{ role: 'user', content: 'secret of workflow A' }]);
		expect(await store.load(inWorkflow('B', 'user-1'))).toEqual([]);
		expect(await store.load({ sessionKey: 'user-1' })).toEqual([]);
		await store.append({ sessionKey: 'user-1' }, [{ role: 'user', content: 'shared on purpose' }]);
		expect((await makeOther().load({ sessionKey: 'user-1' })).map((m) => m.content)).toEqual(kind === 'redis' ? ['shared on purpose'] : []);
		expect((await store.load({ sessionKey: 'user-1' })).map((m) => m.content)).toEqual(['shared on purpose']);
		expect((await store.load(inWorkflow('A', 'user-1'))).map((m) => m.content)).toEqual(['secret of workflow A']);
	});

	it('a session key with ":", "*" or a newline cannot reach another workflow\'s or session\'s conversation', async () => {
		const store = make();
		await store.append(inWorkflow('B', 'user-1'), [{ role: 'user', content: 'B private' }]);
		for (const evil of ['x:wf:B:user-1', '*', 'user-1\n', 'B:user-1', '../B/user-1']) {
			expect(await store.load(inWorkflow('A', evil))).toEqual([]);
			expect(await store.load({ sessionKey: evil })).toEqual([]);
		}
		await store.append(inWorkflow('A', 'a:b*c\nd'), [{ role: 'user', content: 'odd key' }]);
		expect((await store.load(inWorkflow('A', 'a:b*c\nd'))).map((m) => m.content)).toEqual(['odd key']);
	});

	if (kind === 'redis') {
		it('is shared between workers (two clients) and expires idle sessions', async () => {
			const a = make();
			const b = makeOther();
			await a.append(inWorkflow('wf-1', 'shared'), [{ role: 'user', content: 'from worker A' }]);
			expect((await b.load(inWorkflow('wf-1', 'shared')))[0].content).toBe('from worker A');
			const ttl = await client().ttl('memory:wf:wf-1:shared');
			expect(ttl).toBeGreaterThan(0);
			expect(ttl).toBeLessThanOrEqual(60);
			await a.clear(inWorkflow('wf-1', 'shared'));
		});

		it('writes keys as prefix + workflow + session, each part encoded (no ":", "*", whitespace)', async () => {
			const prefix = `scoped-${Date.now()}:`;
			const store = new RedisConversationStore(client(prefix));
			await store.append(inWorkflow('wf:9*', 'a:b*c\nd e'), [{ role: 'user', content: 'x' }]);
			await store.append({ sessionKey: 'user:*' }, [{ role: 'user', content: 'y' }]);
			const keys = (await client('').keys(`${prefix}*`)).sort();
			expect(keys).toEqual([`${prefix}memory:shared:user%3A%2A`, `${prefix}memory:wf:wf%3A9%2A:a%3Ab%2Ac%0Ad%20e`]);
		});
	}
});

describe('redis conversation store errors', () => {
	it('say that the conversation memory in Redis failed (not only ioredis\' retry text), never the password', async () => {
		const down = createRedisClient({ host: '127.0.0.1', port: 1, password: 'pw-secret-x9' }, { maxRetriesPerRequest: 0, retryStrategy: () => null });
		down.on('error', () => undefined);
		const store = new RedisConversationStore(down);
		const failure = await store.load({ workflowId: 'wf', sessionKey: 'u' }).catch((error: Error) => error);
		expect((failure as Error).message).toMatch(/^Conversation memory in Redis could not be read: /);
		expect((failure as Error).message).not.toContain('pw-secret-x9');
		await closeRedisClient(down);
	});
});
