import { canonicalJson, sha256, shortHash } from './hash';
import { entryKey, keyPattern, modelId, namespaceId } from './request-key';
import { SemanticLayer, type SemanticLayerOptions } from './semantic/semantic-layer';
import type { CacheStats } from './stats';
import { TieredCache, type LayerChoice, type TieredCacheOptions } from './tiered-cache';

/** Entries of the Cache node live under their own scope, apart from the gateway's answers. */
const NODE_SCOPE = shortHash('cache-node');
const NO_MODEL = '-';

export interface KeyValueHit {
	value: unknown;
	layer: 'l1' | 'l2' | 'semantic';
	similarity?: number;
	/** What the entry was stored under (the hashed key). */
	key: string;
}

/** The text of a key and its embedding, for a semantic lookup or store. */
export interface SemanticKey {
	text: string;
	vector: number[];
	embedModel: string;
	threshold: number;
}

/**
 * A cache for any JSON payload (the Cache node): keys are hashes of whatever the caller keys by,
 * scoped by namespace; L1 + optional Redis L2 as for the gateway; an optional semantic lookup on
 * a text of the key. Values are stored as JSON.
 */
export class KeyValueCache {
	readonly cache: TieredCache;
	readonly semantic: SemanticLayer;

	constructor(options: TieredCacheOptions & { semantic?: SemanticLayerOptions } = {}) {
		this.cache = new TieredCache(options);
		this.semantic = new SemanticLayer(options.semantic);
	}

	/** The entry key of a key value: a hash, whatever the value holds. */
	keyOf(namespace: string, keyValue: unknown): string {
		return entryKey({ scope: NODE_SCOPE, namespace, model: NO_MODEL, hash: sha256(canonicalJson(keyValue)) });
	}

	async lookup(namespace: string, keyValue: unknown, choice: LayerChoice, warnings: string[], semantic?: SemanticKey): Promise<KeyValueHit | undefined> {
		const counters = this.cache.counters;
		const key = this.keyOf(namespace, keyValue);
		const hit = await this.cache.get(key, choice, warnings);
		if (hit) {
			counters[hit.layer === 'l1' ? 'l1Hits' : 'l2Hits']++;
			return { value: JSON.parse(hit.json), layer: hit.layer, key };
		}
		if (semantic) {
			const match = await this.semantic.lookup(this.partition(namespace, semantic.embedModel), semantic.vector, semantic.text, semantic.threshold, this.cache.l2For(choice), warnings);
			if (match?.rejectedBy) counters.guardRejections++;
			else if (match) {
				const entry = await this.cache.get(match.key, choice, warnings);
				if (entry) {
					counters.semanticHits++;
					return { value: JSON.parse(entry.json), layer: 'semantic', similarity: match.similarity, key: match.key };
				}
			}
		}
		counters.misses++;
		return undefined;
	}

	async store(namespace: string, keyValue: unknown, value: unknown, ttlSeconds: number | undefined, choice: LayerChoice, warnings: string[], semantic?: SemanticKey): Promise<string> {
		const key = this.keyOf(namespace, keyValue);
		const ttlMs = this.cache.ttlMs(ttlSeconds);
		await this.cache.set(key, JSON.stringify(value ?? null), ttlMs, choice, warnings);
		if (semantic) await this.semantic.add(this.partition(namespace, semantic.embedModel), key, semantic.text, semantic.vector, ttlMs, this.cache.l2For(choice), warnings);
		return key;
	}

	/** One key, or a whole namespace (optionally only entries older than `olderThanSeconds`). */
	async invalidate(query: { namespace: string; keyValue?: unknown; olderThanSeconds?: number }, choice: LayerChoice, warnings: string[]): Promise<number> {
		const olderThan = query.olderThanSeconds !== undefined ? Date.now() - query.olderThanSeconds * 1000 : undefined;
		if (query.keyValue !== undefined) return await this.cache.invalidate({ key: this.keyOf(query.namespace, query.keyValue), olderThan }, choice, warnings);
		const removed = await this.cache.invalidate({ pattern: keyPattern(NODE_SCOPE, query.namespace), olderThan }, choice, warnings);
		if (olderThan === undefined) {
			const prefix = `s:${NODE_SCOPE}:${namespaceId(query.namespace)}:`;
			this.semantic.drop((partition) => partition.startsWith(prefix));
			const l2 = this.cache.l2For(choice);
			const result = l2 && (await l2.deleteMatching(`${prefix}*`));
			if (result?.warning) warnings.push(result.warning);
		}
		return removed;
	}

	stats(): CacheStats {
		return this.cache.stats({ semantic: this.semantic.stats() });
	}

	private partition(namespace: string, embedModel: string): string {
		return `s:${NODE_SCOPE}:${namespaceId(namespace)}:${modelId(NO_MODEL)}:${shortHash(embedModel, 24)}:${shortHash(embedModel, 8)}`;
	}
}

// One per process (kept on globalThis like the gateway registry), shared by every Cache node.
const KEY = Symbol.for('n8n-nodes-agent-team.key-value-cache');
export function sharedKeyValueCache(): KeyValueCache {
	const global = globalThis as Record<symbol, unknown>;
	return ((global[KEY] as KeyValueCache | undefined) ??= new KeyValueCache());
}
