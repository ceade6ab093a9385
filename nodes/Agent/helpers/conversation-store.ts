import type { IExecuteFunctions } from 'n8n-workflow';

import { InMemoryConversationStore, RedisConversationStore, type ConversationStore } from '../../../lib/memory';
import { getSharedRedis, redisConfigFromCredential } from '../../../lib/redis';

// Process-wide, so a conversation survives between executions of the workflow.
const IN_MEMORY_KEY = Symbol.for('n8n-nodes-agent-team.memory');
function inMemoryStore(): InMemoryConversationStore {
	const holder = globalThis as Record<symbol, InMemoryConversationStore | undefined>;
	return (holder[IN_MEMORY_KEY] ??= new InMemoryConversationStore());
}

/** Redis when the node has an Agent Team Redis credential, this process's memory otherwise. */
export async function conversationStoreFor(ctx: IExecuteFunctions): Promise<ConversationStore> {
	const credential = await ctx.getCredentials('agentTeamRedisApi').catch(() => undefined);
	if (!credential) return inMemoryStore();
	return new RedisConversationStore(getSharedRedis(redisConfigFromCredential(credential)));
}
