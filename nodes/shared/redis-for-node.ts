import type { IExecuteFunctions } from 'n8n-workflow';
import type Redis from 'ioredis';

import { getSharedRedis, redisConfigFromCredential } from '../../lib/redis';

/** The process-wide Redis client for the node's Agent Team Redis credential, if one is selected. */
export async function sharedRedisFor(ctx: IExecuteFunctions): Promise<Redis | undefined> {
	const credential = await ctx.getCredentials('agentTeamRedisApi').catch(() => undefined);
	return credential ? getSharedRedis(redisConfigFromCredential(credential)) : undefined;
}
