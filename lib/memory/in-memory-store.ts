import { LRUCache } from 'lru-cache';

import type { Message } from '../ollama';
import { DEFAULT_STORE_LIMITS, type ConversationStore, type StoreLimits } from './store';

/**
 * Conversations in this process only (no Redis credential): bounded by session count (LRU)
 * and by messages per session, expiring like the Redis store. Lost on restart and not shared
 * between queue-mode workers, which is why Redis is preferred when configured.
 */
export class InMemoryConversationStore implements ConversationStore {
	readonly kind = 'memory' as const;
	private readonly sessions: LRUCache<string, Message[]>;

	constructor(
		private readonly limits: StoreLimits = DEFAULT_STORE_LIMITS,
		maxSessions = 10_000,
	) {
		this.sessions = new LRUCache({ max: maxSessions, ttl: limits.ttlSeconds > 0 ? limits.ttlSeconds * 1000 : undefined });
	}

	async load(sessionKey: string): Promise<Message[]> {
		return structuredClone(this.sessions.get(sessionKey) ?? []);
	}

	async append(sessionKey: string, messages: Message[]): Promise<void> {
		const next = [...(this.sessions.get(sessionKey) ?? []), ...structuredClone(messages)];
		this.sessions.set(sessionKey, next.slice(-this.limits.maxMessages));
	}

	async clear(sessionKey: string): Promise<void> {
		this.sessions.delete(sessionKey);
	}
}
