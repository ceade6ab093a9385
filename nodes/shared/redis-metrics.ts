import type { IExecuteFunctions } from 'n8n-workflow';

import { RedisMetricsStore } from '../../lib/metrics';
import { getSharedRedis, redisConfigFromCredential } from '../../lib/redis';

/** Cross-worker metrics in Redis when the node has an Agent Team Redis credential. */
export async function redisMetricsFor(ctx: IExecuteFunctions): Promise<RedisMetricsStore | undefined> {
	const credential = await ctx.getCredentials('agentTeamRedisApi').catch(() => undefined);
	if (!credential) return undefined;
	return new RedisMetricsStore(getSharedRedis(redisConfigFromCredential(credential)));
}
