import type Redis from 'ioredis';

import type { ChatRequest } from '../ollama/types';

/**
 * How a caller (a node) wants one call cached. It travels in `Call.hints.cache`; without it the
 * cache stage only caches embeddings. Shared by the callers above the gateway and lib/cache.
 */
export interface CachePolicy {
	/** `exact`: the same request; `semantic`: also the nearest earlier prompt above `threshold`. */
	mode: 'exact' | 'semantic';
	/** Entries of one namespace (by default one workflow) are never read by another. */
	namespace: string;
	/** Time to live of a stored answer (seconds, 0 = the cache's default). */
	ttlSeconds?: number;
	/** Cosine similarity a semantic match needs (default 0.95). */
	threshold?: number;
	/** Semantic: record what would have hit (with its similarity) without serving it. */
	shadow?: boolean;
	/** Embedding model for the semantic layer (default `nomic-embed-text`). */
	embedModel?: string;
	/** Also cache calls that are not deterministic (temperature > 0 and no seed). */
	nonDeterministic?: boolean;
	/** Also cache replies that ask for tool calls. */
	toolCalls?: boolean;
	/** Shared layer (L2) and cross-process single-flight; without it, this process's memory only. */
	redis?: Redis;
	/** Encrypts cached values at rest in Redis (AES-256-GCM, key derived from this secret). */
	encryptionKey?: string;
}

/**
 * Greedy (temperature 0) or seeded sampling: the same request gives the same answer, so the cache
 * may store it and single-flight may share it. One rule for both stages.
 */
export function isDeterministic(request: Pick<ChatRequest, 'options'>): boolean {
	const options = request.options ?? {};
	return options.temperature === 0 || (options.seed !== undefined && options.seed !== null);
}
