import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server';
import { createRedisClient, pingRedis, redisConfigFromCredential } from '.';

let redis: TestRedis;

beforeAll(async () => {
	redis = await startTestRedis();
});
afterAll(async () => {
	await redis?.stop();
});

describe('redis helpers against a real redis-server', () => {
	it('PINGs a live server', async () => {
		await expect(pingRedis(redis.config)).resolves.toBeUndefined();
	});

	it('fails fast and clearly when nothing listens', async () => {
		await expect(pingRedis({ host: '127.0.0.1', port: 1 })).rejects.toThrow(/ECONNREFUSED|connect/i);
	});

	it('leaves no timer behind after a refused connection (no disconnect() on an ended client)', async () => {
		const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
		const before = timers();
		await expect(pingRedis({ host: '127.0.0.1', port: 1 })).rejects.toThrow(/ECONNREFUSED/);
		await new Promise((resolve) => setImmediate(resolve));
		// ioredis' disconnect() on a closed socket arms a 2 s timer that keeps jest's worker alive.
		expect(timers()).toBeLessThanOrEqual(before);
	});

	it('writes under the key prefix from the credential', async () => {
		const config = redisConfigFromCredential({ host: redis.config.host, port: redis.config.port, keyPrefix: 'team-x:' });
		const client = createRedisClient(config);
		const raw = createRedisClient({ ...config, keyPrefix: '' });
		try {
			await client.set('k', 'v');
			expect(await raw.get('team-x:k')).toBe('v');
		} finally {
			await client.quit();
			await raw.quit();
		}
	});
});
