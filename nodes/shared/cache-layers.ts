import type { IExecuteFunctions, ISupplyDataFunctions } from 'n8n-workflow';

import type { LayerChoice } from '../../lib/cache';
import { getSharedRedis, queueModeRedis, redisConfigFromCredential } from '../../lib/redis';

/**
 * Where a node's cache entries go: this process, plus Redis when an Agent Team Redis credential
 * is selected (shared by every worker), sealed with the credential's Cache Encryption Key if set;
 * without a credential in queue mode, n8n's own queue Redis (`lib/redis/queue-mode.ts`).
 */
export async function cacheLayersFor(ctx: IExecuteFunctions | ISupplyDataFunctions): Promise<LayerChoice> {
	const credential = await ctx.getCredentials('agentTeamRedisApi').catch(() => undefined);
	if (!credential) {
		const redis = queueModeRedis();
		return redis ? { redis } : {};
	}
	const encryptionKey = typeof credential.cacheEncryptionKey === 'string' && credential.cacheEncryptionKey ? credential.cacheEncryptionKey : undefined;
	return { redis: getSharedRedis(redisConfigFromCredential(credential)), encryptionKey };
}
