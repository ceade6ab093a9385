import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server';
import { closeSharedRedis, createRedisClient, queueModeRedis, queueModeRedisConfig } from '.';

describe('n8n queue mode: the default Redis', () => {
	it('is n8n\'s queue Redis, read from the same settings n8n reads, under its own prefix', () => {
		const config = queueModeRedisConfig({
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: 'redis.internal',
			QUEUE_BULL_REDIS_PORT: '6380',
			QUEUE_BULL_REDIS_DB: '2',
			QUEUE_BULL_REDIS_USERNAME: 'n8n',
			QUEUE_BULL_REDIS_PASSWORD: "'s3cret'",
			QUEUE_BULL_REDIS_TLS: 'true',
			QUEUE_BULL_REDIS_TLS_SERVERNAME: 'redis.example',
			QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE: 'false',
			QUEUE_BULL_REDIS_DUALSTACK: 'true',
			QUEUE_BULL_PREFIX: 'prod',
		});
		expect(config).toEqual({
			host: 'redis.internal',
			port: 6380,
			database: 2,
			username: 'n8n',
			password: 's3cret',
			tls: true,
			tlsOptions: { servername: 'redis.example', rejectUnauthorized: false },
			family: 0,
			keyPrefix: 'agent-team:prod:',
		});
	});

	it('uses n8n\'s defaults (localhost:6379, db 0, Bull prefix "bull") and reads <NAME>_FILE secrets', () => {
		const dir = mkdtempSync(join(tmpdir(), 'queue-mode-'));
		writeFileSync(join(dir, 'password'), 'from-a-file\n');
		const config = queueModeRedisConfig({ EXECUTIONS_MODE: 'queue', QUEUE_BULL_REDIS_PASSWORD_FILE: join(dir, 'password') });
		expect(config).toMatchObject({ host: 'localhost', port: 6379, database: 0, password: 'from-a-file', tls: false, keyPrefix: 'agent-team:bull:' });
	});

	it('is not used in regular mode, with a Redis Cluster, or when switched off', () => {
		expect(queueModeRedisConfig({})).toBeUndefined();
		expect(queueModeRedisConfig({ EXECUTIONS_MODE: 'regular', QUEUE_BULL_REDIS_HOST: 'r' })).toBeUndefined();
		expect(queueModeRedisConfig({ EXECUTIONS_MODE: 'queue', QUEUE_BULL_REDIS_CLUSTER_NODES: 'a:7000,b:7001' })).toBeUndefined();
		expect(queueModeRedisConfig({ EXECUTIONS_MODE: 'queue', N8N_AGENT_TEAM_QUEUE_REDIS: 'false' })).toBeUndefined();
	});

	describe('against a real redis-server', () => {
		let redis: TestRedis;
		beforeAll(async () => {
			redis = await startTestRedis();
		});
		afterAll(async () => {
			await closeSharedRedis();
			await redis.stop();
		});

		it('gives one shared client per process, writing beside Bull\'s keys, never over them', async () => {
			const env = { EXECUTIONS_MODE: 'queue', QUEUE_BULL_REDIS_HOST: '127.0.0.1', QUEUE_BULL_REDIS_PORT: String(redis.config.port) };
			const client = queueModeRedis(env)!;
			expect(queueModeRedis(env)).toBe(client);
			await client.set('k', 'v');
			const raw = createRedisClient({ ...redis.config, keyPrefix: '' });
			try {
				expect(await raw.get('agent-team:bull:k')).toBe('v');
				expect(await raw.keys('bull:*')).toEqual([]);
			} finally {
				await raw.quit();
			}
			expect(queueModeRedis({ ...env, EXECUTIONS_MODE: 'regular' })).toBeUndefined();
		});
	});
});
