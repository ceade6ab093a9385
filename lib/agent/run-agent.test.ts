import { useSimGateway } from './sim-gateway.fixture';
import { InMemoryConversationStore } from '../memory';
import { countChatTokens, TokenCalibrator } from '../tokens';
import { runAgent, type AgentRunInput, type AgentTool } from '.';


const env = useSimGateway();

const input = (over: Partial<AgentRunInput> = {}): AgentRunInput => ({
	model: 'llama3.2:3b',
	system: 'You are helpful.',
	prompt: 'Use the lookup tool please.',
	options: {},
	format: { type: 'text' },
	documents: [],
	context: { strategy: 'dropOldest', historyShare: 0.6, compact: false, encoding: 'cl100k_base' },
	maxToolIterations: 3,
	...over,
});
const chats = () => env.sim.stats.lastRequests.filter((r) => r.path === '/api/chat').map((r) => r.body as { messages: Array<{ role: string; content: string }>; tools?: unknown[] });
const calculator: AgentTool = {
	name: 'calculator',
	description: 'Computes an arithmetic expression',
	parameters: { type: 'object', properties: { input: { type: 'string' } }, required: ['input'] },
	invoke: async () => '42',
};

describe('runAgent: only the answer is streamed', () => {
	it('with tools: the chunks are exactly the final answer, none of the tool turns', async () => {
		env.sim.addScript({ match: 'calculator', toolCalls: [{ name: 'calculator', arguments: { input: '6 * 7' } }], times: 1 });
		const chunks: string[] = [];
		const run = await runAgent(input({ prompt: 'Ask the calculator for 6 * 7' }), {
			gateway: env.gateway,
			calibrator: new TokenCalibrator(),
			tools: [calculator],
			onChunk: (text) => chunks.push(text),
		});
		expect(run.calls).toHaveLength(2);
		expect(chunks.join('')).toBe(run.response);
	});

	it('with a JSON reply that is rejected and retried: the rejected reply is never streamed', async () => {
		env.sim.addScript({ match: 'Largest city', reply: 'Lagos, probably', times: 1 });
		const chunks: string[] = [];
		const run = await runAgent(input({ prompt: 'Largest city in Africa?', format: { type: 'json' } }), {
			gateway: env.gateway,
			calibrator: new TokenCalibrator(),
			onChunk: (text) => chunks.push(text),
		});
		expect(run.calls).toHaveLength(2);
		expect(chunks.join('')).toBe(run.response);
		expect(chunks.join('')).not.toContain('Lagos, probably');
	});

	it('with tools and a rejected JSON reply: the retry still sees the tool results', async () => {
		env.sim.addScript({ match: 'calculator', toolCalls: [{ name: 'calculator', arguments: { input: '6 * 7' } }], times: 1 });
		env.sim.addScript({ match: '^42$', on: 'lastMessage', reply: 'the answer is 42', times: 1 });
		const chunks: string[] = [];
		const run = await runAgent(input({ prompt: 'Ask the calculator for 6 * 7, reply in JSON', format: { type: 'json' } }), {
			gateway: env.gateway,
			calibrator: new TokenCalibrator(),
			tools: [calculator],
			onChunk: (text) => chunks.push(text),
		});
		expect(run.calls).toHaveLength(3);
		expect(chunks.join('')).toBe(run.response);
		expect(chats()[2].messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
	});

	it('without tools and in text format: streams live, piece by piece', async () => {
		const chunks: string[] = [];
		const run = await runAgent(input({ prompt: 'Tell me a story' }), { gateway: env.gateway, calibrator: new TokenCalibrator(), onChunk: (text) => chunks.push(text) });
		expect(chunks.length).toBeGreaterThan(3);
		expect(chunks.join('')).toBe(run.response);
	});
});

describe('runAgent: the context is re-fitted before every tool-loop turn', () => {
	it('a huge tool result cannot overflow num_ctx: older history gives way, then the result is cut, saying so', async () => {
		const store = new InMemoryConversationStore();
		const session = { workflowId: 'wf', sessionKey: `refit-${Date.now()}` };
		const turn = 'We talked about the cluster layout and batching settings at length. '.repeat(20);
		for (let i = 0; i < 6; i++) await store.append(session, [{ role: 'user', content: `${i}: ${turn}` }, { role: 'assistant', content: turn }]);
		const huge: AgentTool = { ...calculator, name: 'lookup', invoke: async () => 'row of data, '.repeat(6000) };
		env.sim.addScript({ match: 'lookup', toolCalls: [{ name: 'lookup', arguments: { input: 'all' } }], times: 1 });
		const numCtx = 2048;
		const run = await runAgent(input({ options: { num_ctx: numCtx, num_predict: 256 } }), { gateway: env.gateway, calibrator: new TokenCalibrator(), store, tools: [huge] });
		const [first, second] = chats();
		const limit = numCtx - 256;
		for (const body of [first, second]) expect(countChatTokens(body.messages as never, { tools: body.tools, model: 'llama3.2:3b' })).toBeLessThanOrEqual(limit);
		expect(second.messages.filter((m) => m.role === 'user' && m.content.endsWith(turn)).length).toBeLessThan(
			first.messages.filter((m) => m.role === 'user' && m.content.endsWith(turn)).length + 1,
		);
		const tool = second.messages.find((m) => m.role === 'tool')!;
		expect(tool.content).toMatch(/\[… \d+ characters of this tool result were cut to fit the context window\]$/);
		expect(run.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/tool result of "lookup" was cut by \d+ characters to fit the context window/)]));
	});
});
