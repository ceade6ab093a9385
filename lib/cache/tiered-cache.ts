import type Redis from 'ioredis';

import { MemoryLayer, type MemoryLayerOptions } from './memory-layer';
import { RedisLayer, type RedisLayerOptions } from './redis-layer';
import { hitTotals, newCounters, type CacheCounters, type CacheStats } from './stats';
import { shortHash } from './hash';

export interface TieredCacheOptions {
	l1?: MemoryLayerOptions;
	/** Default time to live of an entry (seconds, default 3600). */
	defaultTtlSeconds?: number;
	redis?: Omit<RedisLayerOptions, 'encryptionKey'>;
}

export interface CacheHit {
	json: string;
	layer: 'l1' | 'l2';
	createdAt: number;
}

/** Where a lookup or write goes: L1 always, L2 when a Redis client is given. */
export interface LayerChoice {
	redis?: Redis;
	encryptionKey?: string;
}

/** What `invalidate` removes: one key, or everything matching (a namespace, a model, older than an age). */
export interface InvalidateQuery {
	key?: string;
	/** Glob on the key layout (`c:<scope>:<namespace>:<model>:<hash>`), see `keyPattern`. */
	pattern?: string;
	/** Only entries stored before this time (ms since epoch). */
	olderThan?: number;
}

function globToRegExp(glob: string): RegExp {
	return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/**
 * L1 (this process) in front of L2 (Redis). A hit in L2 is written back to L1 for the rest of its
 * TTL. Redis trouble never fails a lookup: it becomes a warning and an L1-only answer.
 */
export class TieredCache {
	readonly l1: MemoryLayer;
	readonly counters: CacheCounters = newCounters();
	readonly defaultTtlMs: number;
	private readonly redisOptions: TieredCacheOptions['redis'];
	private readonly l2s = new WeakMap<Redis, Map<string, RedisLayer>>();
	private lastL2?: RedisLayer;

	constructor(options: TieredCacheOptions = {}) {
		this.l1 = new MemoryLayer(options.l1);
		this.defaultTtlMs = (options.defaultTtlSeconds ?? 3600) * 1000;
		this.redisOptions = options.redis;
	}

	/** The L2 for a Redis client and encryption key (one per pair, reused). */
	l2For(choice: LayerChoice): RedisLayer | undefined {
		if (!choice.redis) return undefined;
		let byKey = this.l2s.get(choice.redis);
		if (!byKey) this.l2s.set(choice.redis, (byKey = new Map()));
		const id = choice.encryptionKey ? shortHash(choice.encryptionKey) : '';
		let layer = byKey.get(id);
		if (!layer) byKey.set(id, (layer = new RedisLayer(choice.redis, { ...this.redisOptions, encryptionKey: choice.encryptionKey })));
		this.lastL2 = layer;
		return layer;
	}

	ttlMs(ttlSeconds?: number): number {
		return ttlSeconds && ttlSeconds > 0 ? ttlSeconds * 1000 : this.defaultTtlMs;
	}

	/** L1, then L2; counts nothing (the caller knows whether this is a hit or only a step). */
	async get(key: string, choice: LayerChoice, warnings: string[]): Promise<CacheHit | undefined> {
		return this.getLocal(key) ?? (await this.getRemote(key, choice, warnings));
	}

	/** L1 only, without a promise: the hit path that must stay cheap. */
	getLocal(key: string): CacheHit | undefined {
		const local = this.l1.get(key);
		return local && { json: local.json, layer: 'l1', createdAt: local.createdAt };
	}

	/** L2 only (the caller looked in L1); a hit is written back to L1. */
	async getRemote(key: string, choice: LayerChoice, warnings: string[]): Promise<CacheHit | undefined> {
		const now = Date.now();
		const l2 = this.l2For(choice);
		if (!l2) return undefined;
		// One GET: the value carries its expiry (a PTTL beside it cost a pipeline per hit).
		const result = await l2.guard(() => l2.redis.getBuffer(key), null);
		if (result.warning) this.warn(warnings, result.warning);
		if (!result.value) return undefined;
		let stored;
		try {
			stored = l2.unpack(result.value);
		} catch (error) {
			warnings.push(`A cached value could not be read (${(error as Error).message}); treated as a miss.`);
			return undefined;
		}
		// A value without its expiry (written by an older version) stays in L1 for a minute at most.
		const expiresAt = stored.expiresAt ?? now + Math.min(this.defaultTtlMs, 60_000);
		if (expiresAt > now) this.l1.set(key, { json: stored.json, createdAt: stored.createdAt, expiresAt });
		return { json: stored.json, layer: 'l2', createdAt: stored.createdAt };
	}

	async set(key: string, json: string, ttlMs: number, choice: LayerChoice, warnings: string[]): Promise<void> {
		const createdAt = Date.now();
		this.l1.set(key, { json, createdAt, expiresAt: createdAt + ttlMs });
		this.counters.stores++;
		const l2 = this.l2For(choice);
		if (!l2) return;
		const result = await l2.set(key, { json, createdAt }, ttlMs);
		if (result.warning) this.warn(warnings, result.warning);
	}

	/** Removes from L1 and (with a Redis client) from L2; returns how many entries went. */
	async invalidate(query: InvalidateQuery, choice: LayerChoice, warnings: string[]): Promise<number> {
		const match = query.key !== undefined ? (k: string) => k === query.key : globToRegExp(query.pattern ?? '*').test.bind(globToRegExp(query.pattern ?? '*'));
		const old = (createdAt: number) => query.olderThan === undefined || createdAt < query.olderThan;
		let removed = this.l1.deleteWhere((key, entry) => match(key) && old(entry.createdAt));
		const l2 = this.l2For(choice);
		if (l2) {
			const result =
				query.key !== undefined && query.olderThan === undefined
					? await l2.delete(query.key)
					: await l2.deleteMatching(query.key ?? query.pattern ?? '*', query.olderThan);
			if (result.warning) this.warn(warnings, result.warning);
			removed = Math.max(removed, result.value);
		}
		this.counters.invalidated += removed;
		return removed;
	}

	stats(extra: Partial<CacheStats> = {}): CacheStats {
		const health = this.lastL2?.health();
		return {
			...this.counters,
			...hitTotals(this.counters),
			l1: this.l1.stats(),
			...(health ? { redis: health } : {}),
			...extra,
		};
	}

	private warn(warnings: string[], warning: string): void {
		this.counters.redisErrors++;
		if (!warnings.includes(warning)) warnings.push(warning);
	}
}
