import type { ChainableCommander, Redis } from 'ioredis';

import type { CallRecord } from './call-record';
import { validWindow } from './latency-window';
import { DEFAULT_LATENCY_WINDOW, DEFAULT_MAX_NAMES, OTHER_NAME } from './process-metrics';
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
	/** Seconds every key lives after its last write (default 7 days; 0 = no expiry). */
	ttlSeconds?: number;
	/** Distinct names kept per kind across all workers (default 256); later new names count under "(other)". */
	maxNames?: number;
}

export const DEFAULT_METRICS_TTL_SECONDS = 7 * 24 * 3600;

const KINDS: readonly MetricKind[] = ['backend', 'model'];
const SCAN_BATCH = 500;

/**
 * One record, atomically and in one round trip. KEYS: since, the two index sets, then per kind
 * (backend, model) the name's counters and latency list and the "(other)" entry's. ARGV: the two
 * encoded names, the other-name, max names, window, TTL (0 = none), latency, now (ms), then
 * counter field/increment pairs. A name that is new while its index already holds max names is
 * counted under "(other)", so workers racing for the last free name cannot overshoot the bound.
 */
const RECORD_SCRIPT = `
local other, maxNames, window, ttl = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
redis.call('SET', KEYS[1], ARGV[8], 'NX')
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
for k = 0, 1 do
	local index, name, base = KEYS[2 + k], ARGV[1 + k], 4 + k * 4
	local counters, latencies = KEYS[base], KEYS[base + 1]
	if redis.call('SISMEMBER', index, name) == 0 and redis.call('SCARD', index) >= maxNames then
		name, counters, latencies = other, KEYS[base + 2], KEYS[base + 3]
	end
	redis.call('SADD', index, name)
	for f = 9, #ARGV, 2 do redis.call('HINCRBY', counters, ARGV[f], ARGV[f + 1]) end
	redis.call('LPUSH', latencies, ARGV[7])
	redis.call('LTRIM', latencies, 0, window - 1)
	if ttl > 0 then
		redis.call('EXPIRE', index, ttl)
		redis.call('EXPIRE', counters, ttl)
		redis.call('EXPIRE', latencies, ttl)
	end
end
return 1`;

/** KEYS: the error-kind hash. ARGV: kind, other-name, max kinds, TTL. Bounded like names. */
const ERROR_KIND_SCRIPT = `
local kind = ARGV[1]
if redis.call('HEXISTS', KEYS[1], kind) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then kind = ARGV[2] end
redis.call('HINCRBY', KEYS[1], kind, 1)
if tonumber(ARGV[4]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
return 1`;

/**
 * The process aggregates, kept in Redis so every n8n queue-mode worker adds to the same numbers.
 * Only counters, latencies and backend/model names are written: no prompt text, no secrets.
 * Every key expires `ttlSeconds` after its last write (7 days by default); names are bounded
 * (`maxNames` per kind). `reset()` clears them all.
 */
export class RedisMetricsStore {
	private readonly keys: MetricKeys;
	private readonly window: number;
	private readonly ttlSeconds: number;
	private readonly maxNames: number;

	constructor(
		private readonly redis: Redis,
		options: RedisMetricsOptions = {},
	) {
		this.keys = new MetricKeys(options.namespace ?? 'metrics');
		this.window = validWindow(options.window ?? DEFAULT_LATENCY_WINDOW);
		this.ttlSeconds = Math.max(0, Math.floor(options.ttlSeconds ?? DEFAULT_METRICS_TTL_SECONDS));
		this.maxNames = validWindow(options.maxNames ?? DEFAULT_MAX_NAMES);
	}

	/** Adds one call, in a single round trip (one script). */
	async record(record: CallRecord): Promise<void> {
		const counts = countsOf(record);
		const other = encodeName(OTHER_NAME);
		const names = KINDS.map((kind) => encodeName(kind === 'backend' ? record.backend : record.model));
		const keys = [
			this.keys.since,
			...KINDS.map((kind) => this.keys.index(kind)),
			...KINDS.flatMap((kind, i) => [
				this.keys.counters(kind, names[i]),
				this.keys.latencies(kind, names[i]),
				this.keys.counters(kind, other),
				this.keys.latencies(kind, other),
			]),
		];
		const increments = COUNTER_FIELDS.filter((field) => counts[field] !== 0).flatMap((field) => [field, String(counts[field])]);
		const latency = String(Math.round(record.latencyMs * 10) / 10);
		const write = this.redis.pipeline();
		write.eval(
			RECORD_SCRIPT,
			keys.length,
			...keys,
			...names,
			other,
			String(this.maxNames),
			String(this.window),
			String(this.ttlSeconds),
			latency,
			String(Date.now()),
			...increments,
		);
		// a failed call also counts under its kind, in the same round trip
		if (!record.ok) write.eval(ERROR_KIND_SCRIPT, 1, this.keys.errorKinds, record.error ?? 'Error', OTHER_NAME, String(this.maxNames), String(this.ttlSeconds));
		await execOrThrow(write);
	}

	/** Totals across every worker that records into this Redis and namespace (two round trips). */
	async snapshot(): Promise<MetricsSnapshot> {
		const [backends, models, since, errorKinds] = (await execOrThrow(
			this.redis
				.pipeline()
				.smembers(this.keys.index('backend'))
				.smembers(this.keys.index('model'))
				.get(this.keys.since)
				.hgetall(this.keys.errorKinds),
		)) as [string[], string[], string | null, Record<string, string>];

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
		const kinds = Object.entries(errorKinds ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
		if (kinds.length > 0) snapshot.errorsByKind = Object.assign(Object.create(null) as Record<string, number>, Object.fromEntries(kinds.map(([k, v]) => [k, Number(v)])));
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
