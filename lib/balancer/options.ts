/** How the balancer picks a backend for a call. */
export type Strategy = 'default' | 'roundRobin' | 'weightedRoundRobin' | 'leastConnections' | 'leastLatency';

export const STRATEGIES: readonly Strategy[] = ['default', 'roundRobin', 'weightedRoundRobin', 'leastConnections', 'leastLatency'];

/**
 * The balancer's settings that a credential can hold (plain JSON, so they are part of the
 * cluster's registry key). Every field has a default.
 */
export interface BalancerSettings {
	/** Default: model-aware, then prefix-aware, then fewest in flight per slot, then latency. */
	strategy?: Strategy;
	/** Calls sent to a backend beyond its slots, so a freed slot finds the next one queued (default 1). */
	lookAhead?: number;
	/** Health probe (`GET /api/ps`) interval per backend in ms; 0 turns probes off (default 5000). */
	healthIntervalMs?: number;
	/** A probe that takes longer than this failed (default 3000 ms). */
	probeTimeoutMs?: number;
	/** Consecutive failures (probes or real calls) that open a backend's circuit (default 3). */
	failureThreshold?: number;
	/** How long an open circuit stays open before one trial (half-open); doubles on each failed trial up to 60 s (default 5000 ms). */
	cooldownMs?: number;
	/** Failover attempts per call after the first (default 3). */
	retries?: number;
	/** Backoff before a retry when no other backend can take the call: base × 2^n, at most 2 s (default 100 ms). */
	backoffMs?: number;
	/** Retries of a 503 that is not Ollama's full load queue (a proxy's, say) before the call fails (default 5). */
	busyRetries?: number;
	/**
	 * How long a call refused by a full load queue (503 "maximum pending requests exceeded") waits
	 * for the load, from its refusal, before it fails; no busy retries are spent meanwhile. The
	 * gateway sets it to the credential's first-token timeout (default 10 minutes).
	 */
	loadWaitMs?: number;
	/** Pull a model (`POST /api/pull`) on a backend that answered 404 for it (default false). */
	pullMissing?: boolean;
	/** Learned slots (Parallel Slots 0): the limit starts here and never exceeds `maxLearnedSlots` (defaults 1 and 16). */
	initialLearnedSlots?: number;
	maxLearnedSlots?: number;
	/** A cold model may evict a model that served a call this recently only after waiting `evictAfterMs` (defaults 5000 and 3000 ms). */
	idleEvictMs?: number;
	evictAfterMs?: number;
	/** Prompt prefixes are hashed in blocks of this many characters (default 256). */
	prefixBlockChars?: number;
	/** A shared prefix shorter than this does not pull a call to a backend (default 512 characters). */
	minPrefixChars?: number;
	/** How often shared state is exchanged through Redis (default 200 ms). */
	syncMs?: number;
	/**
	 * Default strategy, at the end of a burst: a call waits for a faster backend when the faster ones
	 * would finish every waiting call before a slower one with room finished it (default true).
	 */
	holdForFaster?: boolean;
	/**
	 * Hedged requests for warm models: a chat call without tools whose first token is later than
	 * `hedgeMultiple` × that backend's recent p99 gets a second copy on another backend; the first
	 * to answer wins, the other is cancelled. At most `hedgeRatio` extra requests (defaults true, 3, 0.05).
	 */
	hedging?: boolean;
	hedgeMultiple?: number;
	hedgeRatio?: number;
}

/** What only code can hand over (never part of a registry key). */
export interface RouterOptions extends BalancerSettings {
	/** Auth for the balancer's own requests (probes, pulls, Send Request), as the transport sends it. */
	apiKey?: string;
	headers?: Record<string, string>;
	allowSelfSigned?: boolean;
	/**
	 * Calls waiting in the gateway's queue now (the scheduler's count). With it the default strategy
	 * sees the end of a burst: a call then waits for a faster backend instead of starting on a slow
	 * one that would finish it later.
	 */
	waiting?: () => number;
	/** Clock (tests). */
	now?: () => number;
}

export type ResolvedOptions = Required<BalancerSettings>;

export function resolveOptions(options: BalancerSettings): ResolvedOptions {
	const pick = <K extends keyof BalancerSettings>(key: K, fallback: NonNullable<BalancerSettings[K]>) => options[key] ?? fallback;
	return {
		strategy: pick('strategy', 'default'),
		lookAhead: pick('lookAhead', 1),
		healthIntervalMs: pick('healthIntervalMs', 5000),
		probeTimeoutMs: pick('probeTimeoutMs', 3000),
		failureThreshold: Math.max(1, pick('failureThreshold', 3)),
		cooldownMs: pick('cooldownMs', 5000),
		retries: pick('retries', 3),
		backoffMs: pick('backoffMs', 100),
		busyRetries: pick('busyRetries', 5),
		loadWaitMs: pick('loadWaitMs', 600_000),
		pullMissing: pick('pullMissing', false),
		initialLearnedSlots: Math.max(1, pick('initialLearnedSlots', 1)),
		maxLearnedSlots: Math.max(1, pick('maxLearnedSlots', 16)),
		idleEvictMs: pick('idleEvictMs', 5000),
		evictAfterMs: pick('evictAfterMs', 3000),
		prefixBlockChars: Math.max(16, pick('prefixBlockChars', 256)),
		minPrefixChars: pick('minPrefixChars', 512),
		syncMs: Math.max(20, pick('syncMs', 200)),
		holdForFaster: pick('holdForFaster', true),
		hedging: pick('hedging', true),
		hedgeMultiple: Math.max(1, pick('hedgeMultiple', 3)),
		hedgeRatio: Math.min(1, Math.max(0, pick('hedgeRatio', 0.05))),
	};
}
