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
	const backends = gateway.balancer.health();
	// Every configured backend has its counters from the start (at 0), as Prometheus advises for
	// known label values: a rate over a window that begins before its first call is then exact.
	const byBackend = { ...calls.byBackend };
	for (const b of backends) byBackend[b.backend] ??= { calls: 0, errors: 0, cacheHits: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0, latencyMs: { p50: null, p95: null, samples: 0 } };
	const metrics: GatewayMetrics = {
		scope: redis ? 'cluster' : 'process',
		calls: { since: calls.since, byBackend, byModel: calls.byModel, ...(calls.errorsByKind ? { errorsByKind: calls.errorsByKind } : {}) },
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
		backends,
	};
	if (local.queue) metrics.queue = local.queue;
	if (gateway.profile) metrics.profile = gateway.profile;
	return metrics;
}
