import type { Redis } from 'ioredis';

import type { BackendHealth } from '../balancer/health';
import type { CacheCounters } from '../cache/stats';
import { processMetrics } from './process-metrics';
import type { GatewayMetrics } from './prometheus';
import { RedisMetricsStore } from './redis-metrics';

/** What the Metrics operation reads from a gateway (lib/gateway's Gateway has all of it). */
export interface MetricsSource {
	balancer: { health(): BackendHealth[] };
	cache: { stats(): CacheCounters };
	profile?: string;
}

/**
 * One snapshot of everything the Metrics operation exports: call aggregates of this process,
 * or of every worker when `redis` is given (the Team Agent and Orchestrator record into the
 * same Redis store), plus this process's queue, gateway cache counters and backend health.
 */
export async function collectGatewayMetrics(gateway: MetricsSource, redis?: Redis): Promise<GatewayMetrics> {
	const local = processMetrics().snapshot();
	const calls = redis ? await new RedisMetricsStore(redis).snapshot() : local;
	const c = gateway.cache.stats();
	const metrics: GatewayMetrics = {
		scope: redis ? 'cluster' : 'process',
		calls: { since: calls.since, byBackend: calls.byBackend, byModel: calls.byModel, ...(calls.errorsByKind ? { errorsByKind: calls.errorsByKind } : {}) },
		cache: {
			l1Hits: c.l1Hits,
			l2Hits: c.l2Hits,
			semanticHits: c.semanticHits,
			singleFlightJoins: c.singleFlightJoins,
			misses: c.misses,
			embeddingHits: c.embeddingHits,
			embeddingMisses: c.embeddingMisses,
			stores: c.stores,
		},
		backends: gateway.balancer.health(),
	};
	if (local.queue) metrics.queue = local.queue;
	if (gateway.profile) metrics.profile = gateway.profile;
	return metrics;
}
