import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import { clusterConfigFromCredential, type Gateway } from '../../lib/gateway';
import { getGateway } from '../../lib/registry';

/** The shared gateway for the node's Ollama Cluster credential. */
export async function gatewayForNode(ctx: IExecuteFunctions): Promise<Gateway> {
	const credential = await ctx.getCredentials('ollamaClusterApi');
	try {
		return getGateway(clusterConfigFromCredential(credential));
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), `Ollama Cluster credential: ${(error as Error).message}`);
	}
}
