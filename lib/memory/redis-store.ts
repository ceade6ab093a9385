import type Redis from 'ioredis';

import type { Message } from '../ollama';
import { sessionPath } from './session-path';
import { DEFAULT_STORE_LIMITS, type ConversationStore, type SessionRef, type StoreLimits } from './store';

/** ioredis says "Connection is closed." or "Reached the max retries …": say what it was about. */
const storeFailed = (what: 'read' | 'written' | 'cleared') => (error: Error): never => {
	throw new Error(`Conversation memory in Redis could not be ${what}: ${error.message}`, { cause: error });
};

/**
 * Conversations in Redis, one list per session, so every queue-mode worker sees the same history.
 * Key: the credential's key prefix + `memory:` + `wf:<workflow id>:<session key>` (or
 * `shared:<session key>` when shared across workflows on purpose), each part percent-encoded. A write is one round trip:
 * RPUSH + LTRIM (cap) + EXPIRE (idle sessions go away).
 */
export class RedisConversationStore implements ConversationStore {
	readonly kind = 'redis' as const;

	constructor(
		private readonly redis: Redis,
		private readonly limits: StoreLimits = DEFAULT_STORE_LIMITS,
	) {}

	private key(session: SessionRef): string {
		return `memory:${sessionPath(session)}`;
	}

	async load(session: SessionRef): Promise<Message[]> {
		const raw = await this.redis.lrange(this.key(session), -this.limits.maxMessages, -1).catch(storeFailed('read'));
		return raw.map((entry) => JSON.parse(entry) as Message);
	}

	async append(session: SessionRef, messages: Message[]): Promise<void> {
		if (messages.length === 0) return;
		const key = this.key(session);
		const pipeline = this.redis.multi().rpush(key, ...messages.map((m) => JSON.stringify(m))).ltrim(key, -this.limits.maxMessages, -1);
		if (this.limits.ttlSeconds > 0) pipeline.expire(key, this.limits.ttlSeconds);
		const results = await pipeline.exec().catch(storeFailed('written'));
		const failedCommand = results?.find(([error]) => error);
		if (failedCommand) throw new Error(`Conversation memory in Redis could not be written: ${(failedCommand[0] as Error).message}`);
	}

	async clear(session: SessionRef): Promise<void> {
		await this.redis.del(this.key(session)).catch(storeFailed('cleared'));
	}
}
