import { BaseChatModel, type ChatModelConfig, type FinishReason, type GenerateResult, type Message, type StreamChunk, type TokenUsage } from '@n8n/ai-node-sdk';

import type { Gateway, GatewayCallOptions, GatewayChatResult } from '../gateway';
import type { ChatRequest, ToolCall } from '../ollama';
import type { CachePolicy } from '../pipeline';
import { explainModelNotFound } from './model-errors';
import { toOllamaMessages, toOllamaTools } from './messages';

/** What the Chat Model sub-node fixes for every call of the model it supplies. */
export interface ClusterChatSettings {
	gateway: Gateway;
	model: string;
	/** Ollama request fields besides model/messages/tools: options, format, keep_alive, think. */
	request?: Omit<ChatRequest, 'model' | 'messages' | 'tools' | 'stream'>;
	/** Gateway queue priority (higher first). */
	priority?: number;
	/** Response cache policy (lib/cache); undefined: not cached. */
	cache?: CachePolicy;
	/** The execution's cancel signal: a cancelled execution stops its calls. */
	cancelSignal?: AbortSignal;
	/**
	 * How a failed call is reported: the node turns it into n8n's sub-node error (NodeApiError,
	 * "configuration-node"), as n8n's failed-attempt handler does for its own chat models. The
	 * SDK's adapter calls the model directly, not through LangChain's retrying caller, so nothing
	 * else would.
	 */
	toNodeError?: (error: unknown) => unknown;
}

/**
 * The per-call config as it arrives. The SDK's LangChain adapter hands over LangChain's parsed
 * call options, so `signal` and `stop` come under LangChain's names, not the SDK's.
 */
type CallConfig = ChatModelConfig & { signal?: AbortSignal; stop?: string[] };

/** Ollama's answer options a per-call config may override (the SDK's names → Ollama's). */
function perCallOptions(config: CallConfig): Record<string, unknown> {
	const options: Record<string, unknown> = {};
	if (config.temperature !== undefined) options.temperature = config.temperature;
	if (config.topP !== undefined) options.top_p = config.topP;
	if (config.topK !== undefined) options.top_k = config.topK;
	if (config.presencePenalty !== undefined) options.presence_penalty = config.presencePenalty;
	if (config.frequencyPenalty !== undefined) options.frequency_penalty = config.frequencyPenalty;
	if (config.seed !== undefined) options.seed = config.seed;
	if (config.maxTokens !== undefined) options.num_predict = config.maxTokens;
	const stop = config.stopSequences ?? config.stop;
	if (stop?.length) options.stop = stop;
	return options;
}

function finishReasonOf(result: GatewayChatResult): FinishReason {
	if (result.message.tool_calls?.length) return 'tool-calls';
	if (result.doneReason === 'length') return 'length';
	return 'stop';
}

function usageOf(result: GatewayChatResult): TokenUsage {
	const promptTokens = result.promptEvalCount ?? 0;
	const completionTokens = result.evalCount ?? 0;
	return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}

/** What n8n shows beside the answer (response_metadata in the logs): where and how the call ran. */
function metadataOf(result: GatewayChatResult): Record<string, unknown> {
	return {
		backend: result.backend,
		latencyMs: result.latencyMs,
		queueMs: result.queueMs,
		loadMs: result.loadMs,
		promptEvalMs: result.promptEvalMs,
		evalMs: result.evalMs,
		cacheHit: result.cacheHit,
		...(result.cacheLayer ? { cacheLayer: result.cacheLayer } : {}),
		retries: result.retries,
		...(result.failedOver?.length ? { failedOver: result.failedOver } : {}),
		...(result.warnings.length ? { warnings: result.warnings } : {}),
		...(result.message.thinking ? { thinking: result.message.thinking } : {}),
		done_reason: result.doneReason,
	};
}

let callIds = 0;
/** Ollama gives tool calls no id before 0.12; LangChain pairs results to calls (and stream chunks to each other) by id. */
function toolCallId(call: ToolCall): string {
	const id = (call as ToolCall & { id?: unknown }).id;
	return typeof id === 'string' && id ? id : `call_${(++callIds).toString(36)}_${Date.now().toString(36)}`;
}

/**
 * A tool call's arguments as text for the SDK. Ollama parses them into an object; a model whose
 * arguments Ollama could not parse may send a string, handed on as it came (the SDK reads text
 * that is not JSON as no arguments, and the tool's schema check then reports it to the agent).
 */
function argumentsText(call: ToolCall): string {
	const args: unknown = call.function.arguments;
	return typeof args === 'string' ? args : JSON.stringify(args ?? {});
}

/**
 * The chat model the Ollama Cluster Chat Model sub-node supplies, on n8n's AI node SDK: n8n wraps
 * it (supplyModel) in its own LangChain adapter, so the AI Agent, chains and output parsers get
 * n8n's own LangChain classes, tracing and token counts. Every call goes through the gateway.
 */
export class OllamaClusterChatModel extends BaseChatModel<ChatModelConfig> {
	private readonly settings: ClusterChatSettings;

	constructor(settings: ClusterChatSettings) {
		super('ollama-cluster', settings.model);
		this.settings = settings;
	}

	/** The Ollama request for these messages: the node's settings, the bound tools, the call's overrides. */
	buildRequest(messages: Message[], config: CallConfig = {}): ChatRequest {
		const base = this.settings.request ?? {};
		const options = { ...(base.options ?? {}), ...perCallOptions(config) };
		const tools = toOllamaTools(this.tools);
		return {
			...base,
			model: this.modelId,
			messages: toOllamaMessages(messages),
			...(tools.length ? { tools } : {}),
			...(Object.keys(options).length ? { options } : {}),
		} as ChatRequest;
	}

	private callOptions(config: CallConfig, own?: AbortSignal): GatewayCallOptions {
		const signals = [config.abortSignal ?? config.signal, this.settings.cancelSignal, own].filter((s): s is AbortSignal => !!s);
		return {
			signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
			priority: this.settings.priority,
			...(this.settings.cache ? { hints: { cache: this.settings.cache } } : {}),
		};
	}

	private explain(error: unknown): never {
		const explained = explainModelNotFound(this.settings.gateway, this.modelId, error);
		throw this.settings.toNodeError ? this.settings.toNodeError(explained) : explained;
	}

	async generate(messages: Message[], config: CallConfig = {}): Promise<GenerateResult> {
		const request = this.buildRequest(messages, config);
		const result = await this.settings.gateway.chat(request, this.callOptions(config)).catch((error) => this.explain(error));
		const content: Message['content'] = [];
		if (result.message.content) content.push({ type: 'text', text: result.message.content });
		for (const call of result.message.tool_calls ?? []) {
			content.push({ type: 'tool-call', toolCallId: toolCallId(call), toolName: call.function.name, input: argumentsText(call) });
		}
		return {
			message: { role: 'assistant', content },
			finishReason: finishReasonOf(result),
			usage: usageOf(result),
			providerMetadata: metadataOf(result),
		};
	}

	/**
	 * Tokens as the backend sends them; tool calls (Ollama sends each whole) and the usage at the
	 * end. Leaving the loop early (the agent or the client stopped) cancels the call.
	 */
	async *stream(messages: Message[], config: CallConfig = {}): AsyncIterable<StreamChunk> {
		const request = this.buildRequest(messages, config);
		const stop = new AbortController();
		const pieces: string[] = [];
		let wake: (() => void) | undefined;
		let finished = false;
		let result: GatewayChatResult | undefined;
		let failure: unknown;
		const call = this.settings.gateway
			.chat(request, {
				...this.callOptions(config, stop.signal),
				onChunk: (text) => {
					pieces.push(text);
					wake?.();
				},
			})
			.then(
				(r) => (result = r),
				(e) => (failure = e),
			)
			.finally(() => {
				finished = true;
				wake?.();
			});
		try {
			for (;;) {
				if (pieces.length) {
					yield { type: 'text-delta', delta: pieces.splice(0).join('') };
					continue;
				}
				if (finished) break;
				await new Promise<void>((resolve) => (wake = resolve));
				wake = undefined;
			}
			await call;
			if (failure !== undefined) this.explain(failure);
			const done = result as GatewayChatResult;
			for (const tc of done.message.tool_calls ?? []) {
				// one chunk per call with its own id: LangChain merges chunks of one index only when their ids match
				yield { type: 'tool-call-delta', id: toolCallId(tc), name: tc.function.name, argumentsDelta: argumentsText(tc) };
			}
			yield { type: 'finish', finishReason: finishReasonOf(done), usage: usageOf(done), providerMetadata: metadataOf(done) };
		} finally {
			if (!finished) stop.abort();
		}
	}
}
