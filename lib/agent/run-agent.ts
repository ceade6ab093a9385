import type { Gateway, GatewayChatResult } from '../gateway';
import type { ConversationStore, SessionRef } from '../memory';
import type { ChatRequest, Message } from '../ollama';
import type { CachePolicy } from '../pipeline';
import {
	compactPrompt,
	ContextOverflowError,
	countChatTokens,
	textScript,
	fitContext,
	resolveReserveOutput,
	type ChatMessage,
	type ContextDocument,
	type FitStrategy,
	type TokenCalibrator,
	type TokenEncoding,
} from '../tokens';
import { checkReply, compileSchema, ollamaFormat, OutputValidationError, retryInstruction, type OutputFormat } from './structured-output';
import { toOllamaTools, type AgentTool, type ToolCallTrace } from './tool';
import { runToolLoop } from './tool-loop';
import { trimToolResults } from './trim-tool-results';

/** Ollama's default context window when a request sets no num_ctx. */
export const SERVER_DEFAULT_NUM_CTX = 4096;

export interface AgentRunInput {
	model: string;
	system: string;
	prompt: string;
	/** Ollama options (temperature, seed, num_ctx, num_predict …). */
	options: NonNullable<ChatRequest['options']>;
	keepAlive?: string | number;
	format: OutputFormat;
	documents: ContextDocument[];
	/** The conversation to read and extend (scoped to a workflow unless shared on purpose). */
	session?: SessionRef;
	context: {
		strategy: FitStrategy;
		/** Share of the free context for the conversation, 0–1 (the rest is for documents). */
		historyShare: number;
		summaryModel?: string;
		compact: boolean;
		encoding: TokenEncoding;
	};
	maxToolIterations: number;
	/** Answer from / store in the response cache (lib/cache); absent: no caching for this item. */
	cache?: CachePolicy;
}

export interface AgentRunDeps {
	gateway: Gateway;
	calibrator: TokenCalibrator;
	store?: ConversationStore;
	tools?: AgentTool[];
	signal?: AbortSignal;
	onChunk?: (text: string) => void;
	onToolCall?: (trace: ToolCallTrace) => void;
	/** Stops repeated tool calls (same tool, same arguments) in the tool loop; see runToolLoop. */
	repeatGuard?: { seen: Map<string, ToolCallTrace> };
	/** Every model call that returned (tool turns, the format retry, summaries), as it returns. */
	onCall?: (result: GatewayChatResult) => void;
	/** Every model call that failed, with what is known of it (the caller decides what counts). */
	onCallFailed?: (error: unknown, call: { model: string; latencyMs: number }) => void;
}

export interface AgentRunResult {
	response: string;
	/** The parsed reply for JSON output formats. */
	data?: unknown;
	final: GatewayChatResult;
	/** Every model call the item made (tool turns, the format retry, the summary). */
	calls: GatewayChatResult[];
	/** Index in `calls` of the first call of the answer (after any summary call): the estimate's. */
	mainCallIndex: number;
	estimate: { estimatedTokens: number; modelTokens: number; errorPct: number };
	context: {
		numCtx: number;
		/** The fitted request's size as the budget counted it (calibrated estimate, tool definitions excluded). */
		fittedPromptTokens: number;
		dropped: { turns: number; documents: number; chunks: number; tokens: number };
		summarized?: { turns: number; tokensBefore: number; tokensAfter: number };
		tokensSaved: number;
		compactedChars: number;
		strategy: FitStrategy;
	};
	trace: ToolCallTrace[];
	warnings: string[];
	memory?: { store: ConversationStore['kind']; sessionKey: string; scope: 'workflow' | 'shared'; historyMessages: number };
}

const SUMMARY_SYSTEM =
	'Summarize the conversation below for the assistant who continues it. Keep names, numbers, decisions and open questions. Be brief.';

/**
 * One agent turn for one item: memory → compaction → fit into num_ctx → (tool loop) →
 * output-format check with one retry → memory write. Everything a node needs to report.
 */
export async function runAgent(input: AgentRunInput, deps: AgentRunDeps): Promise<AgentRunResult> {
	const { gateway, calibrator, store, signal } = deps;
	// A broken schema is the user's input error: report it before spending a model call.
	if (input.format.type === 'jsonSchema') compileSchema(input.format.schema);
	const calls: GatewayChatResult[] = [];
	const chat = async (request: ChatRequest, stream = true) => {
		const started = performance.now();
		let result: GatewayChatResult;
		try {
			result = await gateway.chat(request, { signal, onChunk: stream ? deps.onChunk : undefined, hints: input.cache && { cache: input.cache } });
		} catch (error) {
			deps.onCallFailed?.(error, { model: request.model, latencyMs: performance.now() - started });
			throw error;
		}
		calls.push(result);
		deps.onCall?.(result);
		return result;
	};

	let compactedChars = 0;
	const compact = (text: string) => {
		if (!input.context.compact) return text;
		const result = compactPrompt(text);
		compactedChars += result.removedChars;
		return result.text;
	};
	const system = compact(input.system);
	const prompt = compact(input.prompt);
	const documents = input.documents.map((d) => ({ ...d, text: compact(d.text) }));

	const history = input.session && store ? ((await store.load(input.session)) as ChatMessage[]) : [];
	const numCtxSet = Number(input.options.num_ctx) > 0;
	const summaryModel = input.context.summaryModel || input.model;
	const tools = deps.tools ?? [];
	const ollamaTools = tools.length ? toOllamaTools(tools) : undefined;
	const counting = { encoding: input.context.encoding, model: input.model };
	const bareRequest = countChatTokens([], counting);
	/** Tokens of messages without the request's own overhead (counted once per request). */
	const messagesTokens = (messages: Message[]) => countChatTokens(messages as ChatMessage[], counting) - bareRequest;
	const toolDefinitionTokens = ollamaTools ? countChatTokens([], { ...counting, tools: ollamaTools }) - bareRequest : 0;
	// The request's kind of text: calibration learns and floors each script apart (lib/tokens/scripts.ts).
	const script = textScript([system, prompt, ...history.map((m) => m.content), ...documents.map((d) => d.text)]);
	const upperBound = (estimated: number) => calibrator.upperBound({ model: input.model, estimated, script });
	const reserve = resolveReserveOutput(input.options.num_predict);
	/**
	 * Fits history and documents around what must be sent: system prompt, prompt, the reply
	 * reserve and `extraTokens` (tool definitions, the tool loop's messages so far).
	 */
	const fitInto = (numCtx: number, keepHistory: boolean, extraTokens = toolDefinitionTokens) =>
		fitContext({
			system,
			history: keepHistory ? history : [],
			documents: keepHistory ? documents : [],
			prompt,
			numCtx,
			reserveOutput: reserve + (extraTokens > 0 ? upperBound(extraTokens) : 0),
			split: { history: input.context.historyShare, documents: 1 - input.context.historyShare },
			strategy: input.context.strategy,
			encoding: input.context.encoding,
			model: input.model,
			calibrate: upperBound,
			summarize: async (turns, targetTokens) => {
				const transcript = turns.map((t) => `${t.role}: ${t.content}`).join('\n');
				const reply = await chat(
					{
						model: summaryModel,
						messages: [
							{ role: 'system', content: SUMMARY_SYSTEM },
							{ role: 'user', content: transcript },
						],
						options: { num_predict: Math.max(16, targetTokens) },
					},
					false,
				);
				return reply.message.content;
			},
		});

	const warnings: string[] = [];
	let numCtx = numCtxSet ? Number(input.options.num_ctx) : SERVER_DEFAULT_NUM_CTX;
	let fit: Awaited<ReturnType<typeof fitContext>>;
	let keepHistory = true;
	try {
		fit = await fitInto(numCtx, true);
	} catch (error) {
		// Without a Context Window the server's real default is unknown (OLLAMA_CONTEXT_LENGTH may
		// be larger): send the prompt rather than refuse it, and say what to set.
		if (numCtxSet || !(error instanceof ContextOverflowError)) throw error;
		numCtx = error.needed;
		keepHistory = false;
		fit = await fitInto(numCtx, false);
		warnings.push(
			`The prompt needs ~${error.needed} tokens, more than Ollama's default context of ${SERVER_DEFAULT_NUM_CTX}; history and documents were left out. Set the Context Window option, or the server may truncate the prompt.`,
		);
	}

	const request: ChatRequest = {
		model: input.model,
		messages: fit.messages as Message[],
		options: input.options,
		format: ollamaFormat(input.format),
	};
	if (input.keepAlive !== undefined) request.keep_alive = input.keepAlive;
	const rawEstimate = countChatTokens(fit.messages, { ...counting, tools: ollamaTools });

	/**
	 * Before each tool-loop turn: the fitted request plus what the loop added, re-fitted when that
	 * no longer fits num_ctx — older history and documents give way first, then the longest tool
	 * results are cut (marked, and named in the warnings).
	 */
	const prepareTurn = async (added: Message[]): Promise<Message[]> => {
		const limit = numCtx - reserve;
		if (added.length === 0 || upperBound(countChatTokens([...fit.messages, ...added] as ChatMessage[], { ...counting, tools: ollamaTools })) <= limit) {
			return [...(fit.messages as Message[]), ...added];
		}
		let loop = added;
		for (let attempt = 0; ; attempt++) {
			try {
				fit = await fitInto(numCtx, keepHistory, toolDefinitionTokens + messagesTokens(loop));
				return [...(fit.messages as Message[]), ...loop];
			} catch (error) {
				if (!(error instanceof ContextOverflowError) || attempt >= 3) throw error;
				const trimmed = trimToolResults(loop, error.needed - error.available, (text) => messagesTokens([{ role: 'tool', content: text }]));
				if (trimmed.cut.length === 0) throw error;
				loop = trimmed.messages;
				for (const { tool, chars } of trimmed.cut) {
					warnings.push(`A tool result of "${tool}" was cut by ${chars} characters to fit the context window (num_ctx ${numCtx}); raise the Context Window or make the tool return less.`);
				}
			}
		}
	};

	let final: GatewayChatResult;
	let trace: ToolCallTrace[] = [];
	let newMessages: Message[];
	let sentMessages = request.messages ?? [];
	const firstCall = calls.length;
	if (tools.length) {
		const loop = await runToolLoop({
			request,
			tools,
			maxIterations: input.maxToolIterations,
			chat: (r) => chat(r, false),
			signal,
			onToolCall: deps.onToolCall,
			prepareTurn,
			repeatGuard: deps.repeatGuard,
		});
		final = loop.final;
		trace = loop.trace;
		newMessages = loop.newMessages;
		sentMessages = loop.sentMessages;
	} else {
		// Live streaming only when the first reply is surely the answer: text, no tools.
		final = await chat(request, input.format.type === 'text');
		newMessages = [{ role: 'assistant', content: final.message.content }];
	}
	const mainCall = calls[firstCall];
	const estimate = calibrator.report(input.model, mainCall.backend, rawEstimate, mainCall.promptEvalCount, mainCall.promptEvalMs, script);

	let response = final.message.content;
	let data: unknown;
	if (input.format.type !== 'text') {
		let check = checkReply(input.format, response);
		if (!check.ok) {
			warnings.push(`The first reply was rejected (${check.problem}); retried once.`);
			const retry = await chat(
				{
					...request,
					messages: [
						...sentMessages,
						{ role: 'assistant', content: response },
						{ role: 'user', content: retryInstruction(check.problem) },
					],
				},
				false,
			);
			final = retry;
			response = retry.message.content;
			check = checkReply(input.format, response);
			if (!check.ok) throw new OutputValidationError(check.problem, response);
		}
		data = check.value;
		newMessages = [...newMessages.slice(0, -1), { role: 'assistant', content: response }];
	}
	// A reply that was not streamed live (tool loop, JSON formats) is sent once it is the answer,
	// so a streaming client sees exactly `response`: never a tool turn or a rejected reply.
	const streamedLive = tools.length === 0 && input.format.type === 'text';
	if (!streamedLive && response) deps.onChunk?.(response);

	if (input.session && store) {
		await store.append(input.session, [{ role: 'user', content: input.prompt }, newMessages[newMessages.length - 1]]);
	}
	for (const call of calls) warnings.push(...call.warnings);

	return {
		response,
		data,
		final,
		calls,
		mainCallIndex: firstCall,
		estimate,
		context: {
			numCtx,
			fittedPromptTokens: fit.promptTokens,
			dropped: fit.dropped,
			summarized: fit.summarized,
			tokensSaved: fit.tokensSaved,
			compactedChars,
			strategy: fit.strategy,
		},
		trace,
		warnings: [...new Set(warnings)],
		memory:
			input.session && store
				? {
						store: store.kind,
						sessionKey: input.session.sessionKey,
						scope: input.session.workflowId === undefined ? 'shared' : 'workflow',
						historyMessages: history.length,
					}
				: undefined,
	};
}
