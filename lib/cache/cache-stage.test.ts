import { closeRedisClient, createRedisClient } from '../redis';
import type { Gateway } from '../gateway';
import type { CachePolicy } from '../pipeline';
import { startTestRedis } from '../../test/helpers/redis-server';
import { useCacheTestEnv } from './test-env.fixture';

const env = useCacheTestEnv();
const MODEL = 'llama3.2:3b';
const gatewayFor = (apiKey = 'key-1') => env.gatewayFor(apiKey);
const chats = () => env.calls('/api/chat');
const ask = (gateway: Gateway, content: string, cache: CachePolicy | undefined, options: Record<string, unknown> = { temperature: 0 }, onChunk?: (t: string) => void) =>
	gateway.chat({ model: MODEL, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content }], options }, { hints: cache ? { cache } : undefined, onChunk });

describe('exact cache through the gateway', () => {
	it('answers a repeated deterministic request from L1 without a backend call, and says so', async () => {
		const gateway = gatewayFor();
		const policy: CachePolicy = { mode: 'exact', namespace: 'wf-1' };
		const first = await ask(gateway, 'What is the capital of France?', policy);
		const second = await ask(gateway, 'What is the capital of France?', policy);
		expect(chats()).toBe(1);
		expect(first.cacheHit).toBe(false);
		expect(second).toMatchObject({ cacheHit: true, cacheLayer: 'l1', message: first.message, evalMs: 0 });
		expect(gateway.cache.stats()).toMatchObject({ l1Hits: 1, misses: 1, hitRate: 0.5, stores: 1 });
	});

	it('reads L2 (Redis) from another gateway and writes the hit back to its L1', async () => {
		const policy: CachePolicy = { mode: 'exact', namespace: 'wf-1', redis: env.client };
		const first = await ask(gatewayFor(), 'Name three primes.', policy);
		const other = gatewayFor(); // same credential, fresh process memory
		const fromRedis = await ask(other, 'Name three primes.', policy);
		const fromMemory = await ask(other, 'Name three primes.', policy);
		expect(chats()).toBe(1);
		expect(fromRedis).toMatchObject({ cacheHit: true, cacheLayer: 'l2', message: first.message });
		expect(fromMemory.cacheLayer).toBe('l1');
	});

	it('an L2 hit written back to L1 expires there with the Redis entry (the expiry travels in the value)', async () => {
		const policy: CachePolicy = { mode: 'exact', namespace: 'wf-ttl', redis: env.client, ttlSeconds: 1 };
		await ask(gatewayFor(), 'Name two primes.', policy);
		const other = gatewayFor();
		expect((await ask(other, 'Name two primes.', policy)).cacheLayer).toBe('l2');
		expect((await ask(other, 'Name two primes.', policy)).cacheLayer).toBe('l1');
		await new Promise((resolve) => setTimeout(resolve, 1100));
		expect((await ask(other, 'Name two primes.', policy)).cacheHit).toBe(false);
		expect(chats()).toBe(2);
	});

	it('keeps namespaces (workflows) and credentials apart, also in a shared Redis', async () => {
		const a = gatewayFor('key-a');
		await ask(a, 'Same question', { mode: 'exact', namespace: 'wf-1', redis: env.client });
		const otherWorkflow = await ask(a, 'Same question', { mode: 'exact', namespace: 'wf-2', redis: env.client });
		const otherCredential = await ask(gatewayFor('key-b'), 'Same question', { mode: 'exact', namespace: 'wf-1', redis: env.client });
		expect(otherWorkflow.cacheHit).toBe(false);
		expect(otherCredential.cacheHit).toBe(false);
		expect(chats()).toBe(3);
	});

	it('puts neither prompt text, namespace nor secret in a Redis key', async () => {
		await ask(gatewayFor('secret-api-key-123'), 'Tell me about Zanzibar', { mode: 'exact', namespace: 'payroll-workflow', redis: env.client });
		const keys = await env.client.keys('*');
		expect(keys.filter((k) => k.startsWith('agent-team-test:c:'))).toHaveLength(1);
		for (const key of keys) {
			// entries, and the single-flight lock/result of the call
			expect(key).toMatch(/^agent-team-test:(c:[0-9a-f]{16}:[0-9a-f]{16}:[0-9a-f]{8}:[0-9a-f]{64}|sf:[0-9a-f]{64}:(lock|result))$/);
			expect(key).not.toMatch(/Zanzibar|payroll|secret|llama/i);
		}
	});

	it('only caches deterministic calls unless told to, and never a reply with tool calls unless asked', async () => {
		const gateway = gatewayFor();
		const policy: CachePolicy = { mode: 'exact', namespace: 'wf' };
		await ask(gateway, 'warm', policy, { temperature: 0.8 });
		expect((await ask(gateway, 'warm', policy, { temperature: 0.8 })).cacheHit).toBe(false);
		await ask(gateway, 'seeded', policy, { temperature: 0.8, seed: 42 });
		expect((await ask(gateway, 'seeded', policy, { temperature: 0.8, seed: 42 })).cacheHit).toBe(true);
		await ask(gateway, 'warm', { ...policy, nonDeterministic: true }, { temperature: 0.8 });
		expect((await ask(gateway, 'warm', { ...policy, nonDeterministic: true }, { temperature: 0.8 })).cacheHit).toBe(true);

		await fetch(`${env.sim.url}/_sim/scripts`, { method: 'POST', body: JSON.stringify({ match: 'weather', toolCalls: [{ name: 'weather', arguments: { city: 'Oslo' } }] }) });
		await ask(gateway, 'weather in Oslo?', policy);
		expect((await ask(gateway, 'weather in Oslo?', policy)).cacheHit).toBe(false);
		await ask(gateway, 'weather in Oslo?', { ...policy, toolCalls: true });
		expect((await ask(gateway, 'weather in Oslo?', { ...policy, toolCalls: true })).message.tool_calls).toHaveLength(1);
		expect(gateway.cache.stats().bypassed).toBe(2);
	});

	it('keys on everything that changes the answer: options, system prompt, format, model', async () => {
		const gateway = gatewayFor();
		const policy: CachePolicy = { mode: 'exact', namespace: 'wf' };
		await ask(gateway, 'q', policy, { temperature: 0 });
		expect((await ask(gateway, 'q', policy, { temperature: 0, num_predict: 5 })).cacheHit).toBe(false);
		expect((await ask(gateway, 'q', policy, { temperature: 0, num_thread: 8 })).cacheHit).toBe(true); // speed only
		const other = await gateway.chat({ model: MODEL, messages: [{ role: 'system', content: 'Be long.' }, { role: 'user', content: 'q' }], options: { temperature: 0 } }, { hints: { cache: policy } });
		expect(other.cacheHit).toBe(false);
		const json = await gateway.chat({ model: MODEL, format: 'json', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'q' }], options: { temperature: 0 } }, { hints: { cache: policy } });
		expect(json.cacheHit).toBe(false);
		const otherModel = await gateway.chat({ model: 'qwen2.5:0.5b', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'q' }], options: { temperature: 0 } }, { hints: { cache: policy } });
		expect(otherModel.cacheHit).toBe(false);
	});

	it('does nothing without a cache policy (the item opted out)', async () => {
		const gateway = gatewayFor();
		await ask(gateway, 'private', undefined);
		await ask(gateway, 'private', undefined);
		expect(chats()).toBe(2);
		expect(gateway.cache.stats().stores).toBe(0);
	});

	it('replays a cached answer as chunks to a streaming caller', async () => {
		const gateway = gatewayFor();
		const policy: CachePolicy = { mode: 'exact', namespace: 'wf' };
		const live: string[] = [];
		const first = await ask(gateway, 'Stream me a story', policy, { temperature: 0 }, (t) => live.push(t));
		const replayed: string[] = [];
		const second = await ask(gateway, 'Stream me a story', policy, { temperature: 0 }, (t) => replayed.push(t));
		expect(second.cacheHit).toBe(true);
		expect(replayed.length).toBeGreaterThan(1);
		expect(replayed.join('')).toBe(first.message.content);
		expect(live.join('')).toBe(first.message.content);
	});

	it('never stores a truncated stream', async () => {
		const gateway = gatewayFor();
		const policy: CachePolicy = { mode: 'exact', namespace: 'wf' };
		await fetch(`${env.sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ dropMidStreamRate: 1 }) });
		try {
			await expect(ask(gateway, 'Tell me something long', policy)).rejects.toThrow();
		} finally {
			await fetch(`${env.sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ dropMidStreamRate: 0 }) });
		}
		expect(gateway.cache.stats().stores).toBe(0);
		expect((await ask(gateway, 'Tell me something long', policy)).cacheHit).toBe(false);
	});

	it('sets the TTL per entry in Redis and compresses large values (not small ones)', async () => {
		const gateway = gatewayFor();
		await ask(gateway, 'short lived', { mode: 'exact', namespace: 'wf', redis: env.client, ttlSeconds: 5 });
		const [key] = await env.client.keys('agent-team-test:c:*');
		const unprefixed = key.replace('agent-team-test:', '');
		expect(await env.client.pttl(unprefixed)).toBeGreaterThan(3000);
		expect(await env.client.pttl(unprefixed)).toBeLessThanOrEqual(5000);

		await fetch(`${env.sim.url}/_sim/scripts`, { method: 'POST', body: JSON.stringify({ match: 'long answer', reply: 'All work and no play. '.repeat(500) }) });
		const long = await ask(gateway, 'a long answer please', { mode: 'exact', namespace: 'wf-long', redis: env.client });
		const raw = (await env.client.getBuffer((await env.client.keys('agent-team-test:c:*')).find((k) => k !== key)!.replace('agent-team-test:', '')))!;
		expect(raw[0] & 1).toBe(1); // deflated
		expect(raw.length).toBeLessThan(JSON.stringify(long).length);
		expect((await env.client.getBuffer(unprefixed))![0] & 1).toBe(0); // the short answer is stored as it is
	});

	it('encrypts values at rest: no answer text in Redis, and a wrong key reads as a miss with a warning', async () => {
		const policy: CachePolicy = { mode: 'exact', namespace: 'wf', redis: env.client, encryptionKey: 'k'.repeat(32) };
		const first = await ask(gatewayFor(), 'Encrypt me', policy);
		const [key] = await env.client.keys('agent-team-test:c:*');
		const raw = (await env.client.getBuffer(key.replace('agent-team-test:', '')))!;
		expect(raw.toString('latin1')).not.toContain(first.message.content.slice(0, 20));
		expect((await ask(gatewayFor(), 'Encrypt me', policy)).cacheLayer).toBe('l2');
		const wrong = await ask(gatewayFor(), 'Encrypt me', { ...policy, encryptionKey: 'another key' });
		expect(wrong.cacheHit).toBe(false);
		expect(wrong.warnings.join(' ')).toMatch(/could not be read/);
	});
});

describe('invalidation and stats', () => {
	it('invalidates by namespace, model and age, in L1 and Redis', async () => {
		const gateway = gatewayFor();
		const p1: CachePolicy = { mode: 'exact', namespace: 'wf-1', redis: env.client };
		const p2: CachePolicy = { mode: 'exact', namespace: 'wf-2', redis: env.client };
		await ask(gateway, 'a', p1);
		await ask(gateway, 'b', p2);
		expect((await gateway.cache.invalidate({ namespace: 'wf-1', olderThanSeconds: 3600 }, { redis: env.client })).removed).toBe(0);
		expect((await gateway.cache.invalidate({ namespace: 'wf-1' }, { redis: env.client })).removed).toBe(1);
		expect((await ask(gateway, 'a', p1)).cacheHit).toBe(false);
		expect((await ask(gateway, 'b', p2)).cacheHit).toBe(true);
		await gateway.cache.invalidate({ model: 'qwen2.5:0.5b' }, { redis: env.client });
		expect((await ask(gateway, 'b', p2)).cacheHit).toBe(true);
		await gateway.cache.invalidate({ model: MODEL }, { redis: env.client });
		expect((await ask(gateway, 'b', p2)).cacheHit).toBe(false);
		expect(gateway.cache.stats().invalidated).toBe(3); // wf-1's "a", then "a" (asked again) and "b" of the model
	});
});

describe('Redis down or slow', () => {
	it('treats a Redis that does not answer within its budget as down: the answer comes at once, with a warning', async () => {
		const gateway = gatewayFor();
		const policy: CachePolicy = { mode: 'exact', namespace: 'wf', redis: env.client };
		await ask(gateway, 'warm up the digests', policy);
		const blocker = createRedisClient(env.redis.config, { lazyConnect: false });
		try {
			// a script that spins for 1.5 s: Redis answers nobody meanwhile
			const spin = "local t=redis.call('TIME') local s=t[1]*1000000+t[2] while true do local n=redis.call('TIME') if n[1]*1000000+n[2]-s>1500000 then break end end return 1";
			const sleeping = blocker.eval(spin, 0);
			await new Promise((resolve) => setTimeout(resolve, 50));
			const started = performance.now();
			const slow = await ask(gateway, 'while Redis is stuck', policy);
			expect(performance.now() - started).toBeLessThan(1200);
			expect(slow.warnings.join(' ')).toMatch(/Redis cache unavailable \(timeout after 250 ms\)/);
			await sleeping;
		} finally {
			await closeRedisClient(blocker);
		}
	});


	it('degrades to L1 with a warning while Redis is stopped and uses Redis again once it is back', async () => {
		const own = await startTestRedis();
		const port = own.config.port;
		const shared = createRedisClient(own.config, { lazyConnect: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
		shared.on('error', () => undefined);
		try {
			const gateway = gatewayFor();
			const policy: CachePolicy = { mode: 'exact', namespace: 'wf', redis: shared };
			await ask(gateway, 'before', policy);
			await own.stop();
			const during = await ask(gateway, 'during the outage', policy);
			expect(during.warnings.join(' ')).toMatch(/Redis cache unavailable/);
			expect(during.warnings.join(' ')).not.toContain(String(port));
			const again = await ask(gateway, 'during the outage', policy); // L1 still serves
			expect(again).toMatchObject({ cacheHit: true, cacheLayer: 'l1' });

			const restarted = await startTestRedis({ port });
			try {
				await new Promise((resolve) => setTimeout(resolve, 1500)); // backoff + ioredis reconnect
				let after = await ask(gateway, 'after', policy);
				for (let i = 0; i < 20 && after.warnings.length; i++) {
					await new Promise((resolve) => setTimeout(resolve, 250));
					after = await ask(gateway, `after ${i}`, policy);
				}
				expect(after.warnings).toEqual([]);
				expect(await shared.dbsize()).toBeGreaterThan(0);
			} finally {
				await restarted.stop();
			}
		} finally {
			shared.disconnect();
		}
	});
});
