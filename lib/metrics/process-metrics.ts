import type { CallRecord } from './call-record';
import { LatencyWindow, validWindow } from './latency-window';
import { latencyPercentiles } from './percentile';
import {
	addCounts,
	countsOf,
	emptyCounts,
	statsRecord,
	toStats,
	type AggregateCounts,
	type AggregateStats,
	type MetricsSnapshot,
	type QueueCounters,
	type QueueSnapshot,
} from './snapshot';

export const DEFAULT_LATENCY_WINDOW = 1000;
/** Backend or model names kept per kind; model names come from expressions, so they must be bounded. */
export const DEFAULT_MAX_NAMES = 256;
/** Where calls for names past the bound are counted. */
export const OTHER_NAME = '(other)';

export interface ProcessMetricsOptions {
	/** Latencies kept per backend and per model for percentiles (default 1,000). */
	window?: number;
	/** Distinct names kept per kind (default 256); calls for later new names count under "(other)". */
	maxNames?: number;
}

/** What a gateway queue reports (lib/scheduler's stage); typed here so metrics need not import the scheduler. */
export interface QueueSource {
	stats(): QueueCounters;
	/** Queue waits (ms) of the calls it dispatched last (a bounded window). */
	waitSamples(): number[];
}

const QUEUE_COUNTERS = ['waiting', 'running', 'dispatched', 'rejectedFull', 'timedOut', 'aborted', 'requeued'] as const;

interface Aggregate {
	counts: AggregateCounts;
	latencies: LatencyWindow;
}

/** Aggregates of every call made in this process, per backend and per model. */
export class ProcessMetrics {
	private readonly window: number;
	private readonly maxNames: number;
	private readonly byBackend = new Map<string, Aggregate>();
	private readonly byModel = new Map<string, Aggregate>();
	private readonly errorsByKind = new Map<string, number>();
	/** Prompt + reply tokens of the latest successful model calls, per model (Plan Capacity sizes num_ctx from them). */
	private readonly tokensByModel = new Map<string, LatencyWindow>();
	private since: Date | null = null;
	private readonly queues = new Set<QueueSource>();

	constructor(options: ProcessMetricsOptions = {}) {
		this.window = validWindow(options.window ?? DEFAULT_LATENCY_WINDOW);
		this.maxNames = validWindow(options.maxNames ?? DEFAULT_MAX_NAMES);
	}

	record(record: CallRecord): void {
		this.since ??= new Date();
		const counts = countsOf(record);
		this.add(this.byBackend, record.backend, counts, record.latencyMs);
		this.add(this.byModel, record.model, counts, record.latencyMs);
		if (record.ok && !record.cacheHit) {
			const key = this.tokensByModel.has(record.model) || this.tokensByModel.size < this.maxNames ? record.model : OTHER_NAME;
			let window = this.tokensByModel.get(key);
			if (!window) this.tokensByModel.set(key, (window = new LatencyWindow(this.window)));
			window.push(record.promptTokens + record.completionTokens);
		}
		if (!record.ok) {
			const kind = record.error ?? 'Error';
			const key = this.errorsByKind.has(kind) || this.errorsByKind.size < this.maxNames ? kind : OTHER_NAME;
			this.errorsByKind.set(key, (this.errorsByKind.get(key) ?? 0) + 1);
		}
	}

	snapshot(): MetricsSnapshot {
		const snapshot: MetricsSnapshot = {
			since: this.since?.toISOString() ?? null,
			byBackend: toStatsRecord(this.byBackend),
			byModel: toStatsRecord(this.byModel),
		};
		if (this.queues.size > 0) snapshot.queue = this.queueSnapshot();
		if (this.errorsByKind.size > 0) snapshot.errorsByKind = Object.assign(Object.create(null) as Record<string, number>, Object.fromEntries(this.errorsByKind));
		return snapshot;
	}

	/**
	 * Counts a gateway's queue (depth, refusals, wait times) in `snapshot().queue` until the
	 * returned function is called (the gateway's close). The numbers are read when a snapshot is
	 * taken, so the call path pays nothing for them.
	 */
	trackQueue(source: QueueSource): () => void {
		this.queues.add(source);
		return () => {
			this.queues.delete(source);
		};
	}

	private queueSnapshot(): QueueSnapshot {
		const total: Omit<QueueSnapshot, 'waitMs'> = { gateways: this.queues.size, waiting: 0, maxWaiting: 0, running: 0, dispatched: 0, rejectedFull: 0, timedOut: 0, aborted: 0, requeued: 0 };
		const waits: number[] = [];
		for (const queue of this.queues) {
			const stats = queue.stats();
			for (const field of QUEUE_COUNTERS) total[field] += stats[field];
			total.maxWaiting = Math.max(total.maxWaiting, stats.maxWaiting);
			for (const ms of queue.waitSamples()) waits.push(ms);
		}
		return { ...total, waitMs: { ...latencyPercentiles(waits), samples: waits.length } };
	}

	/** Nearest-rank percentiles of prompt + reply tokens of the model's latest calls (answered by a model, not a cache). */
	tokenPercentiles(model: string): { p50: number | null; p95: number | null; max: number | null; samples: number } {
		const values = this.tokensByModel.get(model)?.values() ?? [];
		return { ...latencyPercentiles(values), samples: values.length };
	}

	/** Clears the per-backend and per-model aggregates; queue counters belong to the gateways and stay. */
	reset(): void {
		this.byBackend.clear();
		this.byModel.clear();
		this.errorsByKind.clear();
		this.tokensByModel.clear();
		this.since = null;
	}

	private add(into: Map<string, Aggregate>, name: string, counts: AggregateCounts, latencyMs: number): void {
		const key = into.has(name) || into.size < this.maxNames ? name : OTHER_NAME;
		let aggregate = into.get(key);
		if (!aggregate) into.set(key, (aggregate = { counts: emptyCounts(), latencies: new LatencyWindow(this.window) }));
		addCounts(aggregate.counts, counts);
		aggregate.latencies.push(latencyMs);
	}
}

function toStatsRecord(aggregates: Map<string, Aggregate>): Record<string, AggregateStats> {
	const result = statsRecord();
	for (const [key, { counts, latencies }] of aggregates) result[key] = toStats({ ...counts }, latencies.values());
	return result;
}

// On globalThis so every node of this package shares one instance even if n8n loads our files
// through more than one module instance (as the gateway registry does).
const SHARED_KEY = Symbol.for('n8n-nodes-agent-team.metrics');

/** The one ProcessMetrics every node in this process records into. */
export function processMetrics(): ProcessMetrics {
	const store = globalThis as Record<symbol, unknown>;
	let shared = store[SHARED_KEY] as ProcessMetrics | undefined;
	if (!shared) store[SHARED_KEY] = shared = new ProcessMetrics();
	return shared;
}
