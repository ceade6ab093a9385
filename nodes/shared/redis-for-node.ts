import { NodeOperationError, type IExecuteFunctions, type ISupplyDataFunctions } from 'n8n-workflow';
import type Redis from 'ioredis';

import { getSharedRedis, queueModeRedis, redisConfigFromCredential } from '../../lib/redis';

/**
 * The process-wide Redis client for the node's Agent Team Redis credential; without one, n8n's own
 * queue Redis when n8n runs in queue mode (`lib/redis/queue-mode.ts`), else undefined. A selected
 * credential that cannot be loaded is an error, not a silent fall back to process memory (which
 * would split a conversation between workers unnoticed).
 */
export async function sharedRedisFor(ctx: IExecuteFunctions | ISupplyDataFunctions): Promise<Redis | undefined> {
	if (!ctx.getNode().credentials?.agentTeamRedisApi) return queueModeRedis();
	let credential;
	try {
		credential = await ctx.getCredentials('agentTeamRedisApi');
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), `The Agent Team Redis credential could not be loaded: ${(error as Error).message}`, {
			description: 'Fix or remove the Redis credential selected on the node; without one, memory stays in this process.',
		});
	}
	return getSharedRedis(redisConfigFromCredential(credential));
}
