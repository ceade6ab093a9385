import { LRUCache } from 'lru-cache';

import type { Message } from '../ollama';
import { sessionPath } from './session-path';
import { DEFAULT_STORE_LIMITS, type ConversationStore, type SessionRef, type StoreLimits } from './store';

/**
 * Conversations in this process only (no Redis credential), by workflow and session key:
 * bounded by session count (LRU)
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

	async load(session: SessionRef): Promise<Message[]> {
		return structuredClone(this.sessions.get(sessionPath(session)) ?? []);
	}

	async append(session: SessionRef, messages: Message[]): Promise<void> {
		const key = sessionPath(session);
		const next = [...(this.sessions.get(key) ?? []), ...structuredClone(messages)];
		this.sessions.set(key, next.slice(-this.limits.maxMessages));
	}

	async clear(session: SessionRef): Promise<void> {
		this.sessions.delete(sessionPath(session));
	}
}
