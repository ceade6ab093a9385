import type { GatewayChatResult } from '../gateway';
import type { ChatRequest, Message } from '../ollama';
import { AgentContext } from './agent-context';
import { enforceOutputFormat } from './format-retry';
import type { AgentRunDeps, AgentRunInput, AgentRunResult } from './run-types';
import { compileSchema, ollamaFormat } from './structured-output';
import type { ToolCallTrace } from './tool';
import { runToolLoop } from './tool-loop';

export { SERVER_DEFAULT_NUM_CTX } from './agent-context';
export type { AgentRunDeps, AgentRunInput, AgentRunResult } from './run-types';

/**
 * One agent turn for one item: memory → compaction → fit into num_ctx (agent-context.ts) →
 * (tool loop) → output-format check with one retry (format-retry.ts) → memory write.
 * Everything a node needs to report.
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
	const tools = deps.tools ?? [];
	const warnings: string[] = [];
	const context = await AgentContext.prepare(input, { calibrator, store, tools, chat: (r) => chat(r, false), warnings });

	const request: ChatRequest = { model: input.model, messages: context.messages, options: input.options, format: ollamaFormat(input.format) };
	if (input.keepAlive !== undefined) request.keep_alive = input.keepAlive;
	const rawEstimate = context.rawEstimate;

	let reply: GatewayChatResult;
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
			prepareTurn: context.prepareTurn,
			repeatGuard: deps.repeatGuard,
		});
		reply = loop.final;
		trace = loop.trace;
		newMessages = loop.newMessages;
		sentMessages = loop.sentMessages;
	} else {
		// Live streaming only when the first reply is surely the answer: text, no tools.
		reply = await chat(request, input.format.type === 'text');
		newMessages = [{ role: 'assistant', content: reply.message.content }];
	}
	const mainCall = calls[firstCall];
	const estimate = calibrator.report(input.model, mainCall.backend, rawEstimate, mainCall.promptEvalCount, mainCall.promptEvalMs, context.script);

	const { final, response, data } = await enforceOutputFormat({ format: input.format, reply, request, sentMessages, chat: (r) => chat(r, false), warnings });
	if (input.format.type !== 'text') newMessages = [...newMessages.slice(0, -1), { role: 'assistant', content: response }];
	// A reply that was not streamed live (tool loop, JSON formats) is sent once it is the answer,
	// so a streaming client sees exactly `response`: never a tool turn or a rejected reply.
	const streamedLive = tools.length === 0 && input.format.type === 'text';
	if (!streamedLive && response) deps.onChunk?.(response);

	if (input.session && store) {
		await store.append(input.session, [{ role: 'user', content: input.prompt }, newMessages[newMessages.length - 1]]);
	}
	for (const call of calls) warnings.push(...call.warnings);

	const { fit } = context;
	return {
		response,
		data,
		final,
		calls,
		mainCallIndex: firstCall,
		estimate,
		context: {
			numCtx: context.numCtx,
			fittedPromptTokens: fit.promptTokens,
			dropped: fit.dropped,
			summarized: fit.summarized,
			tokensSaved: fit.tokensSaved,
			compactedChars: context.compactedChars,
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
						historyMessages: context.history.length,
					}
				: undefined,
	};
}
