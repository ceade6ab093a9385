/**
 * Fidelity against independent clients: the official `ollama` npm client and n8n's own Ollama nodes
 * (Ollama Chat Model and Embeddings Ollama, with their @langchain/ollama) drive the simulator on
 * every endpoint this package uses (/api/chat streamed and not, tools, format; /api/embed; /api/tags;
 * /api/ps; /api/show; /api/version) and on its error paths, so a deviation in field names, stream
 * framing or error bodies shows up as a client error here, not only in the simulator's own tests.
 */
import { Ollama } from 'ollama';

import { ERR_MAX_QUEUE, Simulator, startSimulator } from './index';
import { ERR_RUNNER_STOPPED } from './scheduler';
import { ensureN8nLangchainNodes, supplyFromN8nNode } from './n8n-nodes';

let sim: Simulator;
let client: Ollama;
const MODEL = 'llama3.2:3b';

beforeAll(async () => {
	sim = await startSimulator({ parallel: 2, timeScale: 0.05, loadMs: 100 });
	client = new Ollama({ host: sim.url });
});
afterAll(async () => sim.close());
afterEach(() => sim.setFaults({ crashNext: 0, failNext: 0 }));

describe('official ollama client', () => {
	test('catalogue endpoints: list, show, version, ps', async () => {
		const list = await client.list();
		const entry = list.models.find((m) => m.name === MODEL)!;
		expect(entry).toMatchObject({ model: MODEL, details: { family: 'llama', quantization_level: 'Q4_K_M', format: 'gguf' } });
		expect(entry.digest).toMatch(/^[0-9a-f]{64}$/);
		const show = await client.show({ model: MODEL });
		expect(show.capabilities).toEqual(expect.arrayContaining(['completion', 'tools']));
		expect((show.model_info as unknown as Record<string, unknown>)['llama.context_length']).toBe(131072); // a JSON object, typed as a Map
		expect((await client.version()).version).toBe(sim.options.version);
		await client.chat({ model: MODEL, messages: [{ role: 'user', content: 'load' }], options: { num_predict: 1 } });
		const ps = await client.ps();
		expect(ps.models[0]).toMatchObject({ name: MODEL, model: MODEL, context_length: 4096 });
		expect(ps.models[0].size_vram).toBe(ps.models[0].size);
		expect(new Date(ps.models[0].expires_at as unknown as string).getTime()).toBeGreaterThan(Date.now());
	});

	test('chat: one answer, a stream, tool calls and a JSON schema', async () => {
		const one = await client.chat({ model: MODEL, messages: [{ role: 'user', content: 'Tell me about queues' }] });
		expect(one).toMatchObject({ model: MODEL, done: true, done_reason: 'stop', message: { role: 'assistant' } });
		expect(one.message.content.length).toBeGreaterThan(10);
		for (const k of ['total_duration', 'load_duration', 'prompt_eval_count', 'prompt_eval_duration', 'eval_count', 'eval_duration'] as const) expect(one[k]).toBeGreaterThan(0);

		let text = '';
		let last: { done: boolean; eval_count: number } | undefined;
		for await (const part of await client.chat({ model: MODEL, messages: [{ role: 'user', content: 'Tell me about queues' }], stream: true })) {
			text += part.message.content;
			last = part;
		}
		expect(text).toBe(one.message.content); // deterministic: the same reply, streamed
		expect(last).toMatchObject({ done: true, eval_count: one.eval_count });

		const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
		const call = await client.chat({ model: MODEL, messages: [{ role: 'user', content: 'Use get_weather for city="Oslo"' }], tools });
		expect(call.message.tool_calls?.[0].function).toMatchObject({ name: 'get_weather', arguments: { city: 'Oslo' } });

		const schema = { type: 'object', properties: { answer: { type: 'string' }, score: { type: 'number' } }, required: ['answer', 'score'] };
		const structured = await client.chat({ model: MODEL, messages: [{ role: 'user', content: 'Rate it' }], format: schema });
		const parsed = JSON.parse(structured.message.content);
		expect(typeof parsed.answer).toBe('string');
		expect(typeof parsed.score).toBe('number');
	});

	test('embed: one input, a batch, dimensions', async () => {
		const one = await client.embed({ model: 'nomic-embed-text', input: 'hello world' });
		expect(one.embeddings).toHaveLength(1);
		expect(one.embeddings[0]).toHaveLength(768);
		const batch = await client.embed({ model: 'nomic-embed-text', input: ['a b c', 'd e f', 'g h i'], dimensions: 256 });
		expect(batch.embeddings.map((e) => e.length)).toEqual([256, 256, 256]);
		expect(batch.prompt_eval_count).toBeGreaterThan(0);
	});

	test('errors reach the client as Ollama sends them: 404, 503 on a cold burst, an error line mid-stream', async () => {
		await expect(client.chat({ model: 'nope:1b', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status_code: 404, error: "model 'nope:1b' not found" });
		await expect(client.embed({ model: 'nope:1b', input: 'x' })).rejects.toMatchObject({ status_code: 404 });

		const cold = await startSimulator({ parallel: 1, maxQueue: 1, loadMs: 300 });
		try {
			const c = new Ollama({ host: cold.url });
			const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => c.chat({ model: 'qwen2.5:0.5b', messages: [{ role: 'user', content: `q${i}` }], options: { num_predict: 1 } })));
			const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
			expect(refused.length).toBeGreaterThan(0);
			for (const e of refused) expect(e).toMatchObject({ status_code: 503, error: ERR_MAX_QUEUE });
		} finally {
			await cold.close();
		}

		sim.setFaults({ crashNext: 1, crashAfterTokens: 2 });
		const consume = async () => {
			let n = 0;
			for await (const part of await client.chat({ model: MODEL, messages: [{ role: 'user', content: 'crash me' }], stream: true })) n += part.message.content ? 1 : 0;
			return n;
		};
		await expect(consume()).rejects.toThrow(ERR_RUNNER_STOPPED);
	});
});

describe("n8n's own Ollama nodes (@n8n/n8n-nodes-langchain, in-process)", () => {
	// the first require of n8n's node packages takes seconds (more on a busy machine)
	jest.setTimeout(120_000);
	// A fresh clone has no n8n yet: install it once (cached, under the install script's lock).
	let dir: string | undefined;
	beforeAll(async () => {
		dir = await ensureN8nLangchainNodes();
	}, 30 * 60_000);
	const need = () => {
		if (!dir) throw new Error("n8n's @n8n/n8n-nodes-langchain could not be installed (bash test/e2e/install-n8n.sh)");
		return dir;
	};

	interface ChatModel {
		invoke(input: string): Promise<{ content: string; response_metadata: Record<string, unknown>; tool_calls?: Array<{ name: string; args: unknown }> }>;
		stream(input: string): Promise<AsyncIterable<{ content: string }>>;
		bindTools(tools: unknown[]): ChatModel;
	}
	interface Embeddings {
		embedQuery(text: string): Promise<number[]>;
		embedDocuments(texts: string[]): Promise<number[][]>;
	}

	test('Ollama Chat Model: invoke, stream, tools, JSON format', async () => {
		const { response: model, events } = await supplyFromN8nNode<ChatModel>(need(), 'llms/LMChatOllama/LmChatOllama.node.js', 'LmChatOllama', { baseUrl: sim.url }, { model: MODEL, options: {} });
		const answer = await model.invoke('Tell me about queues');
		expect(answer.content.length).toBeGreaterThan(10);
		expect(answer.response_metadata).toMatchObject({ model: MODEL, done: true, done_reason: 'stop' });
		expect(answer.response_metadata.prompt_eval_count).toBeGreaterThan(0);
		expect(events).toContain('ai-llm-generated-output');
		let text = '';
		for await (const chunk of await model.stream('Tell me about queues')) text += chunk.content;
		expect(text).toBe(answer.content);
		const withTools = model.bindTools([{ type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }]);
		const call = await withTools.invoke('Use get_weather for city="Oslo"');
		expect(call.tool_calls?.[0]).toMatchObject({ name: 'get_weather', args: { city: 'Oslo' } });
		const { response: json } = await supplyFromN8nNode<ChatModel>(need(), 'llms/LMChatOllama/LmChatOllama.node.js', 'LmChatOllama', { baseUrl: sim.url }, { model: MODEL, options: { format: 'json' } });
		const raw = String((await json.invoke('Answer as JSON')).content);
		expect(() => JSON.parse(raw)).not.toThrow();
	});

	test('Ollama Chat Model surfaces Ollama\'s errors (unknown model, crashed runner)', async () => {
		const { response: missing } = await supplyFromN8nNode<ChatModel>(need(), 'llms/LMChatOllama/LmChatOllama.node.js', 'LmChatOllama', { baseUrl: sim.url }, { model: 'nope:1b', options: {} });
		await expect(missing.invoke('x')).rejects.toThrow(/model 'nope:1b' not found/);
		const { response: model } = await supplyFromN8nNode<ChatModel>(need(), 'llms/LMChatOllama/LmChatOllama.node.js', 'LmChatOllama', { baseUrl: sim.url }, { model: MODEL, options: {} });
		sim.setFaults({ crashNext: 1, crashAfterTokens: 0 });
		await expect(model.invoke('crash')).rejects.toThrow(/model runner has unexpectedly stopped/);
	});

	test('Embeddings Ollama: query and documents', async () => {
		const { response: emb } = await supplyFromN8nNode<Embeddings>(need(), 'embeddings/EmbeddingsOllama/EmbeddingsOllama.node.js', 'EmbeddingsOllama', { baseUrl: sim.url }, { model: 'nomic-embed-text' });
		const q = await emb.embedQuery('How do I reset my password?');
		expect(q).toHaveLength(768);
		const docs = await emb.embedDocuments(['How do I change my password?', 'The weather in Oslo']);
		expect(docs).toHaveLength(2);
		const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
		expect(dot(q, docs[0])).toBeGreaterThan(dot(q, docs[1]));
	});
});
