import type { ChainableCommander, Redis } from 'ioredis';

import type { CallRecord } from './call-record';
import { validWindow } from './latency-window';
import { DEFAULT_LATENCY_WINDOW } from './process-metrics';
import { decodeName, encodeName, MetricKeys, type MetricKind } from './redis-keys';
import {
	COUNTER_FIELDS,
	countsOf,
	emptyCounts,
	statsRecord,
	toStats,
	type AggregateCounts,
	type AggregateStats,
	type MetricsSnapshot,
} from './snapshot';

export interface RedisMetricsOptions {
	/** Key namespace under the client's keyPrefix (default 'metrics'). */
	namespace?: string;
	/** Latencies kept per backend and per model, across all workers (default 1,000). */
	window?: number;
}

const KINDS: readonly MetricKind[] = ['backend', 'model'];
const SCAN_BATCH = 500;

/**
 * The process aggregates, kept in Redis so every n8n queue-mode worker adds to the same numbers.
 * Only counters, latencies and backend/model names are written: no prompt text, no secrets.
 * Keys do not expire; `reset()` clears them.
 */
export class RedisMetricsStore {
	private readonly keys: MetricKeys;
	private readonly window: number;

	constructor(
		private readonly redis: Redis,
		options: RedisMetricsOptions = {},
	) {
		this.keys = new MetricKeys(options.namespace ?? 'metrics');
		this.window = validWindow(options.window ?? DEFAULT_LATENCY_WINDOW);
	}

	/** Adds one call, in a single pipelined round trip. */
	async record(record: CallRecord): Promise<void> {
		const counts = countsOf(record);
		const latency = String(Math.round(record.latencyMs * 10) / 10);
		const pipeline = this.redis.pipeline();
		pipeline.set(this.keys.since, String(Date.now()), 'NX');
		for (const kind of KINDS) {
			const name = encodeName(kind === 'backend' ? record.backend : record.model);
			const counters = this.keys.counters(kind, name);
			for (const field of COUNTER_FIELDS) {
				if (counts[field] !== 0) pipeline.hincrby(counters, field, counts[field]);
			}
			pipeline.lpush(this.keys.latencies(kind, name), latency);
			pipeline.ltrim(this.keys.latencies(kind, name), 0, this.window - 1);
			pipeline.sadd(this.keys.index(kind), name);
		}
		await execOrThrow(pipeline);
	}

	/** Totals across every worker that records into this Redis and namespace (two round trips). */
	async snapshot(): Promise<MetricsSnapshot> {
		const [backends, models, since] = (await execOrThrow(
			this.redis
				.pipeline()
				.smembers(this.keys.index('backend'))
				.smembers(this.keys.index('model'))
				.get(this.keys.since),
		)) as [string[], string[], string | null];

		const read = this.redis.pipeline();
		const wanted: Array<{ kind: MetricKind; name: string }> = [];
		for (const [kind, names] of [['backend', backends], ['model', models]] as const) {
			for (const name of [...names].sort()) {
				wanted.push({ kind, name });
				read.hgetall(this.keys.counters(kind, name));
				read.lrange(this.keys.latencies(kind, name), 0, this.window - 1);
			}
		}
		const replies = wanted.length > 0 ? await execOrThrow(read) : [];

		const snapshot: MetricsSnapshot = {
			since: since === null ? null : new Date(Number(since)).toISOString(),
			byBackend: statsRecord(),
			byModel: statsRecord(),
		};
		wanted.forEach(({ kind, name }, i) => {
			const hash = replies[2 * i] as Record<string, string>;
			const latencies = (replies[2 * i + 1] as string[]).map(Number);
			const counts = parseCounts(hash);
			if (counts.calls === 0) return; // listed but its hash is gone: a reset raced this read
			const into: Record<string, AggregateStats> = kind === 'backend' ? snapshot.byBackend : snapshot.byModel;
			into[decodeName(name)] = toStats(counts, latencies);
		});
		return snapshot;
	}

	/** Deletes every key of this namespace, found with SCAN so a large Redis is never blocked. */
	async reset(): Promise<void> {
		// SCAN's MATCH and its replies are not touched by ioredis's keyPrefix, but DEL's arguments are.
		const prefix = this.redis.options.keyPrefix ?? '';
		for (const pattern of this.keys.scanPatterns(prefix)) {
			let cursor = '0';
			do {
				const [nextCursor, found] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_BATCH);
				cursor = nextCursor;
				if (found.length > 0) await this.redis.del(...found.map((key) => key.slice(prefix.length)));
			} while (cursor !== '0');
		}
		await this.redis.del(...this.keys.fixedKeys());
	}
}

function parseCounts(hash: Record<string, string>): AggregateCounts {
	const counts = emptyCounts();
	for (const field of COUNTER_FIELDS) counts[field] = Number(hash[field] ?? 0);
	return counts;
}

/** Runs a pipeline and returns its replies, throwing the first command error instead of hiding it. */
async function execOrThrow(pipeline: ChainableCommander): Promise<unknown[]> {
	const results = (await pipeline.exec()) ?? [];
	return results.map(([error, reply]) => {
		if (error) throw error;
		return reply;
	});
}
