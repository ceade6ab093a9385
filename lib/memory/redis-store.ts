import type Redis from 'ioredis';

import type { Message } from '../ollama';
import { DEFAULT_STORE_LIMITS, type ConversationStore, type StoreLimits } from './store';

/**
 * Conversations in Redis, one list per session (`memory:<session key>` under the credential's
 * key prefix), so every queue-mode worker sees the same history. A write is one round trip:
 * RPUSH + LTRIM (cap) + EXPIRE (idle sessions go away).
 */
export class RedisConversationStore implements ConversationStore {
	readonly kind = 'redis' as const;

	constructor(
		private readonly redis: Redis,
		private readonly limits: StoreLimits = DEFAULT_STORE_LIMITS,
	) {}

	private key(sessionKey: string): string {
		return `memory:${encodeURIComponent(sessionKey)}`;
	}

	async load(sessionKey: string): Promise<Message[]> {
		const raw = await this.redis.lrange(this.key(sessionKey), -this.limits.maxMessages, -1);
		return raw.map((entry) => JSON.parse(entry) as Message);
	}

	async append(sessionKey: string, messages: Message[]): Promise<void> {
		if (messages.length === 0) return;
		const key = this.key(sessionKey);
		const pipeline = this.redis.multi().rpush(key, ...messages.map((m) => JSON.stringify(m))).ltrim(key, -this.limits.maxMessages, -1);
		if (this.limits.ttlSeconds > 0) pipeline.expire(key, this.limits.ttlSeconds);
		const results = await pipeline.exec();
		const failed = results?.find(([error]) => error);
		if (failed) throw failed[0];
	}

	async clear(sessionKey: string): Promise<void> {
		await this.redis.del(this.key(sessionKey));
	}
}
