import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { agentTeamRedisApiTest, ollamaClusterApiTest } from '../shared/credential-tests';
import { gatewayForNode } from '../shared/gateway-for-node';
import { getModels } from '../shared/load-options';
import { runItemsConcurrently } from '../shared/run-items';
import { agentProperties } from './description';
import { buildChatRequest } from './helpers/build-chat-request';
import { toOutputJson } from './helpers/to-output-item';

export class TeamAgent implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Team Agent',
		name: 'teamAgent',
		icon: { light: 'file:agent.svg', dark: 'file:agent.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["role"] + ": " + $parameter["model"] }}',
		description: 'One LLM agent (role, model, prompt) on your Ollama cluster, through the shared pooled gateway',
		defaults: { name: 'Team Agent' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'ollamaClusterApi', required: true, testedBy: 'ollamaClusterApiTest' },
			{ name: 'agentTeamRedisApi', required: false, testedBy: 'agentTeamRedisApiTest' },
		],
		properties: agentProperties,
	};

	methods = {
		loadOptions: { getModels },
		credentialTest: { ollamaClusterApiTest, agentTeamRedisApiTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const gateway = await gatewayForNode(this);
		const output = await runItemsConcurrently(this, async (itemIndex, signal) => {
			const request = buildChatRequest(this, itemIndex);
			const result = await gateway.chat(request, { signal });
			return toOutputJson(result, { parseJson: request.format === 'json' });
		});
		return [output];
	}
}
