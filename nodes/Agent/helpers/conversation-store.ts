import type Redis from 'ioredis';

import { InMemoryConversationStore, RedisConversationStore, type ConversationStore } from '../../../lib/memory';

// Process-wide, so a conversation survives between executions of the workflow.
const IN_MEMORY_KEY = Symbol.for('n8n-nodes-agent-team.memory');
function inMemoryStore(): InMemoryConversationStore {
	const holder = globalThis as Record<symbol, InMemoryConversationStore | undefined>;
	return (holder[IN_MEMORY_KEY] ??= new InMemoryConversationStore());
}

/** Redis when the node has an Agent Team Redis credential, this process's memory otherwise. */
export function conversationStoreFor(redis: Redis | undefined): ConversationStore {
	return redis ? new RedisConversationStore(redis) : inMemoryStore();
}
