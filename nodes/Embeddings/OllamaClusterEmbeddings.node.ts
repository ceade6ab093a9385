import { NodeConnectionTypes, type NodeApiError, type INodeType, type INodeTypeDescription, type ISupplyDataFunctions, type SupplyData } from 'n8n-workflow';

import { OllamaClusterEmbeddings as ClusterEmbeddings } from '../../lib/ai-sdk/embeddings';
import { parseKeepAlive } from '../../lib/ollama/keep-alive';
import { subNodeCredentials } from '../ChatModel/description';
import { agentTeamRedisApiTest, ollamaClusterApiTest } from '../shared/credential-tests';
import { gatewayForNode } from '../shared/gateway-for-node';
import { cachePolicyFor } from '../shared/sub-node-cache';
import { fieldError } from '../shared/node-error';
import { subNodeError } from '../shared/sub-node-error';
import { getModels } from '../shared/load-options';
import { embeddingsProperties } from './description';

export class OllamaClusterEmbeddings implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Ollama Cluster Embeddings',
		name: 'ollamaClusterEmbeddings',
		icon: { light: 'file:embeddings.svg', dark: 'file:embeddings.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["model"] }}',
		description: "Embeddings for n8n's vector stores on your Ollama servers, through the cluster's gateway (coalesced requests, balancing, cache)",
		defaults: { name: 'Ollama Cluster Embeddings' },
		inputs: [],
		outputs: [NodeConnectionTypes.AiEmbedding],
		outputNames: ['Embeddings'],
		credentials: subNodeCredentials,
		properties: embeddingsProperties,
	};

	methods = {
		loadOptions: { getModels },
		credentialTest: { ollamaClusterApiTest, agentTeamRedisApiTest },
	};

	async supplyData(this: ISupplyDataFunctions, itemIndex: number): Promise<SupplyData> {
		const model = String(this.getNodeParameter('model', itemIndex) ?? '').trim();
		if (!model) throw fieldError(this.getNode(), itemIndex, 'Model Name or ID', 'is empty');
		const options = this.getNodeParameter('options', itemIndex, {}) as { keepAlive?: string; priority?: number };
		const keepAlive = parseKeepAlive(options.keepAlive);
		const gateway = await gatewayForNode(this);
		const cache = await cachePolicyFor(this, itemIndex);
		const embeddings = new ClusterEmbeddings({
			gateway,
			model,
			request: keepAlive !== undefined ? { keep_alive: keepAlive } : undefined,
			priority: options.priority,
			cache,
			cancelSignal: this.getExecutionCancelSignal?.(),
			toNodeError: (error) => subNodeError(this, error),
			observe: (kind, input) => logEmbeddingCall(this, kind, input),
		});
		return { response: embeddings };
	}
}

/**
 * Each embedding call on the sub-node's run data and in the AI event log, as n8n's logWrapper
 * does for Embeddings Ollama: the texts in, the vectors out, or the error, shown on the sub-node
 * in n8n's usual form.
 */
function logEmbeddingCall(ctx: ISupplyDataFunctions, kind: 'documents' | 'query', input: string[]) {
	const type = NodeConnectionTypes.AiEmbedding;
	const { index } = ctx.addInputData(type, [[{ json: kind === 'query' ? { query: input[0] } : { documents: input } }]]);
	return (outcome: { vectors: number[][] } | { error: unknown }) => {
		if ('error' in outcome) {
			ctx.addOutputData(type, index, outcome.error as NodeApiError);
			return;
		}
		const { vectors } = outcome;
		ctx.logAiEvent(kind === 'query' ? 'ai-query-embedded' : 'ai-document-embedded');
		ctx.addOutputData(type, index, [[{ json: { response: kind === 'query' ? vectors[0] : vectors } }]]);
	};
}
