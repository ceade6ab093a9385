import type { Gateway } from '../gateway';
import { useSimGateway } from './sim-gateway.fixture';
import { MalformedToolOutputError, MaxIterationsError, runToolLoop, type AgentTool } from '.';

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
});
