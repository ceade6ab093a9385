import { HumanMessage, ToolMessage, type AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';

import { closeAllGateways } from '../../lib/registry';
import { supplyFrom, type SubNodeRecord } from '../../test/harness/supply-data';
import { startSimulator, type Simulator } from '../../test/simulator';
import { OllamaClusterChatModel } from './OllamaClusterChatModel.node';

/** The object n8n's AI nodes get: a LangChain chat model (n8n's own adapter around ours). */
interface SuppliedChatModel {
	lc_namespace: string[];
	invoke(input: string | BaseMessage[], options?: Record<string, unknown>): Promise<AIMessageChunk>;
	stream(input: string | BaseMessage[], options?: Record<string, unknown>): Promise<AsyncIterable<AIMessageChunk>>;
	batch(inputs: string[]): Promise<AIMessageChunk[]>;
	bindTools(tools: unknown[]): SuppliedChatModel;
	withStructuredOutput(schema: unknown): { invoke(input: string): Promise<Record<string, unknown>> };
}

let sim: Simulator;
const MODEL = 'llama3.2:3b';
const cluster = (url = sim.url) => ({ backends: { backend: [{ name: 'sim', baseUrl: url, weight: 1, parallel: 4 }] } });

async function chatModel(parameters: Record<string, unknown> = {}, extra: { url?: string; cancelSignal?: AbortSignal } = {}) {
	return await supplyFrom<SuppliedChatModel>(new OllamaClusterChatModel(), {
		credentials: { ollamaClusterApi: cluster(extra.url) },
		parameters: { model: MODEL, options: {}, ...parameters },
		cancelSignal: extra.cancelSignal,
	});
}
const chatRequests = () => sim.stats.requestsByEndpoint['/api/chat'] ?? 0;
const lastChat = () => sim.stats.lastRequests.filter((r) => r.path === '/api/chat').at(-1)!.body as Record<string, any>;
/** What n8n's tracing wrote on the sub-node's output (the logs panel's tokens and answer). */
const outputsOf = (record: SubNodeRecord) => record.outputs.map((o) => o.data);

beforeAll(async () => {
	sim = await startSimulator({ parallel: 4, timeScale: 0 });
});
afterEach(() => {
	sim.clearScripts();
	sim.setOptions({ timeScale: 0 });
});
afterAll(async () => {
	await closeAllGateways();
	await sim.close();
});

describe('Ollama Cluster Chat Model (supplyData, real HTTP to the simulator)', () => {
	test("supplies a chat model n8n's AI Agent accepts (chat_models namespace, bindTools)", async () => {
		const { response } = await chatModel();
		// n8n's ToolsAgent: isChatInstance(model) (lc_namespace includes "chat_models") && model.bindTools
		expect(response.lc_namespace).toContain('chat_models');
		expect(typeof response.bindTools).toBe('function');
	});

	test("invoke: the answer through the gateway, token usage on the sub-node as n8n's chat models report it", async () => {
		const { response, record } = await chatModel();
		const before = { chat: chatRequests(), evalTokens: sim.stats.evalTokens };
		const answer = await response.invoke('In one sentence: what is a GPU?');
		expect(chatRequests() - before.chat).toBe(1);
		expect(typeof answer.content === 'string' ? answer.content : answer.text).not.toHaveLength(0);
		expect(answer.text.length).toBeGreaterThan(0);
		// the simulator's own count of generated tokens is what the model reports
		expect(answer.usage_metadata?.output_tokens).toBe(sim.stats.evalTokens - before.evalTokens);
		expect(answer.usage_metadata?.input_tokens).toBeGreaterThan(0);
		expect(answer.response_metadata).toMatchObject({ backend: 'sim', cacheHit: false, model: MODEL });
		// N8nLlmTracing: the prompt on the input, the answer and tokenUsage (not an estimate) on the output
		expect(JSON.stringify(record.inputs[0].data)).toContain('what is a GPU?');
		const logged = (outputsOf(record)[0] as Array<Array<{ json: Record<string, any> }>>)[0][0].json;
		expect(logged.tokenUsage).toEqual({
			promptTokens: answer.usage_metadata!.input_tokens,
			completionTokens: answer.usage_metadata!.output_tokens,
			totalTokens: answer.usage_metadata!.input_tokens + answer.usage_metadata!.output_tokens,
		});
		expect(logged.tokenUsageEstimate).toBeUndefined();
		expect(record.events).toContain('ai-llm-generated-output');
	});

	test("options named as n8n's Ollama Chat Model reach Ollama under Ollama's names; stop and think too", async () => {
		const { response } = await chatModel({
			options: { temperature: 0.2, topK: 20, topP: 0.9, numCtx: 4096, numPredict: 64, repeatPenalty: 1.1, useMMap: false, keepAlive: '10m', think: false, format: 'json' },
		});
		await response.invoke('Give me a JSON object', { stop: ['END'] });
		const body = lastChat();
		expect(body.options).toEqual({ temperature: 0.2, top_k: 20, top_p: 0.9, num_ctx: 4096, num_predict: 64, repeat_penalty: 1.1, use_mmap: false, stop: ['END'] });
		expect(body).toMatchObject({ model: MODEL, keep_alive: '10m', think: false, format: 'json' });
	});

	test('options left out are not sent (the server keeps its defaults, as with n8n\'s own sub-node)', async () => {
		const { response } = await chatModel();
		await response.invoke('Hello');
		const body = lastChat();
		// no sampling option (the gateway's runner-options stage may pin the loaded runner's num_ctx, use_mmap …)
		const sampling = ['temperature', 'top_k', 'top_p', 'num_predict', 'repeat_penalty', 'presence_penalty', 'frequency_penalty', 'penalize_newline', 'stop'];
		expect(Object.keys(body.options ?? {}).filter((k) => sampling.includes(k))).toEqual([]);
		expect(body.think).toBeUndefined();
		expect(body.format).toBeUndefined();
	});

	test('stream: tokens arrive in several chunks while the model generates; together they are the invoke answer', async () => {
		sim.setOptions({ timeScale: 1, decodeTokensPerSec: 200 });
		const { response } = await chatModel();
		const chunks: string[] = [];
		for await (const chunk of await response.stream('Tell me a short story')) if (chunk.text) chunks.push(chunk.text);
		expect(chunks.length).toBeGreaterThan(1);
		sim.setOptions({ timeScale: 0 });
		const whole = await response.invoke('Tell me a short story');
		expect(chunks.join('')).toBe(whole.text);
	});

	test('batch: every prompt its own call, all through the gateway', async () => {
		const { response } = await chatModel();
		const before = chatRequests();
		const prompts = ['one', 'two', 'three', 'four', 'five'].map((w) => `Say ${w}`);
		const answers = await response.batch(prompts);
		expect(answers).toHaveLength(5);
		expect(answers.every((a) => a.text.length > 0)).toBe(true);
		expect(chatRequests() - before).toBe(5);
	});

	const calculator = tool(async ({ input }: { input: string }) => String(input), {
		name: 'calculator',
		description: 'Evaluates arithmetic',
		schema: z.object({ input: z.string().describe('the expression') }),
	});

	test('bindTools: the tools reach Ollama as JSON Schema, tool calls come back as tool_calls, the result goes back with tool_name', async () => {
		const { response } = await chatModel();
		const bound = response.bindTools([calculator]);
		const question = new HumanMessage('Use the calculator to compute 6 * 7');
		const first = await bound.invoke([question]);
		expect(first.tool_calls).toHaveLength(1);
		expect(first.tool_calls![0]).toMatchObject({ name: 'calculator', args: { input: expect.any(String) } });
		expect(first.tool_calls![0].id).toEqual(expect.any(String));
		expect(lastChat().tools).toEqual([
			{ type: 'function', function: { name: 'calculator', description: 'Evaluates arithmetic', parameters: expect.objectContaining({ type: 'object', properties: { input: expect.objectContaining({ type: 'string' }) } }) } },
		]);
		const second = await bound.invoke([question, first, new ToolMessage({ tool_call_id: first.tool_calls![0].id!, content: '42' })]);
		expect(second.text).toBe('Based on the tool result: 42');
		const sent = lastChat().messages as Array<Record<string, unknown>>;
		expect(sent.at(-2)).toMatchObject({ role: 'assistant', tool_calls: [{ function: { name: 'calculator', arguments: first.tool_calls![0].args } }] });
		expect(sent.at(-1)).toEqual({ role: 'tool', content: '42', tool_name: 'calculator' });
	});

	test('stream with tools: two tool calls in one turn stay two (each chunk has its own id)', async () => {
		const { response } = await chatModel();
		sim.addScript({ match: /both tools/, toolCalls: [{ name: 'calculator', arguments: { input: '1+1' } }, { name: 'calculator', arguments: { input: '2+2' } }], times: 1 });
		let merged: AIMessageChunk | undefined;
		for await (const chunk of await response.bindTools([calculator]).stream('Use both tools')) merged = merged ? merged.concat(chunk) : chunk;
		expect(merged!.tool_calls!.map((c) => c.args)).toEqual([{ input: '1+1' }, { input: '2+2' }]);
		expect(new Set(merged!.tool_calls!.map((c) => c.id)).size).toBe(2);
	});

	test('malformed tool-call arguments (a string Ollama could not parse) reach the agent as a tool call with no arguments, nothing throws', async () => {
		const { response } = await chatModel();
		sim.addScript({ match: /broken/, toolCalls: [{ name: 'calculator', arguments: 'not json {' as unknown as Record<string, unknown> }], times: 2 });
		const answer = await response.bindTools([calculator]).invoke('broken arguments please');
		expect(answer.tool_calls).toEqual([expect.objectContaining({ name: 'calculator', args: {} })]);
		let merged: AIMessageChunk | undefined;
		for await (const chunk of await response.bindTools([calculator]).stream('broken arguments please')) merged = merged ? merged.concat(chunk) : chunk;
		// LangChain reads unparsable streamed arguments as an invalid tool call, as with n8n's own sub-node
		expect([...(merged!.tool_calls ?? []), ...(merged!.invalid_tool_calls ?? [])].map((c) => c.name)).toEqual(['calculator']);
	});

	test('structured output: Output Format "JSON Schema" sends the schema as format; the answer matches it', async () => {
		const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'] };
		const { response } = await chatModel({ options: { format: 'jsonSchema', jsonSchema: JSON.stringify(schema) } });
		const answer = await response.invoke('Extract: Ada is 36');
		expect(lastChat().format).toEqual(schema);
		const parsed = JSON.parse(answer.text);
		expect(typeof parsed.name).toBe('string');
		expect(Number.isInteger(parsed.age)).toBe(true);
	});

	test('an invalid JSON Schema option is an error on the sub-node naming the option', async () => {
		await expect(chatModel({ options: { format: 'jsonSchema', jsonSchema: '{ not json' } })).rejects.toThrow(/JSON Schema/);
	});

	test('abort: a signal aborted mid-stream stops the call at the backend', async () => {
		sim.setOptions({ timeScale: 1, decodeTokensPerSec: 20, replyTokensMin: 200, replyTokensMax: 200 });
		const { response } = await chatModel();
		const controller = new AbortController();
		const abortedBefore = sim.stats.aborted;
		const chunks: string[] = [];
		await expect(
			(async () => {
				for await (const chunk of await response.stream('A long story', { signal: controller.signal })) {
					chunks.push(chunk.text);
					controller.abort();
				}
			})(),
		).rejects.toThrow(/abort/i);
		expect(chunks.length).toBeGreaterThan(0);
		// the server notices the closed socket on one of the next event-loop turns (it runs on this loop)
		while (sim.stats.aborted === abortedBefore) await new Promise((r) => setImmediate(r));
		expect(sim.stats.aborted).toBe(abortedBefore + 1);
		sim.setOptions({ replyTokensMin: 20, replyTokensMax: 60 });
	});

	test("a cancelled execution stops the sub-node's calls", async () => {
		sim.setOptions({ timeScale: 1, decodeTokensPerSec: 20, replyTokensMin: 200, replyTokensMax: 200 });
		const execution = new AbortController();
		const { response } = await chatModel({}, { cancelSignal: execution.signal });
		const pending = response.invoke('A long story');
		setTimeout(() => execution.abort(), 100);
		await expect(pending).rejects.toThrow(/Request to Ollama backend "sim" was cancelled/);
		sim.setOptions({ replyTokensMin: 20, replyTokensMax: 60 });
	});

	test('unknown model: one request, an error naming the model, the backends and `ollama pull`, shown on the sub-node', async () => {
		const { response, record } = await chatModel({ model: 'no-such-model:1b' });
		const before = chatRequests();
		const error = await response.invoke('Hello').catch((e: Error) => e);
		expect(error.constructor.name).toBe('NodeApiError');
		expect((error as Error).message).toMatch(/Model "no-such-model:1b" is not available on any backend of the Ollama cluster \(sim\); pull it on each backend with `ollama pull no-such-model:1b`/);
		expect(chatRequests() - before).toBe(1); // no LangChain retries on top of the gateway's
		const shown = outputsOf(record).at(-1) as Error;
		expect(shown).toBeInstanceOf(Error);
		expect(shown.message).toMatch(/no-such-model:1b/);
		expect(record.events).toContain('ai-llm-errored');
	});

	test("unreachable cluster: n8n's sub-node error naming the backend, never its URL", async () => {
		const closed = await startSimulator({ timeScale: 0 });
		const url = closed.url;
		await closed.close();
		const { response, record } = await chatModel({}, { url });
		const error = (await response.invoke('Hello').catch((e: Error) => e)) as Error & { functionality?: string };
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.functionality).toBe('configuration-node');
		const text = `${error.message} ${(error as { description?: string }).description ?? ''}`;
		expect(text).toMatch(/"sim"/);
		expect(text).not.toContain(url);
		expect(outputsOf(record).at(-1)).toBeInstanceOf(Error);
	});
});
