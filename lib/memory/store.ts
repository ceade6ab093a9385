import type { Message } from '../ollama';

/** Where an agent's conversation lives between executions, by session key. */
export interface ConversationStore {
	readonly kind: 'redis' | 'memory';
	/** The session's messages, oldest first (at most the store's cap). */
	load(sessionKey: string): Promise<Message[]>;
	append(sessionKey: string, messages: Message[]): Promise<void>;
	clear(sessionKey: string): Promise<void>;
}

export interface StoreLimits {
	/** Messages kept per session; older ones are dropped on write. */
	maxMessages: number;
	/** Seconds a session lives after its last write (0 = for ever). */
	ttlSeconds: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = { maxMessages: 400, ttlSeconds: 7 * 24 * 3600 };
