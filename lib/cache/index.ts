// The response cache: exact (L1 memory / L2 Redis) and semantic, as the gateway's first stage
// and as a plain key/value cache for the Cache node.
import { CacheStage, type CacheStageOptions } from './cache-stage';

export { CacheStage, DEFAULT_EMBED_MODEL, DEFAULT_THRESHOLD, type CacheInvalidation, type CacheStageOptions, type ShadowRecord } from './cache-stage';
export { TieredCache, type CacheHit, type InvalidateQuery, type LayerChoice, type TieredCacheOptions } from './tiered-cache';
export { MemoryLayer, type EvictionPolicy, type MemoryLayerOptions } from './memory-layer';
export { RedisLayer, type RedisLayerOptions } from './redis-layer';
export { Codec } from './codec';
export { SemanticLayer, type SemanticLayerOptions, type SemanticMatch } from './semantic/semantic-layer';
export { createVectorIndex, normalise, usearchAvailable, type IndexChoice, type VectorIndex } from './semantic/vector-index';
export { guardRejects, type GuardName } from './semantic/guards';
export { canonicalJson, credentialScope, shortHash } from './hash';
export { entryKey, isDeterministic, keyPattern } from './request-key';
export type { CacheCounters, CacheStats } from './stats';

/** The gateway's cache stage; without a scope and backends (no digests) it lets every call through. */
export function createCacheStage(options: Partial<CacheStageOptions> = {}): CacheStage {
	return new CacheStage({ scope: '', backends: [], ...options });
}
export { KeyValueCache, sharedKeyValueCache, type KeyValueHit, type SemanticKey } from './key-value-cache';
