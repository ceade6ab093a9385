import { supplyModel } from '@n8n/ai-node-sdk';
import { NodeConnectionTypes, NodeOperationError, type INodeType, type INodeTypeDescription, type ISupplyDataFunctions, type SupplyData } from 'n8n-workflow';

import { chatRequestFromOptions, OllamaClusterChatModel as ClusterChatModel, type ChatModelOptions } from '../../lib/ai-sdk';
import { agentTeamRedisApiTest, ollamaClusterApiTest } from '../shared/credential-tests';
import { gatewayForNode } from '../shared/gateway-for-node';
import { cachePolicyFor } from '../shared/sub-node-cache';
import { fieldError } from '../shared/node-error';
import { subNodeError } from '../shared/sub-node-error';
import { getModels } from '../shared/load-options';
import { chatModelProperties, subNodeCredentials } from './description';

export class OllamaClusterChatModel implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Ollama Cluster Chat Model',
		name: 'ollamaClusterChatModel',
		icon: { light: 'file:chatModel.svg', dark: 'file:chatModel.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["model"] }}',
		description: "Chat model for n8n's AI Agent and chains on your Ollama servers, through the cluster's gateway (queueing, balancing, failover, cache)",
		defaults: { name: 'Ollama Cluster Chat Model' },
		inputs: [],
		outputs: [NodeConnectionTypes.AiLanguageModel],
		outputNames: ['Model'],
		credentials: subNodeCredentials,
		properties: chatModelProperties,
	};

	methods = {
		loadOptions: { getModels },
		credentialTest: { ollamaClusterApiTest, agentTeamRedisApiTest },
	};

	async supplyData(this: ISupplyDataFunctions, itemIndex: number): Promise<SupplyData> {
		const model = String(this.getNodeParameter('model', itemIndex) ?? '').trim();
		if (!model) throw fieldError(this.getNode(), itemIndex, 'Model Name or ID', 'is empty');
		const options = this.getNodeParameter('options', itemIndex, {}) as ChatModelOptions & { priority?: number };
		let request;
		try {
			request = chatRequestFromOptions(options);
		} catch (error) {
			throw new NodeOperationError(this.getNode(), (error as Error).message, { itemIndex, description: 'Check the "JSON Schema" option.' });
		}
		const gateway = await gatewayForNode(this);
		const cache = await cachePolicyFor(this, itemIndex);
		const chatModel = new ClusterChatModel({
			gateway,
			model,
			request,
			priority: options.priority,
			cache,
			cancelSignal: this.getExecutionCancelSignal?.(),
			toNodeError: (error) => subNodeError(this, error),
		});
		// (the SDK's n8n-workflow types are another copy's in development; at run time both are n8n's)
		return supplyModel(this as unknown as Parameters<typeof supplyModel>[0], chatModel);
	}
}
