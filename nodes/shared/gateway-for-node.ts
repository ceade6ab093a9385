import { NodeOperationError, type IExecuteFunctions, type ISupplyDataFunctions } from 'n8n-workflow';

import { clusterConfigFromCredential, type Gateway } from '../../lib/gateway';
import { getGateway } from '../../lib/registry';
import { sharedRedisFor } from './redis-for-node';

/**
 * The shared gateway for the node's Ollama Cluster credential. When the node also has an Agent
 * Team Redis credential, the gateway's balancer shares its state (in-flight counts, circuits,
 * learned slots, prompt prefixes) with every other worker on that Redis.
 */
export async function gatewayForNode(ctx: IExecuteFunctions | ISupplyDataFunctions): Promise<Gateway> {
	const credential = await ctx.getCredentials('ollamaClusterApi');
	let gateway: Gateway;
	try {
		gateway = getGateway(clusterConfigFromCredential(credential));
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), `Ollama Cluster credential: ${(error as Error).message}`);
	}
	const redis = await sharedRedisFor(ctx);
	if (redis) gateway.shareState(redis);
	return gateway;
}
