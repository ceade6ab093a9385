import {
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { isBackendCallError, processMetrics, recordFromChatResult, recordFromError, RedisMetricsStore, type CallRecord } from '../../lib/metrics';
import { createModelMember, createToolMember, runOrchestrator, TeamError } from '../../lib/orchestrator';
import { defaultCalibrator } from '../../lib/tokens';
import { getConnectedTools } from '../Agent/helpers/connected-tools';
import { createChunkSender } from '../Agent/helpers/stream-chunks';
import { readCachePolicy } from '../Agent/helpers/cache-policy';
import { cacheLayersFor } from '../shared/cache-layers';
import { agentTeamRedisApiTest, ollamaClusterApiTest } from '../shared/credential-tests';
import { gatewayForNode } from '../shared/gateway-for-node';
import { getModels } from '../shared/load-options';
import { toItemError } from '../shared/node-error';
import { runItemsConcurrently } from '../shared/run-items';
import { orchestratorProperties } from './description';
import { readOptions, readOrchestratorInput } from './helpers/read-parameters';
import { progressLine, resultJson, stepJson } from './helpers/to-output';

export class Orchestrator implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Orchestrator',
		name: 'orchestrator',
		icon: { light: 'file:orchestrator.svg', dark: 'file:orchestrator.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["strategy"] + ": " + $parameter["leadModel"] }}',
		description: 'A team of agents on your Ollama cluster: plan, run steps in parallel, review the results, replan',
		defaults: { name: 'Orchestrator' },
		usableAsTool: true,
		inputs: [
			NodeConnectionTypes.Main,
			{ type: NodeConnectionTypes.AiTool, displayName: 'Team', required: false },
		],
		outputs: [
			{ type: NodeConnectionTypes.Main, displayName: 'Result' },
			{ type: NodeConnectionTypes.Main, displayName: 'Steps' },
		],
		credentials: [
			{ name: 'ollamaClusterApi', displayName: 'Ollama Servers', required: true, testedBy: 'ollamaClusterApiTest' },
			// Optional: Options → Cache then shares answers through Redis with every worker, and the run's calls count in the cluster-wide metrics.
			{ name: 'agentTeamRedisApi', displayName: 'Redis (Optional)', required: false, testedBy: 'agentTeamRedisApiTest' },
		],
		properties: orchestratorProperties,
	};

	methods = {
		loadOptions: { getModels },
		credentialTest: { ollamaClusterApiTest, agentTeamRedisApiTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const gateway = await gatewayForNode(this);
		// Nodes on the Team input (Team Agent tools, agent tools, Call Workflow tools, any tool) are members.
		const connected = (await getConnectedTools(this)).map(createToolMember);
		const cacheLayers = await cacheLayersFor(this);
		// Every model call of the run (lead and members) counts in the process metrics, and in the
		// cluster-wide metrics when a Redis credential is set, as the Team Agent's calls do.
		const redisMetrics = cacheLayers.redis && new RedisMetricsStore(cacheLayers.redis);
		const record = (entry: CallRecord) => {
			processMetrics().record(entry);
			void redisMetrics?.record(entry).catch(() => undefined); // metrics never fail an item
		};
		const sendChunk = createChunkSender(this);
		const stepItems: INodeExecutionData[] = [];

		const results = await runItemsConcurrently(this, async (itemIndex, signal) => {
			const { input, members } = readOrchestratorInput(this, itemIndex, readCachePolicy(this, itemIndex, cacheLayers));
			const team = [...members.map((m) => createModelMember(m, { gateway, calibrator: defaultCalibrator })), ...connected];
			sendChunk?.('begin', itemIndex);
			let result;
			try {
				result = await runOrchestrator(input, {
					gateway,
					members: team,
					signal,
					onCall: (call) => record(recordFromChatResult(call)),
					onCallFailed: (error, call) => {
						if (isBackendCallError(error)) record(recordFromError(error, call));
					},
					onProgress: sendChunk && ((event) => sendChunk('item', itemIndex, progressLine(event))),
					onAnswerChunk: sendChunk && ((text) => sendChunk('item', itemIndex, text)),
				});
			} catch (error) {
				if (error instanceof TeamError) {
					throw new NodeOperationError(this.getNode(), `Item ${itemIndex}: ${error.message}`, { itemIndex, description: `Check the "${error.field}" parameter.` });
				}
				throw toItemError(this.getNode(), error, itemIndex);
			}
			sendChunk?.('end', itemIndex);
			this.logAiEvent(
				'ai-llm-generated-output',
				JSON.stringify({ item: itemIndex, strategy: result.strategy, status: result.status, stoppedBy: result.stoppedBy, steps: result.totals.steps, tokens: result.totals.tokens.totalTokens }),
			);
			if (readOptions(this, itemIndex).stepItems) {
				for (const step of result.steps) stepItems.push({ json: { item: itemIndex, ...stepJson(step) }, pairedItem: { item: itemIndex } });
			}
			return resultJson(result);
		}, { onError: (itemIndex, error) => sendChunk?.('error', itemIndex, (error as Error).message) });

		stepItems.sort((a, b) => (a.json.item as number) - (b.json.item as number));
		return [results, stepItems];
	}
}
