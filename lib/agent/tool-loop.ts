import type { ChatRequest, Message, ToolCall } from '../ollama';
import { canonicalJson } from '../json';
import { MalformedToolOutputError, MaxIterationsError, toOllamaTools, toolOutputText, type AgentTool, type ToolCallTrace } from './tool';

export interface ToolLoopOptions<R extends { message: Message }> {
	request: ChatRequest;
	tools: AgentTool[];
	maxIterations: number;
	/** One chat call (through the gateway). */
	chat: (request: ChatRequest) => Promise<R>;
	signal?: AbortSignal;
	onToolCall?: (trace: ToolCallTrace) => void;
	/**
	 * Before every model turn: the messages to send, given what the loop has added so far
	 * (assistant tool calls, tool results). Default: the request's messages followed by them.
	 * The agent re-fits the context here, so tool output cannot overflow num_ctx.
	 */
	prepareTurn?: (added: Message[]) => Promise<Message[]> | Message[];
	/**
	 * Stops repeated tool calls (off unless given): a call with the same tool and arguments as one
	 * in `seen` does not run again; the model gets the earlier result and is told to use it. A
	 * second repeat in this loop ends it with one turn without tools, so the model answers from
	 * what it has instead of burning turns until `maxIterations`. Share `seen` between loops to
	 * guard a whole run (the Orchestrator keeps one per member and run).
	 */
	repeatGuard?: { seen: Map<string, ToolCallTrace> };
}

export interface ToolLoopResult<R> {
	/** The final reply (no more tool calls). */
	final: R;
	/** Every chat call made, in order (for usage totals). */
	calls: R[];
	/** Messages added to the conversation: assistant tool calls, tool results, final answer. */
	newMessages: Message[];
	/** The messages sent with the final turn (what a follow-up such as a format retry continues). */
	sentMessages: Message[];
	trace: ToolCallTrace[];
}

/** What identifies a tool call for the repeat guard: the tool (as resolved) and its arguments. */
export const toolCallKey = (tool: string, args: Record<string, unknown>) => `${tool.toLowerCase()}\u0000${canonicalJson(args)}`;

async function runOne(tool: AgentTool | undefined, call: ToolCall, iteration: number, signal?: AbortSignal, earlier?: ToolCallTrace): Promise<{ message: Message; trace: ToolCallTrace }> {
	const name = call.function.name;
	const args = (call.function.arguments ?? {}) as Record<string, unknown>;
	const started = performance.now();
	const trace: ToolCallTrace = { iteration, tool: name, arguments: args, durationMs: 0 };
	if (earlier) {
		// Deterministic: the same call gets the same answer without running the tool again.
		trace.repeatOf = earlier.iteration;
		const before = earlier.error !== undefined ? `it failed: ${earlier.error}` : `its result was:\n${earlier.result ?? ''}`;
		const content = `Loop guard: ${name} was already called with these arguments (turn ${earlier.iteration}), so it was not run again; ${before}\nDo not call it again with the same arguments: use that result and answer.`;
		trace.error = `loop guard: repeat of the call in turn ${earlier.iteration}`;
		return { message: { role: 'tool', content, tool_name: name }, trace };
	}
	if (!tool) {
		// The model asked for a tool that does not exist: say so and let it recover.
		trace.error = `unknown tool "${name}"`;
	} else {
		try {
			trace.result = toolOutputText(name, await tool.invoke(args, signal));
		} catch (error) {
			if (error instanceof MalformedToolOutputError) throw error;
			// A failing tool is reported to the model (it may retry with other arguments).
			trace.error = (error as Error).message;
		}
	}
	trace.durationMs = Math.round((performance.now() - started) * 10) / 10;
	const content = trace.error !== undefined ? `Error: ${trace.error}` : (trace.result as string);
	return { message: { role: 'tool', content, tool_name: name }, trace };
}

/**
 * Ollama's tool-calling loop on /api/chat: send the tools, run the calls the model asks for
 * (several in one turn run concurrently), feed the results back, until it answers in text or
 * `maxIterations` model turns have asked for tools.
 */
export async function runToolLoop<R extends { message: Message }>(options: ToolLoopOptions<R>): Promise<ToolLoopResult<R>> {
	const { tools, maxIterations, chat, signal } = options;
	const byName = new Map(tools.map((t) => [t.name, t]));
	// Small models often change a tool name's case ("calculator" for "Calculator").
	const byLowerName = new Map(tools.map((t) => [t.name.toLowerCase(), t]));
	const find = (name: string) => byName.get(name) ?? byLowerName.get(name.toLowerCase());
	const base = options.request.messages ?? [];
	const prepare = options.prepareTurn ?? ((added: Message[]) => [...base, ...added]);
	const ollamaTools = toOllamaTools(tools);
	const calls: R[] = [];
	const added: Message[] = [];
	const newMessages: Message[] = [];
	const trace: ToolCallTrace[] = [];

	const seen = options.repeatGuard?.seen;
	let repeats = 0;
	for (let iteration = 1; ; iteration++) {
		const messages = await prepare(added);
		// After a second repeat the model gets no tools: it has to answer from what it has.
		const lastTurn = seen !== undefined && repeats >= 2;
		const reply = await chat({ ...options.request, messages, ...(lastTurn ? {} : { tools: ollamaTools }) });
		calls.push(reply);
		const toolCalls = lastTurn ? [] : (reply.message.tool_calls ?? []);
		if (toolCalls.length === 0) {
			newMessages.push({ role: 'assistant', content: reply.message.content });
			return { final: reply, calls, newMessages, trace, sentMessages: messages };
		}
		if (iteration > maxIterations) throw new MaxIterationsError(maxIterations);
		const assistant: Message = { role: 'assistant', content: reply.message.content ?? '', tool_calls: toolCalls };
		const keys = toolCalls.map((call) => toolCallKey(find(call.function.name)?.name ?? call.function.name, (call.function.arguments ?? {}) as Record<string, unknown>));
		const results = await Promise.all(
			toolCalls.map((call, i) => {
				// Two identical calls in one turn: the second is a repeat of the first.
				const earlier = seen?.get(keys[i]) ?? (seen && keys.indexOf(keys[i]) < i ? { iteration, tool: call.function.name, arguments: {}, durationMs: 0, result: '(the same call earlier in this turn)' } : undefined);
				return runOne(find(call.function.name), call, iteration, signal, earlier);
			}),
		);
		added.push(assistant, ...results.map((r) => r.message));
		newMessages.push(assistant, ...results.map((r) => r.message));
		results.forEach((r, i) => {
			if (r.trace.repeatOf !== undefined) repeats++;
			else if (seen && !seen.has(keys[i])) seen.set(keys[i], r.trace);
			trace.push(r.trace);
			options.onToolCall?.(r.trace);
		});
	}
}
