import type { CallRecord } from './call-record';
import { latencyPercentiles } from './percentile';

/** The counters kept per backend and per model. */
export interface AggregateCounts {
	calls: number;
	errors: number;
	cacheHits: number;
	promptTokens: number;
	completionTokens: number;
}

export interface AggregateStats extends AggregateCounts {
	totalTokens: number;
	/** Nearest-rank percentiles over the latest `samples` latencies (a bounded window), in ms. */
	latencyMs: { p50: number | null; p95: number | null; samples: number };
}

/** A gateway queue's counters (lib/scheduler reports them; metrics sums them over gateways). */
export interface QueueCounters {
	/** Calls waiting for a backend slot now, and the most that ever waited at once. */
	waiting: number;
	maxWaiting: number;
	/** Calls sent to a backend (holding a lease) and not yet answered. */
	running: number;
	dispatched: number;
	/** Refused because the queue was full / gave up waiting / cancelled while waiting. */
	rejectedFull: number;
	timedOut: number;
	aborted: number;
	/** Attempts put back at the front after a retryable failure (e.g. 503). */
	requeued: number;
}

/** The gateway queues of this process (lib/scheduler), summed over every gateway (one per cluster credential); `maxWaiting` is the most in one gateway. */
export interface QueueSnapshot extends QueueCounters {
	/** Gateways whose queue is counted. */
	gateways: number;
	/** Time recent calls waited in the queue for a slot (nearest rank, ms). */
	waitMs: { p50: number | null; p95: number | null; max: number | null; samples: number };
}

/** Same shape for one process (ProcessMetrics) and for all workers (RedisMetricsStore). */
export interface MetricsSnapshot {
	/** ISO time of the first call counted since start or the last reset; null before any. */
	since: string | null;
	byBackend: Record<string, AggregateStats>;
	byModel: Record<string, AggregateStats>;
	/** This process's gateway queues (ProcessMetrics only, while at least one gateway is open: a queue is per process). */
	queue?: QueueSnapshot;
	/** Failed calls by error kind (code or class, see `errorLabel`); present once a call failed. Kinds are bounded like names. */
	errorsByKind?: Record<string, number>;
}

export const COUNTER_FIELDS = ['calls', 'errors', 'cacheHits', 'promptTokens', 'completionTokens'] as const;

export function emptyCounts(): AggregateCounts {
	return { calls: 0, errors: 0, cacheHits: 0, promptTokens: 0, completionTokens: 0 };
}

/** How much one record adds to each counter; tokens rounded since Redis counters are integers. */
export function countsOf(record: CallRecord): AggregateCounts {
	return {
		calls: 1,
		errors: record.ok ? 0 : 1,
		cacheHits: record.cacheHit ? 1 : 0,
		promptTokens: Math.round(record.promptTokens),
		completionTokens: Math.round(record.completionTokens),
	};
}

export function addCounts(into: AggregateCounts, add: AggregateCounts): void {
	for (const field of COUNTER_FIELDS) into[field] += add[field];
}

export function toStats(counts: AggregateCounts, latenciesMs: readonly number[]): AggregateStats {
	const { p50, p95 } = latencyPercentiles(latenciesMs);
	return {
		...counts,
		totalTokens: counts.promptTokens + counts.completionTokens,
		latencyMs: { p50, p95, samples: latenciesMs.length },
	};
}

/** A plain map keyed by backend/model name; null prototype so any name is an ordinary key. */
export function statsRecord(): Record<string, AggregateStats> {
	return Object.create(null) as Record<string, AggregateStats>;
}
