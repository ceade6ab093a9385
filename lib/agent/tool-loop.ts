import type { ChatRequest, Message, ToolCall } from '../ollama';
import { MaxIterationsError, toOllamaTools, toolOutputText, type AgentTool, type ToolCallTrace } from './tool';

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

async function runOne(tool: AgentTool | undefined, call: ToolCall, iteration: number, signal?: AbortSignal): Promise<{ message: Message; trace: ToolCallTrace }> {
	const name = call.function.name;
	const args = (call.function.arguments ?? {}) as Record<string, unknown>;
	const started = performance.now();
	const trace: ToolCallTrace = { iteration, tool: name, arguments: args, durationMs: 0 };
	if (!tool) {
		// The model asked for a tool that does not exist: say so and let it recover.
		trace.error = `unknown tool "${name}"`;
	} else {
		try {
			trace.result = toolOutputText(name, await tool.invoke(args, signal));
		} catch (error) {
			if ((error as Error).name === 'MalformedToolOutputError') throw error;
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

	for (let iteration = 1; ; iteration++) {
		const messages = await prepare(added);
		const reply = await chat({ ...options.request, messages, tools: ollamaTools });
		calls.push(reply);
		const toolCalls = reply.message.tool_calls ?? [];
		if (toolCalls.length === 0) {
			newMessages.push({ role: 'assistant', content: reply.message.content });
			return { final: reply, calls, newMessages, trace, sentMessages: messages };
		}
		if (iteration > maxIterations) throw new MaxIterationsError(maxIterations);
		const assistant: Message = { role: 'assistant', content: reply.message.content ?? '', tool_calls: toolCalls };
		const results = await Promise.all(toolCalls.map((call) => runOne(find(call.function.name), call, iteration, signal)));
		added.push(assistant, ...results.map((r) => r.message));
		newMessages.push(assistant, ...results.map((r) => r.message));
		for (const r of results) {
			trace.push(r.trace);
			options.onToolCall?.(r.trace);
		}
	}
}
