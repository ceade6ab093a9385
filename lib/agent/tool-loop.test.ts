import type { Gateway } from '../gateway';
import { useSimGateway } from './sim-gateway.fixture';
import { MalformedToolOutputError, MaxIterationsError, runToolLoop, type AgentTool, type ToolCallTrace } from '.';

const calculator: AgentTool = {
	name: 'calculator',
	description: 'Adds two numbers',
	parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
	invoke: async (args) => String(Number(args.a) + Number(args.b)),
};

const env = useSimGateway();

const request = (content: string) => ({ model: 'llama3.2:3b', messages: [{ role: 'user', content }] });
const chat = (r: Parameters<Gateway['chat']>[0]) => env.gateway.chat(r);

describe('runToolLoop against the simulator', () => {
	it('runs the tool the model asks for and feeds the result back', async () => {
		env.sim.addScript({ match: 'add 2 and 3', toolCalls: [{ name: 'calculator', arguments: { a: 2, b: 3 } }], times: 1 });
		const seen: string[] = [];
		const result = await runToolLoop({ request: request('Please add 2 and 3'), tools: [calculator], maxIterations: 3, chat, onToolCall: (t) => seen.push(t.tool) });
		expect(result.trace).toEqual([expect.objectContaining({ iteration: 1, tool: 'calculator', arguments: { a: 2, b: 3 }, result: '5' })]);
		expect(seen).toEqual(['calculator']);
		expect(result.calls).toHaveLength(2);
		expect(result.final.message.content).toContain('5');
		// The second request carried the tool definitions, the assistant's call and the tool result.
		const second = env.sim.stats.lastRequests.at(-1)!.body as { tools: unknown[]; messages: Array<{ role: string; content: string }> };
		expect(second.tools).toHaveLength(1);
		expect(second.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
		expect(second.messages[2].content).toBe('5');
		expect(result.newMessages.map((m) => m.role)).toEqual(['assistant', 'tool', 'assistant']);
	});

	it('accepts a tool name in another case, as small models often write it', async () => {
		env.sim.addScript({ match: 'shout', toolCalls: [{ name: 'CALCULATOR', arguments: { a: 4, b: 4 } }], times: 1 });
		const result = await runToolLoop({ request: request('shout the sum'), tools: [calculator], maxIterations: 2, chat });
		expect(result.trace).toEqual([expect.objectContaining({ tool: 'CALCULATOR', result: '8' })]);
	});

	it('reports a failing or unknown tool to the model instead of crashing', async () => {
		env.sim.addScript({ match: 'break things', toolCalls: [{ name: 'nope', arguments: {} }, { name: 'calculator', arguments: { a: 1, b: 1 } }], times: 1 });
		const failing: AgentTool = { ...calculator, invoke: async () => Promise.reject(new Error('division by zero')) };
		const result = await runToolLoop({ request: request('break things'), tools: [failing], maxIterations: 2, chat });
		expect(result.trace.map((t) => t.error)).toEqual(['unknown tool "nope"', 'division by zero']);
		const messages = (env.sim.stats.lastRequests.at(-1)!.body as { messages: Array<{ content: string }> }).messages;
		expect(messages.slice(-2).map((m) => m.content)).toEqual(['Error: unknown tool "nope"', 'Error: division by zero']);
	});

	it('stops at max iterations', async () => {
		env.sim.addScript({ match: 'loop', toolCalls: [{ name: 'calculator', arguments: { a: 1, b: 2 } }] });
		env.sim.addScript({ match: '.*', on: 'lastMessage', toolCalls: [{ name: 'calculator', arguments: { a: 1, b: 2 } }] });
		await expect(runToolLoop({ request: request('loop'), tools: [calculator], maxIterations: 2, chat })).rejects.toBeInstanceOf(MaxIterationsError);
		expect(env.sim.stats.requestsByEndpoint['/api/chat']).toBe(3);
	});

	it('rejects tool output that cannot be serialised', async () => {
		env.sim.addScript({ match: 'circular', toolCalls: [{ name: 'calculator', arguments: { a: 1, b: 2 } }], times: 1 });
		const circular: Record<string, unknown> = {};
		circular.self = circular;
		const bad: AgentTool = { ...calculator, invoke: async () => circular };
		await expect(runToolLoop({ request: request('circular'), tools: [bad], maxIterations: 2, chat })).rejects.toBeInstanceOf(MalformedToolOutputError);
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
		const sentTools = () => env.sim.stats.lastRequests.map((r) => Array.isArray((r.body as { tools?: unknown[] }).tools));

		it('does not run a repeated call: feeds back the earlier result, then ends with a turn without tools instead of hitting max iterations', async () => {
			// The same model that makes the plain loop throw MaxIterationsError (test above).
			env.sim.addScript({ match: 'loop', toolCalls: [{ name: 'calculator', arguments: { a: 1, b: 2 } }] });
			env.sim.addScript({ match: '.*', on: 'lastMessage', toolCalls: [{ name: 'calculator', arguments: { b: 2, a: 1 } }] });
			const tool = counted();
			const seen = new Map<string, ToolCallTrace>();
			const result = await runToolLoop({ request: request('loop'), tools: [tool], maxIterations: 5, chat, repeatGuard: { seen } });
			expect(tool.runs).toBe(1); // the same arguments in another order are the same call
			expect(result.trace.map((t) => t.repeatOf)).toEqual([undefined, 1, 1]);
			expect(result.trace[1].error).toMatch(/loop guard/);
			// Turns 1-3 offered the tools, the 4th did not: the model had to answer (without the guard: 6 turns, then MaxIterationsError).
			expect(sentTools()).toEqual([true, true, true, false]);
			const fedBack = (env.sim.stats.lastRequests[2].body as { messages: Array<{ role: string; content: string }> }).messages.at(-1)!;
			expect(fedBack).toEqual(expect.objectContaining({ role: 'tool' }));
			expect(fedBack.content).toMatch(/^Loop guard: calculator was already called with these arguments \(turn 1\), so it was not run again; its result was:\n3\n/);
			expect(result.calls).toHaveLength(4);
			expect(seen.size).toBe(1);
		});

		it('guards across loops that share the map (a run), and lets other arguments through', async () => {
			env.sim.addScript({ match: 'first', toolCalls: [{ name: 'calculator', arguments: { a: 5, b: 5 } }], times: 1 });
			env.sim.addScript({ match: 'second', toolCalls: [{ name: 'Calculator', arguments: { a: 5, b: 5 } }, { name: 'calculator', arguments: { a: 5, b: 6 } }], times: 1 });
			const tool = counted();
			const seen = new Map<string, ToolCallTrace>();
			await runToolLoop({ request: request('first'), tools: [tool], maxIterations: 3, chat, repeatGuard: { seen } });
			const second = await runToolLoop({ request: request('second'), tools: [tool], maxIterations: 3, chat, repeatGuard: { seen } });
			expect(tool.runs).toBe(2);
			expect(second.trace.map((t) => [t.repeatOf, t.result])).toEqual([
				[1, undefined],
				[undefined, '11'],
			]);
		});

		it('is off unless asked for: the same calls run every time', async () => {
			env.sim.addScript({ match: 'twice', toolCalls: [{ name: 'calculator', arguments: { a: 1, b: 1 } }, { name: 'calculator', arguments: { a: 1, b: 1 } }], times: 1 });
			const tool = counted();
			await runToolLoop({ request: request('twice'), tools: [tool], maxIterations: 2, chat });
			expect(tool.runs).toBe(2);
		});
	});
});
