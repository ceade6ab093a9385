import type { Redis } from 'ioredis';

import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server';
import type { BackendHealth } from '../balancer/health';
import { newCounters } from '../cache/stats';
import { createRedisClient } from '../redis';
import { testRecord } from './call-record.fixture';
import { collectGatewayMetrics, type MetricsSource } from './gateway-metrics';
import { processMetrics } from './process-metrics';
import { toPrometheusText } from './prometheus';
import { RedisMetricsStore } from './redis-metrics';

let server: TestRedis;
const clients: Redis[] = [];
const client = () => {
	const redis = createRedisClient(server.config);
	clients.push(redis);
	return redis;
};

const gateway: MetricsSource = {
	balancer: { health: () => [{ backend: 'gpu-1', up: true, circuit: 'closed', inFlight: 0, weight: 1, configuredSlots: 2, models: [], requests: 1, errors: 0, errorRate: 0, strategy: 'default' } as BackendHealth] },
	cache: { stats: () => ({ ...newCounters(), l1Hits: 3, misses: 1 }) },
	profile: 'production',
};

beforeAll(async () => {
	server = await startTestRedis();
});
afterEach(() => processMetrics().reset());
afterAll(async () => {
	await Promise.all(clients.map((c) => c.quit()));
	await server?.stop();
});

describe('collectGatewayMetrics', () => {
	it('without Redis: this process\'s calls, scope "process"; a configured backend without calls is there at 0', async () => {
		processMetrics().record(testRecord({ backend: 'gpu-x' }));
		const metrics = await collectGatewayMetrics(gateway);
		expect(metrics).toMatchObject({ scope: 'process', profile: 'production', calls: { byBackend: { 'gpu-x': { calls: 1 }, 'gpu-1': { calls: 0, errors: 0 } } }, cache: { l1Hits: 3, misses: 1 } });
		expect(toPrometheusText(metrics)).toContain('agent_team_backend_calls_total{backend="gpu-1"} 0\n');
	});

	it('with Redis: every worker\'s calls (scope "cluster"), not only this process\'s', async () => {
		const workerA = new RedisMetricsStore(client());
		const workerB = new RedisMetricsStore(client());
		await workerA.record(testRecord({ backend: 'gpu-1' }));
		await workerB.record(testRecord({ backend: 'gpu-2', ok: false, error: 'TIMEOUT' }));
		processMetrics().record(testRecord({ backend: 'only-here' }));
		const metrics = await collectGatewayMetrics(gateway, client());
		expect(metrics.scope).toBe('cluster');
		expect(Object.keys(metrics.calls.byBackend).sort()).toEqual(['gpu-1', 'gpu-2']); // not "only-here"
		expect(metrics.calls.byBackend['gpu-1'].calls).toBe(1);
		expect({ ...metrics.calls.errorsByKind }).toEqual({ TIMEOUT: 1 });
		const text = toPrometheusText(metrics);
		expect(text).toContain('agent_team_info{scope="cluster",profile="production"} 1\n');
		expect(text).toContain('agent_team_errors_total{kind="TIMEOUT"} 1\n');
		await workerA.reset();
	});
});
