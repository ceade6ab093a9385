import type { ChatRequest, Message } from '../ollama';
import { MalformedToolOutputError, MaxIterationsError, runToolLoop, type AgentTool, type ToolCallTrace } from '.';

// runToolLoop takes its chat function as a parameter, so these tests drive it in-process with a
// scripted model: no server, no timing. The loop over real HTTP is covered by run-agent.test.ts.

const calculator: AgentTool = {
	name: 'calculator',
	description: 'Adds two numbers',
	parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
	invoke: async (args) => String(Number(args.a) + Number(args.b)),
};

type ToolRequest = Array<{ name: string; arguments: Record<string, unknown> }>;
type Reply = { message: Message };

/**
 * A model that answers each turn with `decide(request, turn)`: tool calls to make, or (undefined)
 * a text answer quoting the last tool result. Records every request it was sent.
 */
function scriptedModel(decide: (request: ChatRequest, turn: number) => ToolRequest | undefined) {
	const requests: ChatRequest[] = [];
	const chat = async (request: ChatRequest): Promise<Reply> => {
		requests.push(structuredClone(request));
		const calls = decide(request, requests.length);
		if (calls) return { message: { role: 'assistant', content: '', tool_calls: calls.map((c) => ({ function: c })) } };
		const lastTool = [...(request.messages ?? [])].reverse().find((m) => m.role === 'tool');
		return { message: { role: 'assistant', content: `The answer is ${lastTool?.content ?? 'unknown'}.` } };
	};
	return { chat, requests, offeredTools: () => requests.map((r) => Array.isArray(r.tools)) };
}

const request = (content: string): ChatRequest => ({ model: 'llama3.2:3b', messages: [{ role: 'user', content }] });
/** Tool calls on the first turn only, then a text answer. */
const once = (calls: ToolRequest) => (_r: ChatRequest, turn: number) => (turn === 1 ? calls : undefined);
/** The same tool calls on every turn that offers tools (a model stuck in a loop). */
const always = (calls: ToolRequest) => (r: ChatRequest) => (r.tools ? calls : undefined);

describe('runToolLoop', () => {
	it('runs the tool the model asks for and feeds the result back', async () => {
		const model = scriptedModel(once([{ name: 'calculator', arguments: { a: 2, b: 3 } }]));
		const seen: string[] = [];
		const result = await runToolLoop({ request: request('Please add 2 and 3'), tools: [calculator], maxIterations: 3, chat: model.chat, onToolCall: (t) => seen.push(t.tool) });
		expect(result.trace).toEqual([expect.objectContaining({ iteration: 1, tool: 'calculator', arguments: { a: 2, b: 3 }, result: '5' })]);
		expect(seen).toEqual(['calculator']);
		expect(result.calls).toHaveLength(2);
		expect(result.final.message.content).toBe('The answer is 5.');
		// The second request carried the tool definitions, the assistant's call and the tool result.
		const second = model.requests[1];
		expect(second.tools).toHaveLength(1);
		expect(second.tools![0]).toEqual(expect.objectContaining({ type: 'function', function: expect.objectContaining({ name: 'calculator' }) }));
		expect(second.messages!.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
		expect(second.messages![2]).toEqual(expect.objectContaining({ content: '5', tool_name: 'calculator' }));
		expect(result.newMessages.map((m) => m.role)).toEqual(['assistant', 'tool', 'assistant']);
		expect(result.sentMessages).toEqual(second.messages);
	});

	it('accepts a tool name in another case, as small models often write it', async () => {
		const model = scriptedModel(once([{ name: 'CALCULATOR', arguments: { a: 4, b: 4 } }]));
		const result = await runToolLoop({ request: request('shout the sum'), tools: [calculator], maxIterations: 2, chat: model.chat });
		expect(result.trace).toEqual([expect.objectContaining({ tool: 'CALCULATOR', result: '8' })]);
	});

	it('reports a failing or unknown tool to the model instead of crashing', async () => {
		const model = scriptedModel(
			once([
				{ name: 'nope', arguments: {} },
				{ name: 'calculator', arguments: { a: 1, b: 1 } },
			]),
		);
		const failing: AgentTool = { ...calculator, invoke: async () => Promise.reject(new Error('division by zero')) };
		const result = await runToolLoop({ request: request('break things'), tools: [failing], maxIterations: 2, chat: model.chat });
		expect(result.trace.map((t) => t.error)).toEqual(['unknown tool "nope"', 'division by zero']);
		expect(model.requests[1].messages!.slice(-2).map((m) => m.content)).toEqual(['Error: unknown tool "nope"', 'Error: division by zero']);
	});

	it('stops at max iterations', async () => {
		const model = scriptedModel(always([{ name: 'calculator', arguments: { a: 1, b: 2 } }]));
		await expect(runToolLoop({ request: request('loop'), tools: [calculator], maxIterations: 2, chat: model.chat })).rejects.toBeInstanceOf(MaxIterationsError);
		expect(model.requests).toHaveLength(3);
	});

	it('rejects tool output that cannot be serialised', async () => {
		const model = scriptedModel(once([{ name: 'calculator', arguments: { a: 1, b: 2 } }]));
		const circular: Record<string, unknown> = {};
		circular.self = circular;
		const bad: AgentTool = { ...calculator, invoke: async () => circular };
		await expect(runToolLoop({ request: request('circular'), tools: [bad], maxIterations: 2, chat: model.chat })).rejects.toBeInstanceOf(MalformedToolOutputError);
	});

	it('passes the abort signal to the tool and stops when the chat call rejects', async () => {
		const controller = new AbortController();
		let toolSignal: AbortSignal | undefined;
		const tool: AgentTool = {
			...calculator,
			invoke: async (_args, signal) => {
				toolSignal = signal;
				controller.abort();
				return '3';
			},
		};
		const chat = async (r: ChatRequest): Promise<Reply> => {
			if (controller.signal.aborted) throw new Error('aborted by the caller');
			return { message: { role: 'assistant', content: '', tool_calls: r.tools ? [{ function: { name: 'calculator', arguments: { a: 1, b: 2 } } }] : [] } };
		};
		await expect(runToolLoop({ request: request('cancel me'), tools: [tool], maxIterations: 5, chat, signal: controller.signal })).rejects.toThrow('aborted by the caller');
		expect(toolSignal).toBe(controller.signal);
	});

	describe('repeat guard (the Orchestrator turns it on for its members)', () => {
		/** The calculator, counting how often it really ran. */
		const counted = () => {
			const tool = { ...calculator, runs: 0 };
			tool.invoke = async (args) => {
				tool.runs++;
				return String(Number(args.a) + Number(args.b));
			};
			return tool;
		};

		it('does not run a repeated call: feeds back the earlier result, then ends with a turn without tools instead of hitting max iterations', async () => {
			// The same arguments in another key order after the first turn: the same call.
			const model = scriptedModel((r, turn) => (r.tools ? [{ name: 'calculator', arguments: turn === 1 ? { a: 1, b: 2 } : { b: 2, a: 1 } }] : undefined));
			const tool = counted();
			const seen = new Map<string, ToolCallTrace>();
			const result = await runToolLoop({ request: request('loop'), tools: [tool], maxIterations: 5, chat: model.chat, repeatGuard: { seen } });
			expect(tool.runs).toBe(1);
			expect(result.trace.map((t) => t.repeatOf)).toEqual([undefined, 1, 1]);
			expect(result.trace[1].error).toMatch(/loop guard/);
			// Turns 1-3 offered the tools, the 4th did not: the model had to answer (without the guard: 6 turns, then MaxIterationsError).
			expect(model.offeredTools()).toEqual([true, true, true, false]);
			const fedBack = model.requests[2].messages!.at(-1)!;
			expect(fedBack).toEqual(expect.objectContaining({ role: 'tool' }));
			expect(fedBack.content).toMatch(/^Loop guard: calculator was already called with these arguments \(turn 1\), so it was not run again; its result was:\n3\n/);
			expect(result.calls).toHaveLength(4);
			expect(result.final.message.content).toMatch(/^The answer is Loop guard/);
			expect(seen.size).toBe(1);
		});

		it('guards across loops that share the map (a run), and lets other arguments through', async () => {
			const first = scriptedModel(once([{ name: 'calculator', arguments: { a: 5, b: 5 } }]));
			const second = scriptedModel(
				once([
					{ name: 'Calculator', arguments: { a: 5, b: 5 } },
					{ name: 'calculator', arguments: { a: 5, b: 6 } },
				]),
			);
			const tool = counted();
			const seen = new Map<string, ToolCallTrace>();
			await runToolLoop({ request: request('first'), tools: [tool], maxIterations: 3, chat: first.chat, repeatGuard: { seen } });
			const result = await runToolLoop({ request: request('second'), tools: [tool], maxIterations: 3, chat: second.chat, repeatGuard: { seen } });
			expect(tool.runs).toBe(2);
			expect(result.trace.map((t) => [t.repeatOf, t.result])).toEqual([
				[1, undefined],
				[undefined, '11'],
			]);
		});

		it('is off unless asked for: the same calls run every time', async () => {
			const model = scriptedModel(
				once([
					{ name: 'calculator', arguments: { a: 1, b: 1 } },
					{ name: 'calculator', arguments: { a: 1, b: 1 } },
				]),
			);
			const tool = counted();
			await runToolLoop({ request: request('twice'), tools: [tool], maxIterations: 2, chat: model.chat });
			expect(tool.runs).toBe(2);
		});
	});
});
