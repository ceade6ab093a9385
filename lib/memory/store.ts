import type { Message } from '../ollama';

/**
 * Which conversation: a session key within one workflow (as n8n's own memory nodes scope it),
 * or, with no workflow id, shared on purpose by every workflow that uses the same key.
 */
export interface SessionRef {
	sessionKey: string;
	/** The workflow the conversation belongs to; undefined = shared across workflows. */
	workflowId?: string;
}

/** Where an agent's conversation lives between executions. */
export interface ConversationStore {
	readonly kind: 'redis' | 'memory';
	/** The session's messages, oldest first (at most the store's cap). */
	load(session: SessionRef): Promise<Message[]>;
	append(session: SessionRef, messages: Message[]): Promise<void>;
	clear(session: SessionRef): Promise<void>;
}

export interface StoreLimits {
	/** Messages kept per session; older ones are dropped on write. */
	maxMessages: number;
	/** Seconds a session lives after its last write (0 = for ever). */
	ttlSeconds: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = { maxMessages: 400, ttlSeconds: 7 * 24 * 3600 };
