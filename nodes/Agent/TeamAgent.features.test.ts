import { join } from 'node:path';

import type { INodeParameters, IWorkflowBase } from 'n8n-workflow';

import { processMetrics, RedisMetricsStore } from '../../lib/metrics';
import { closeSharedRedis, createRedisClient } from '../../lib/redis';
import { closeAllGateways } from '../../lib/registry';
import { readWorkflow, runWorkflow, type StreamedChunk } from '../../test/harness/run-workflow';
import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server';
import { startSimulator, type Simulator } from '../../test/simulator';

const examples = join(__dirname, '..', '..', 'examples');
let sim: Simulator;
let redis: TestRedis;

const ollama = () => ({ backends: { backend: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 2 }] } });
const redisCredential = () => ({ host: redis.config.host, port: redis.config.port, keyPrefix: `features-${Date.now()}:` });

function workflow(file: string, parameters: INodeParameters = {}): IWorkflowBase {
	const wf = readWorkflow(join(examples, file));
	const agent = wf.nodes.find((n) => n.name === 'Team Agent')!;
	agent.parameters = { ...agent.parameters, ...parameters };
	return wf;
}
/** The workflow with an Agent Team Redis credential selected on the agent, as a user would. */
function withRedis(wf: IWorkflowBase): IWorkflowBase {
	const agent = wf.nodes.find((n) => n.name === 'Team Agent')!;
	agent.credentials = { ...agent.credentials, agentTeamRedisApi: { id: 'redis1', name: 'Agent Team Redis API' } };
	return wf;
}
const basic = (parameters: INodeParameters = {}) => workflow('agent-basic.json', { prompt: '={{ $json.text }}', ...parameters });
const lastChat = () => sim.stats.lastRequests.filter((r) => r.path === '/api/chat').at(-1)!.body as Record<string, any>;
const json = (result: Awaited<ReturnType<typeof runWorkflow>>, index = 0) => result.output('Team Agent')[index].json as Record<string, any>;
/** Items on the Team Agent's second output, "Run Summary". */
const summaryItems = (result: Awaited<ReturnType<typeof runWorkflow>>) => result.run.data.resultData.runData['Team Agent'].at(-1)!.data!.main[1] ?? [];

beforeAll(async () => {
	sim = await startSimulator({ parallel: 2, timeScale: 0 });
	redis = await startTestRedis();
});
afterEach(async () => {
	await closeAllGateways();
	sim.clearScripts();
	sim.resetStats();
});
afterAll(async () => {
	await closeSharedRedis();
	await sim.close();
	await redis.stop();
});

describe('Team Agent: tokens and metrics', () => {
	it('reports the estimate next to the model\'s own count, converging with calibration', async () => {
		const input = Array.from({ length: 12 }, (_, i) => ({ text: `Explain topic number ${i} about GPU scheduling, batching and caches in a few words.` }));
		const first = await runWorkflow(basic(), { credentials: { ollamaClusterApi: ollama() }, input: input.slice(0, 1) });
		const usage0 = json(first).tokenUsage;
		expect(usage0.modelPromptTokens).toBe(usage0.promptTokens);
		expect(usage0.estimatedPromptTokens).toBeGreaterThan(0);
		const later = await runWorkflow(basic(), { credentials: { ollamaClusterApi: ollama() }, input: input.slice(1) });
		const errors = later.output('Team Agent').map((item) => Math.abs((item.json as any).tokenUsage.estimateErrorPct));
		// llama3.2 is a known family (lib/tokens/families.ts): the estimate follows its template, near exact from the first call.
		expect(Math.abs(usage0.estimateErrorPct)).toBeLessThan(1);
		expect(Math.max(...errors.slice(-3))).toBeLessThan(5);
		const item = json(later);
		expect(item.throughput.decodeTokensPerSec === null || item.throughput.decodeTokensPerSec > 0).toBe(true);
		expect(item.calls).toBe(1);
	});

	it('logs a run summary via logAiEvent and can put it on the separate "Run Summary" output, paired with every input', async () => {
		const result = await runWorkflow(basic({ options: { summaryItem: true } }), {
			credentials: { ollamaClusterApi: ollama() },
			input: [{ text: 'a' }, { text: 'b' }, { text: 'c' }],
		});
		// The answers alone on the main output: nothing there can be mistaken for an answer.
		const items = result.output('Team Agent');
		expect(items).toHaveLength(3);
		expect(items.every((i) => typeof (i.json as any).output === 'string' && !('runSummary' in i.json))).toBe(true);
		const summaryOutput = summaryItems(result);
		expect(summaryOutput).toHaveLength(1);
		const summary = (summaryOutput[0].json as any).runSummary;
		expect(summary.calls).toBe(3);
		expect(summary.errors).toBe(0);
		// prompt_eval_count counts the whole prompt, cached prefix included (Ollama ≥ 0.30.1).
		expect(summary.promptTokens).toBe(sim.stats.promptTokens + sim.stats.cachedPromptTokens);
		expect(summary.latencyMs.p50).toBeGreaterThan(0);
		expect(summaryOutput[0].pairedItem).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		const event = result.aiEvents.find((e) => e.event === 'ai-llm-generated-output');
		expect(JSON.parse((event!.payload as { msg: string }).msg).calls).toBe(3);
	});

	it('names the answer "output" (as n8n\'s AI Agent) and gives each token figure one name per meaning', async () => {
		const result = await runWorkflow(basic(), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'Name one GPU vendor.' }] });
		const item = json(result);
		expect(typeof item.output).toBe('string');
		expect(item).not.toHaveProperty('response');
		expect(item.tokenUsage).toEqual(expect.objectContaining({ estimatedPromptTokens: expect.any(Number), modelPromptTokens: expect.any(Number) }));
		expect(item.context).toEqual(expect.objectContaining({ fittedPromptTokens: expect.any(Number) }));
		expect(item.context).not.toHaveProperty('estimatedPromptTokens');
		expect(summaryItems(result)).toEqual([]);
	});
});

describe('Team Agent: metrics count real backend calls only', () => {
	it('a parameter error and the sibling calls it cancels are no failed model calls; a 404 from the backend is', async () => {
		processMetrics().reset();
		sim.setFaults({ firstTokenDelayMs: 300 });
		try {
			const result = await runWorkflow(basic(), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'slow one' }, { text: '   ' }, { text: 'slow two' }] });
			expect(result.error('Team Agent')!.message).toMatch(/Item 1: the "Prompt" parameter is empty/);
		} finally {
			sim.setFaults({ firstTokenDelayMs: 0 });
		}
		const afterCancel = processMetrics().snapshot();
		expect(afterCancel.byBackend).not.toHaveProperty('unknown');
		expect(Object.values(afterCancel.byBackend).reduce((n, s) => n + s.errors, 0)).toBe(0);

		const missing = await runWorkflow(basic({ model: 'missing-model:1b', options: { summaryItem: true } }), {
			credentials: { ollamaClusterApi: ollama() },
			input: [{ text: 'x' }],
		});
		expect(missing.error('Team Agent')!.message).toMatch(/not available on Ollama backend "sim"/);
		expect(processMetrics().snapshot().byBackend.sim).toMatchObject({ calls: 1, errors: 1 });
		expect(processMetrics().snapshot().byModel['missing-model:1b']).toMatchObject({ calls: 1, errors: 1 });
	});

	it('counts the successful calls of an item that fails afterwards (a reply that never validates)', async () => {
		processMetrics().reset();
		sim.addScript({ match: 'broken', reply: 'not json' });
		sim.addScript({ match: 'rejected because', reply: 'still not json' });
		await runWorkflow(basic({ outputFormat: 'json' }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'broken' }] });
		expect(processMetrics().snapshot().byBackend.sim).toMatchObject({ calls: 2, errors: 0 });
	});
});

describe('Team Agent: output formats', () => {
	const schema = JSON.stringify({ type: 'object', properties: { city: { type: 'string' }, population: { type: 'integer' } }, required: ['city', 'population'] });

	it('sends a JSON schema as Ollama format and returns the validated value', async () => {
		const result = await runWorkflow(basic({ outputFormat: 'jsonSchema', jsonSchema: schema }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'Largest city?' }] });
		const item = json(result);
		expect(lastChat().format).toEqual(JSON.parse(schema));
		expect(typeof item.data.city).toBe('string');
		expect(Number.isInteger(item.data.population)).toBe(true);
	});

	it('retries a reply that does not validate once, with the error, then succeeds', async () => {
		sim.addScript({ match: 'Largest city', reply: '{"city": "Lagos"}', times: 1 });
		const result = await runWorkflow(basic({ outputFormat: 'jsonSchema', jsonSchema: schema }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'Largest city?' }] });
		const item = json(result);
		expect(item.calls).toBe(2);
		expect(item.warnings[0]).toMatch(/must have required property 'population'.*retried once/);
		expect(lastChat().messages.at(-1).content).toMatch(/rejected because .*population/);
		expect(item.data.population).toEqual(expect.any(Number));
	});

	it('reports a reply that still fails after the retry as an error naming the item and Output Format', async () => {
		sim.addScript({ match: 'broken', reply: 'this is not json' });
		sim.addScript({ match: 'rejected because', reply: 'still not json' });
		const result = await runWorkflow(basic({ outputFormat: 'json' }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'ok' }, { text: 'broken' }] });
		const error = result.error('Team Agent')!;
		expect(error.message).toMatch(/^Item 1: The model's reply is not valid for the output format: it is not valid JSON/);
		expect((error as any).description).toMatch(/Output Format/);
	});

	it('rejects a schema that is not valid JSON Schema before calling the model', async () => {
		const result = await runWorkflow(basic({ outputFormat: 'jsonSchema', jsonSchema: '{"type": "objekt"}' }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'x' }] });
		expect(result.error('Team Agent')!.message).toMatch(/^Item 0: The JSON schema is not valid/);
		expect(sim.stats.requestsByEndpoint['/api/chat'] ?? 0).toBe(0);
	});
});

describe('Team Agent: memory', () => {
	it('keeps a conversation per session key in process memory', async () => {
		const session = `mem-${Date.now()}`;
		await runWorkflow(basic({ sessionKey: session }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'My name is Ada.' }] });
		const second = await runWorkflow(basic({ sessionKey: session }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'What is my name?' }] });
		const messages = lastChat().messages.map((m: any) => `${m.role}:${m.content.slice(0, 20)}`);
		expect(messages).toEqual([expect.stringMatching(/^system:/), 'user:My name is Ada.', expect.stringMatching(/^assistant:/), 'user:What is my name?']);
		expect(json(second).memory).toEqual({ store: 'memory', sessionKey: session, scope: 'workflow', historyMessages: 2 });
	});

	it('scopes memory to the workflow: another workflow with the same session key starts empty, unless sharing is on', async () => {
		const session = `user-${Date.now()}`;
		const inWorkflow = (id: string, options: INodeParameters = {}) => ({ ...basic({ sessionKey: session, options }), id });
		await runWorkflow(inWorkflow('wf-A'), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'My PIN is 4711.' }] });
		const other = await runWorkflow(inWorkflow('wf-B'), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'What is my PIN?' }] });
		expect(lastChat().messages.map((m: any) => m.content)).not.toContain('My PIN is 4711.');
		expect(json(other).memory).toEqual({ store: 'memory', sessionKey: session, scope: 'workflow', historyMessages: 0 });

		await runWorkflow(inWorkflow('wf-A', { shareMemoryAcrossWorkflows: true }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'Shared note.' }] });
		const shared = await runWorkflow(inWorkflow('wf-B', { shareMemoryAcrossWorkflows: true }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'Read it back.' }] });
		expect(lastChat().messages.map((m: any) => m.content)).toContain('Shared note.');
		expect(lastChat().messages.map((m: any) => m.content)).not.toContain('My PIN is 4711.');
		expect(json(shared).memory.scope).toBe('shared');
	});

	it('answers several messages of one session in a batch turn by turn, in input order', async () => {
		const session = `batch-${Date.now()}`;
		const result = await runWorkflow(basic({ sessionKey: session }), {
			credentials: { ollamaClusterApi: ollama() },
			input: [{ text: 'first message' }, { text: 'second message' }, { text: 'third message' }],
		});
		expect(result.output('Team Agent').map((i) => (i.json as any).memory.historyMessages)).toEqual([0, 2, 4]);
		const users = lastChat().messages.filter((m: any) => m.role === 'user').map((m: any) => m.content);
		expect(users).toEqual(['first message', 'second message', 'third message']);
	});

	it('keeps it in Redis when the Redis credential is set, shared across executions', async () => {
		const credentials = { ollamaClusterApi: ollama(), agentTeamRedisApi: redisCredential() };
		await runWorkflow(withRedis(basic({ sessionKey: '={{ $json.user }}' })), { credentials, input: [{ text: 'I like green.', user: 'u1' }, { text: 'I like blue.', user: 'u2' }] });
		await closeAllGateways(); // a fresh gateway: the history must come from Redis
		const second = await runWorkflow(withRedis(basic({ sessionKey: '={{ $json.user }}' })), { credentials, input: [{ text: 'Which colour?', user: 'u2' }] });
		expect(json(second).memory.store).toBe('redis');
		expect(lastChat().messages.map((m: any) => m.content)).toContain('I like blue.');
		expect(lastChat().messages.map((m: any) => m.content)).not.toContain('I like green.');

		// The same credential also carries the calls into the cross-worker metrics.
		const reader = createRedisClient(credentials.agentTeamRedisApi);
		try {
			await new Promise((resolve) => setTimeout(resolve, 50)); // metrics are written without blocking the item
			const snapshot = await new RedisMetricsStore(reader).snapshot();
			expect(snapshot.byBackend.sim.calls).toBe(3);
			expect(processMetrics().snapshot().byBackend.sim.calls).toBeGreaterThanOrEqual(3);
		} finally {
			await reader.quit();
		}
	});

	it('reads history through the token budget: old turns are dropped or summarised to fit num_ctx', async () => {
		const session = `long-${Date.now()}`;
		const longTurn = (i: number) => `Turn ${i}: ` + 'we discussed the GPU cluster layout and its batching settings in detail. '.repeat(12);
		await runWorkflow(basic({ sessionKey: session }), { credentials: { ollamaClusterApi: ollama() }, input: Array.from({ length: 1 }, () => ({ text: longTurn(0) })) });
		for (let i = 1; i < 12; i++) await runWorkflow(basic({ sessionKey: session }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: longTurn(i) }] });

		const dropped = await runWorkflow(basic({ sessionKey: session, options: { numCtx: 2048, numPredict: 256 } }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'Summarise.' }] });
		const context = json(dropped).context;
		expect(context.dropped.turns).toBeGreaterThan(0);
		expect(context.tokensSaved).toBeGreaterThan(0);
		expect(json(dropped).tokenUsage.promptTokens).toBeLessThanOrEqual(2048 - 256);

		const summarised = await runWorkflow(
			basic({ sessionKey: session, options: { numCtx: 2048, numPredict: 256, contextStrategy: 'summarize', summaryModel: 'qwen2.5:0.5b' } }),
			{ credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'Summarise again.' }] },
		);
		const item = json(summarised);
		expect(item.context.summarized.turns).toBeGreaterThan(0);
		expect(sim.stats.requestsByModel['qwen2.5:0.5b']).toBe(1);
		expect(lastChat().messages.some((m: any) => m.content.startsWith('Summary of earlier conversation'))).toBe(true);
		expect(item.calls).toBe(2);
	});

	it('sends a prompt larger than Ollama\'s default context when no Context Window is set, with a warning', async () => {
		const result = await runWorkflow(basic(), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'word '.repeat(5000) }] });
		const item = json(result);
		expect(item.warnings).toEqual([expect.stringMatching(/The prompt needs ~\d+ tokens, more than Ollama's default context of 4096.*Set the Context Window/)]);
		expect(lastChat().options.num_ctx).toBeUndefined();
		expect(item.output).toBeTruthy();
	});

	it('fails clearly when the prompt alone cannot fit the context window', async () => {
		const result = await runWorkflow(basic({ options: { numCtx: 256, numPredict: 128 } }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'word '.repeat(400) }] });
		const error = result.error('Team Agent')!;
		expect(error.message).toMatch(/^Item 0: The system prompt .* context window \(num_ctx\) holds 256/);
		expect((error as any).description).toMatch(/Prompt/);
	});
});

describe('Team Agent: tools', () => {
	it('runs Ollama\'s tool-calling loop with connected tool sub-nodes and records the trace', async () => {
		sim.addScript({ match: 'calculator', toolCalls: [{ name: 'calculator', arguments: { input: '21 * 2' } }], times: 1 });
		const result = await runWorkflow(workflow('agent-tools.json', { sessionKey: '' }), { credentials: { ollamaClusterApi: ollama() } });
		const item = json(result);
		expect(item.toolCalls).toEqual([expect.objectContaining({ iteration: 1, tool: 'calculator', arguments: { input: '21 * 2' }, result: '42' })]);
		expect(item.output).toContain('42');
		expect(item.calls).toBe(2);
		const tools = lastChat().tools;
		expect(tools[0].function.name).toBe('calculator');
		expect(tools[0].function.parameters.properties.input.type).toBe('string');
		expect(result.aiEvents.some((e) => e.event === 'ai-tool-called')).toBe(true);
	});

	it('counts every model call of an item in the run summary', async () => {
		sim.addScript({ match: 'calculator', toolCalls: [{ name: 'calculator', arguments: { input: '2 + 2' } }], times: 1 });
		const result = await runWorkflow(workflow('agent-tools.json', { sessionKey: '', options: { summaryItem: true } }), { credentials: { ollamaClusterApi: ollama() } });
		const item = json(result);
		const summary = summaryItems(result)[0].json as Record<string, any>;
		expect(item.calls).toBe(2);
		expect(summary.runSummary.calls).toBe(2);
		expect(summary.runSummary.promptTokens).toBe(item.tokenUsage.promptTokens);
	});

	it('reports a tool sub-node that fails to load ("Error in sub-node …") instead of dropping the tool silently', async () => {
		const wf = workflow('agent-tools.json', { sessionKey: '' });
		wf.nodes.find((n) => n.name === 'Calculator')!.type = 'n8n-nodes-agent-team-test.brokenTool';
		const result = await runWorkflow(wf, { credentials: { ollamaClusterApi: ollama() } });
		const error = result.error('Team Agent')!;
		expect(error.message).toBe('Error in sub-node Calculator');
		expect((error as any).description).toMatch(/API key is missing/);
		expect(sim.stats.requestsByEndpoint['/api/chat'] ?? 0).toBe(0);
	});

	it('reports a selected Redis credential that cannot be loaded instead of silently using process memory', async () => {
		const result = await runWorkflow(withRedis(basic({ sessionKey: 'u-1' })), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'hi' }] });
		const error = result.error('Team Agent')!;
		expect(error.message).toMatch(/Agent Team Redis credential could not be loaded/);
		expect(sim.stats.requestsByEndpoint['/api/chat'] ?? 0).toBe(0);
	});

	it('stops at Max Tool Iterations with an error naming the item and field', async () => {
		sim.addScript({ match: '.*', on: 'lastMessage', toolCalls: [{ name: 'calculator', arguments: { input: '1+1' } }] });
		const result = await runWorkflow(workflow('agent-tools.json', { sessionKey: '', options: { maxToolIterations: 2 } }), { credentials: { ollamaClusterApi: ollama() } });
		const error = result.error('Team Agent')!;
		expect(error.message).toMatch(/^Item 0: The agent was still calling tools after 2 iterations/);
		expect((error as any).description).toMatch(/Max Tool Iterations/);
	});
});

describe('Team Agent: streaming, runner options and bad input', () => {
	it('streams tokens with sendChunk when the trigger streams, and still returns the full item', async () => {
		const chunks: StreamedChunk[] = [];
		const result = await runWorkflow(workflow('agent-webhook-streaming.json'), {
			credentials: { ollamaClusterApi: ollama() },
			input: [{ body: { text: 'Stream a poem' } }],
			mode: 'webhook',
			onChunk: (chunk) => chunks.push(chunk),
		});
		const item = json(result);
		expect(chunks[0].type).toBe('begin');
		expect(chunks.at(-1)!.type).toBe('end');
		const pieces = chunks.filter((c) => c.type === 'item');
		expect(pieces.length).toBeGreaterThan(3);
		expect(pieces.map((c) => c.content).join('')).toBe(item.output);
		expect(pieces.every((c) => c.metadata.nodeName === 'Team Agent' && c.metadata.itemIndex === 0)).toBe(true);
	});

	it('does not stream when n8n says the execution does not stream', async () => {
		// A chunk listener is attached, but 'trigger' mode is not a streaming mode for n8n:
		// a node that sent chunks without asking isStreaming() would fill the list.
		const chunks: StreamedChunk[] = [];
		const result = await runWorkflow(workflow('agent-webhook-streaming.json'), {
			credentials: { ollamaClusterApi: ollama() },
			input: [{ body: { text: 'No stream here' } }],
			mode: 'trigger',
			onChunk: (chunk) => chunks.push(chunk),
		});
		expect(json(result).output).toBeTruthy();
		expect(chunks).toEqual([]);
	});

	it('warns in the output when a workflow forces a model reload, and warm-up loads before the first item', async () => {
		sim.unloadAll();
		const warm = await runWorkflow(basic({ options: { numCtx: 4096, warmUp: true } }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'a' }, { text: 'b' }] });
		// Order, not time (this simulator runs at timeScale 0): the warm-up (no messages) reached the
		// server first and loaded the model; both items came after it and loaded nothing more.
		const chats = sim.stats.lastRequests.filter((r) => r.path === '/api/chat').map((r) => (r.body as { messages: Array<{ content: string }> }).messages.map((m) => m.content).at(-1) ?? 'warm-up');
		expect(chats[0]).toBe('warm-up');
		expect(chats.slice(1).sort()).toEqual(['a', 'b']);
		expect(sim.stats.loads).toBe(1);
		expect(warm.output('Team Agent').map((item) => (item.json as any).output)).toEqual([expect.any(String), expect.any(String)]);

		const reload = await runWorkflow(basic({ options: { numCtx: 8192 } }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'c' }] });
		expect(json(reload).warnings).toEqual([expect.stringMatching(/num_ctx 4096 → 8192 makes backend "sim" reload model "llama3.2:3b"/)]);
	});

	it('a failing warm-up goes through the item error path: named item and field, continueOnFail honoured', async () => {
		const warmUp = (settings: Record<string, unknown> = {}) => {
			const wf = basic({ model: 'missing-model:1b', options: { warmUp: true } });
			Object.assign(wf.nodes.find((n) => n.name === 'Team Agent')!, settings);
			return wf;
		};
		const failed = await runWorkflow(warmUp(), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'a' }, { text: 'b' }] });
		const error = failed.error('Team Agent')!;
		expect(error.message).toMatch(/^Item \d: Warming up the model failed: Model "missing-model:1b" is not available on Ollama backend "sim"/);
		expect((error as any).description).toMatch(/"Model Name or ID"/);

		sim.resetStats();
		const continued = await runWorkflow(warmUp({ onError: 'continueRegularOutput' }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'a' }, { text: 'b' }] });
		const items = continued.output('Team Agent');
		expect(items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(items.map((i) => (i.json as any).error)).toEqual([
			expect.stringMatching(/^Item 0: Warming up the model failed/),
			expect.stringMatching(/^Item 1: Warming up the model failed/),
		]);
		// One warm-up per backend for the run, however many items wait for it.
		expect(sim.stats.requestsByEndpoint['/api/chat']).toBe(1);
	});

	it('a warm-up is cancelled with the execution', async () => {
		sim.setFaults({ hangRate: 1 });
		sim.unloadAll();
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 100);
		const started = performance.now();
		try {
			await runWorkflow(basic({ options: { warmUp: true } }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'a' }], signal: controller.signal });
		} finally {
			sim.setFaults({ hangRate: 0 });
		}
		expect(performance.now() - started).toBeLessThan(2000);
	});

	it.each([
		[{ options: { documents: '[1, 2]' } }, /Item 0: the "Documents" parameter has an entry 0/],
		[{ options: { documents: '{not json' } }, /Item 0: the "Documents" parameter is not valid JSON/],
		[{ jsonSchema: 'nope', outputFormat: 'jsonSchema' }, /Item 0: the "JSON Schema" parameter is not valid JSON/],
		[{ options: { numPredict: 0 } }, /Item 0: the "Max Tokens" parameter must be -1 or a positive whole number/],
		[{ model: '' }, /Item 0: the "Model Name or ID" parameter is empty/],
	])('rejects bad input %j with a clear error', async (parameters, message) => {
		const result = await runWorkflow(basic(parameters as INodeParameters), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'x' }] });
		expect(result.error('Team Agent')!.message).toMatch(message);
	});

	it('uses documents by relevance within the budget', async () => {
		const documents = JSON.stringify([
			{ id: 'a', text: 'Bananas are yellow fruit rich in potassium.' },
			{ id: 'b', text: 'Ollama schedules requests into parallel slots per loaded model.' },
		]);
		await runWorkflow(basic({ options: { documents } }), { credentials: { ollamaClusterApi: ollama() }, input: [{ text: 'How does Ollama schedule parallel requests?' }] });
		const context = lastChat().messages.find((m: any) => m.content.startsWith('Context documents'))!.content as string;
		expect(context.indexOf('parallel slots')).toBeLessThan(context.indexOf('Bananas'));
	});
});
