import type { ISupplyDataFunctions } from 'n8n-workflow';

import type { CachePolicy } from '../../lib/pipeline';
import { readCachePolicy } from '../Agent/helpers/cache-policy';
import { cacheLayersFor } from './cache-layers';

/**
 * A sub-node's Options → Cache policy (the Team Agent's settings and reader). n8n supplies the
 * sub-node once per item of a chain, so nothing is read or resolved beyond the node's own
 * parameters unless caching is on (the Redis credential is loaded only then).
 */
export async function cachePolicyFor(ctx: ISupplyDataFunctions, itemIndex: number): Promise<CachePolicy | undefined> {
	const mode = ctx.getNodeParameter('options.cache.settings.mode', itemIndex, 'off') as string;
	if (mode === 'off') return undefined;
	const layers = ctx.getNode().credentials?.agentTeamRedisApi ? await cacheLayersFor(ctx) : {};
	return readCachePolicy(ctx, itemIndex, layers);
}
