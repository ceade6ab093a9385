import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { runAgent } from '../../lib/agent';
import { SessionQueue, sessionPath } from '../../lib/memory';
import { isBackendCallError, processMetrics, recordFromChatResult, recordFromError, RedisMetricsStore, RunSummary, type CallRecord } from '../../lib/metrics';
import type { ChatRequest } from '../../lib/ollama';
import { defaultCalibrator } from '../../lib/tokens';
import { cacheLayersFor } from '../shared/cache-layers';
import { constantParameterReader } from '../shared/constant-parameters';
import { agentTeamRedisApiTest, ollamaClusterApiTest } from '../shared/credential-tests';
import { gatewayForNode } from '../shared/gateway-for-node';
import { getModels } from '../shared/load-options';
import { sharedRedisFor } from '../shared/redis-for-node';
import { itemWindowFor, runItemsConcurrently } from '../shared/run-items';
import { agentProperties, agentSubtitle } from './description';
import { getConnectedTools } from './helpers/connected-tools';
import { conversationStoreFor } from './helpers/conversation-store';
import { readCachePolicy } from './helpers/cache-policy';
import { readAgentInput, readOptions } from './helpers/read-parameters';
import { warmUpError } from './helpers/warm-up-error';
import { toOutputJson } from './helpers/to-output-item';
import { createChunkSender } from './helpers/stream-chunks';

export class TeamAgent implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Team Agent',
		name: 'teamAgent',
		icon: { light: 'file:agent.svg', dark: 'file:agent.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: agentSubtitle,
		description: 'Ask an LLM on your own Ollama servers, with a role, memory, documents and tools',
		defaults: { name: 'Team Agent' },
		usableAsTool: true,
		inputs: [
			NodeConnectionTypes.Main,
			{ type: NodeConnectionTypes.AiTool, displayName: 'Tools', required: false },
		],
		// The run summary has its own output, so it cannot be taken for an answer downstream.
		outputs: [NodeConnectionTypes.Main, { type: NodeConnectionTypes.Main, displayName: 'Run Summary' }],
		// labelled for what each does (n8n otherwise labels both "Credential")
		credentials: [
			{ name: 'ollamaClusterApi', displayName: 'Ollama Servers', required: true, testedBy: 'ollamaClusterApiTest' },
			{ name: 'agentTeamRedisApi', displayName: 'Redis (Optional)', required: false, testedBy: 'agentTeamRedisApiTest' },
		],
		properties: agentProperties,
	};

	methods = {
		loadOptions: { getModels },
		credentialTest: { ollamaClusterApiTest, agentTeamRedisApiTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const gateway = await gatewayForNode(this);
		const tools = await getConnectedTools(this);
		const redis = await sharedRedisFor(this);
		const cacheLayers = await cacheLayersFor(this);
		const store = conversationStoreFor(redis);
		const redisMetrics = redis && new RedisMetricsStore(redis);
		const summary = new RunSummary({ profile: gateway.profile });
		const record = (entry: CallRecord) => {
			summary.add(entry);
			processMetrics().record(entry);
			void redisMetrics?.record(entry).catch(() => undefined); // metrics never fail an item
		};

		const parameters = constantParameterReader(this, agentProperties);
		const options = readOptions(parameters, 0);
		// Warm-up runs once for the run, inside the item path: its failure is each item's error
		// (named, field, continueOnFail) and the execution's cancellation stops it.
		let warming: Promise<unknown> | undefined;
		const warmUp = (input: { model: string; options: NonNullable<ChatRequest['options']>; keepAlive?: string | number }, signal: AbortSignal) =>
			(warming ??= gateway.warmUp({ model: input.model, options: input.options, keep_alive: input.keepAlive }, { signal }));
		const sendChunk = createChunkSender(this);
		const sessions = new SessionQueue();
		const started = new Map<number, number>();

		const output = await runItemsConcurrently(
			this,
			async (itemIndex, signal) => {
				started.set(itemIndex, performance.now());
				const input = { ...readAgentInput(parameters, itemIndex), cache: readCachePolicy(parameters, itemIndex, cacheLayers) };
				if (options.warmUp) {
					try {
						await warmUp(input, signal);
					} catch (error) {
						throw warmUpError(this.getNode(), error, itemIndex);
					}
				}
				sendChunk?.('begin', itemIndex);
				const run = await sessions.run(input.session && sessionPath(input.session), async () => await runAgent(input, {
					gateway,
					calibrator: defaultCalibrator,
					store,
					tools,
					signal,
					onChunk: sendChunk && ((text) => sendChunk('item', itemIndex, text)),
					// Metrics count real backend calls only, as each one ends: not parameter errors, not calls
					// cancelled because a sibling item failed, and the calls of an item that fails later do count.
					onCall: (call) => record(recordFromChatResult(call)),
					onCallFailed: (error, call) => {
						if (isBackendCallError(error)) record(recordFromError(error, call));
					},
					onToolCall: (call) =>
						this.logAiEvent('ai-tool-called', JSON.stringify({ item: itemIndex, tool: call.tool, ms: call.durationMs, ok: !call.error })),
				}));
				sendChunk?.('end', itemIndex);
				return toOutputJson(run, performance.now() - started.get(itemIndex)!);
			},
			{
				onError: (itemIndex, error) => sendChunk?.('error', itemIndex, (error as Error).message),
				window: itemWindowFor(gateway),
			},
		);

		this.logAiEvent('ai-llm-generated-output', summary.toLogMessage());
		const summaryOutput: INodeExecutionData[] = options.summaryItem
			? [{ json: { runSummary: summary.summary() as never }, pairedItem: this.getInputData().map((_item, item) => ({ item })) }]
			: [];
		return [output, summaryOutput];
	}
}
