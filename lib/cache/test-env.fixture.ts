// Test support for the cache tests (not part of lib/cache's interface): a simulator, a private
// Redis with one client, and gateways on the simulator that are closed after each test.
import type Redis from 'ioredis';

import { Gateway } from '../gateway';
import { closeRedisClient, createRedisClient } from '../redis';
import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server';
import { startSimulator, type Simulator } from '../../test/simulator';

export interface CacheTestEnv {
	sim: Simulator;
	redis: TestRedis;
	client: Redis;
	/** A gateway on the simulator (closed after the test); `apiKey` tells credentials apart. */
	gatewayFor(apiKey?: string): Gateway;
	/** Requests the simulator got on an endpoint since the test began. */
	calls(endpoint: string): number;
}

/** Registers beforeAll/afterEach/afterAll hooks and returns the environment they fill in. */
export function useCacheTestEnv(): CacheTestEnv {
	const gateways: Gateway[] = [];
	const env = {
		gatewayFor(apiKey?: string) {
			const gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: env.sim.url, weight: 1, parallel: 4 }], apiKey });
			gateways.push(gateway);
			return gateway;
		},
		calls: (endpoint: string) => env.sim.stats.requestsByEndpoint[endpoint] ?? 0,
	} as CacheTestEnv;
	beforeAll(async () => {
		env.sim = await startSimulator({ timeScale: 0, parallel: 4 });
		env.redis = await startTestRedis();
		env.client = createRedisClient(env.redis.config, { lazyConnect: false });
	});
	afterEach(async () => {
		await Promise.all(gateways.splice(0).map((g) => g.close()));
		await env.client.flushdb();
		env.sim.resetStats();
		env.sim.clearScripts();
	});
	afterAll(async () => {
		await closeRedisClient(env.client);
		await env.redis.stop();
		await env.sim.close();
	});
	return env;
}
