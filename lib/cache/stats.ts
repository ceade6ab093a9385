/** Counters of one cache (the gateway stage's, or the Cache node's), reported by the Stats operation and the run summary. */
export interface CacheCounters {
	l1Hits: number;
	l2Hits: number;
	semanticHits: number;
	misses: number;
	/** Calls the cache did not look at (not deterministic, opted out, tool-call replies …). */
	bypassed: number;
	stores: number;
	/** Truncated streams, errors, tool-call replies: answers that were not stored. */
	notStored: number;
	/** Semantic matches a guard rejected (numbers, negation, entities, output format differ). */
	guardRejections: number;
	/** Shadow mode: lookups that would have been served from the semantic layer. */
	shadowWouldHits: number;
	singleFlightJoins: number;
	embeddingHits: number;
	embeddingMisses: number;
	redisErrors: number;
	invalidated: number;
}

export interface CacheStats extends CacheCounters {
	hits: number;
	hitRate: number;
	l1: { entries: number; bytes: number; evictions: number; refused: number };
	redis?: { up: boolean; failures: number; lastProblem?: string };
	semantic?: { partitions: number; vectors: number; index: string };
}

export function newCounters(): CacheCounters {
	return {
		l1Hits: 0,
		l2Hits: 0,
		semanticHits: 0,
		misses: 0,
		bypassed: 0,
		stores: 0,
		notStored: 0,
		guardRejections: 0,
		shadowWouldHits: 0,
		singleFlightJoins: 0,
		embeddingHits: 0,
		embeddingMisses: 0,
		redisErrors: 0,
		invalidated: 0,
	};
}

export function hitTotals(c: CacheCounters): { hits: number; hitRate: number } {
	const hits = c.l1Hits + c.l2Hits + c.semanticHits;
	const lookups = hits + c.misses;
	return { hits, hitRate: lookups ? Math.round((hits / lookups) * 10_000) / 10_000 : 0 };
}
