/**
 * Functional behaviour of the Ollama simulator over real HTTP, with the `ollama` npm client and fetch.
 * (Scheduling/timing: scheduling.test.ts; faults/control endpoints: faults.test.ts.)
 */
import { Ollama } from 'ollama';
import { Simulator, chatPromptTokens, countSimTokens, generatePromptTokens, startSimulator } from './index';
import { cos, norm, postJson, postNdjson } from './testutil';

let sim: Simulator;
let ollama: Ollama;

beforeAll(async () => {
	sim = await startSimulator({ timeScale: 0 });
	ollama = new Ollama({ host: sim.url });
});
afterAll(async () => {
	await sim.close();
});
afterEach(() => {
	sim.clearScripts();
});

const user = (content: string) => ({ role: 'user', content });

describe('basic endpoints', () => {
	test('GET / and HEAD /, version, unknown route', async () => {
		const r = await fetch(`${sim.url}/`);
		expect(r.status).toBe(200);
		expect(await r.text()).toBe('Ollama is running');
		const h = await fetch(`${sim.url}/`, { method: 'HEAD' });
		expect(h.status).toBe(200);
		expect(await (await fetch(`${sim.url}/api/version`)).json()).toEqual({ version: '0.32.15' });
		const nf = await fetch(`${sim.url}/api/nope`);
		expect(nf.status).toBe(404);
		expect(await nf.text()).toBe('404 page not found');
		expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		expect(sim.port).toBeGreaterThan(0);
	});

	test('/api/tags lists the catalogue with details (ollama.list)', async () => {
		const list = await ollama.list();
		const names = list.models.map((m) => m.name).sort();
		expect(names).toEqual(['all-minilm:latest', 'llama3.1:8b', 'llama3.2:3b', 'nomic-embed-text:latest', 'qwen2.5:0.5b']);
		const l = list.models.find((m) => m.name === 'llama3.2:3b')!;
		expect(l.model).toBe('llama3.2:3b');
		expect(l.size).toBeGreaterThan(1e9);
		expect(l.digest).toMatch(/^[0-9a-f]{64}$/);
		expect(new Date(l.modified_at as unknown as string).getTime()).not.toBeNaN();
		expect(l.details).toMatchObject({ family: 'llama', parameter_size: '3.2B', quantization_level: 'Q4_K_M', format: 'gguf' });
	});

	test('/api/show: details, model_info context length, capabilities; unknown -> 404', async () => {
		const s = await ollama.show({ model: 'llama3.2:3b' });
		expect(s.capabilities).toEqual(['completion', 'tools']);
		expect((s.model_info as unknown as Record<string, unknown>)['llama.context_length']).toBe(131072);
		expect(s.details.family).toBe('llama');
		const q = await ollama.show({ model: 'qwen2.5:0.5b' });
		expect((q.model_info as unknown as Record<string, unknown>)['qwen2.context_length']).toBe(32768);
		const e = await ollama.show({ model: 'nomic-embed-text' });
		expect(e.capabilities).toEqual(['embedding']);
		expect((e.model_info as unknown as Record<string, unknown>)['nomic-bert.context_length']).toBe(2048);
		expect((e.model_info as unknown as Record<string, unknown>)['nomic-bert.embedding_length']).toBe(768);
		await expect(ollama.show({ model: 'mistral' })).rejects.toMatchObject({ status_code: 404, error: "model 'mistral' not found" });
	});
});

describe('/api/chat', () => {
	const messages = [
		{ role: 'system', content: 'You are terse.' },
		user('Why is the sky blue?'),
	];

	test('non-stream reply: shape, stats and token counts from the simulator tokenizer', async () => {
		const r = await ollama.chat({ model: 'llama3.2:3b', messages, stream: false });
		expect(r.model).toBe('llama3.2:3b');
		expect(r.done).toBe(true);
		expect(r.done_reason).toBe('stop');
		expect(r.message.role).toBe('assistant');
		expect(r.message.content.length).toBeGreaterThan(20);
		expect(new Date(r.created_at as unknown as string).toISOString()).toBe(r.created_at as unknown as string);
		expect(r.prompt_eval_count).toBe(chatPromptTokens(messages, undefined, 'llama3.2:3b'));
		expect(r.eval_count).toBe(countSimTokens(r.message.content));
		expect(r.eval_count).toBeGreaterThanOrEqual(20);
		expect(r.eval_count).toBeLessThanOrEqual(80);
		for (const k of ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration'] as const) {
			expect(Number.isInteger(r[k])).toBe(true);
			expect(r[k]).toBeGreaterThan(0);
		}
		expect(r.total_duration).toBeGreaterThanOrEqual(r.prompt_eval_duration + r.eval_duration);
	});

	test('the same request gives the same reply; any change in messages, options or model changes it', async () => {
		const base = { model: 'llama3.2:3b', messages, options: { temperature: 0.2 }, stream: false as const };
		const a = await ollama.chat(base);
		const b = await ollama.chat({ ...base, keep_alive: '10m' });
		expect(b.message.content).toBe(a.message.content);
		const c = await ollama.chat({ ...base, options: { temperature: 0.3 } });
		expect(c.message.content).not.toBe(a.message.content);
		const d = await ollama.chat({ ...base, messages: [messages[0], user('Why is the sky blue??')] });
		expect(d.message.content).not.toBe(a.message.content);
		const e = await ollama.chat({ ...base, model: 'llama3.1:8b' });
		expect(e.message.content).not.toBe(a.message.content);
		const f = await ollama.chat({ ...base, options: { temperature: 0.2, seed: 7 } });
		expect(f.message.content).not.toBe(a.message.content);
	});

	test('streaming is the default: NDJSON chunks then a final done object; same text as non-stream', async () => {
		const body = { model: 'llama3.2:3b', messages };
		const { status, contentType, lines } = await postNdjson(`${sim.url}/api/chat`, body);
		expect(status).toBe(200);
		expect(contentType).toBe('application/x-ndjson');
		const chunks = lines.map((l) => l.obj);
		const last = chunks[chunks.length - 1];
		expect(last.done).toBe(true);
		expect(last.message).toEqual({ role: 'assistant', content: '' });
		expect(chunks.slice(0, -1).every((c) => c.done === false && typeof c.message.content === 'string')).toBe(true);
		const text = chunks.map((c) => c.message.content).join('');
		expect(chunks.length - 1).toBe(last.eval_count);
		const ns = await postJson(`${sim.url}/api/chat`, { ...body, stream: false });
		expect(ns.headers.get('content-type')).toBe('application/json; charset=utf-8');
		expect(ns.json.message.content).toBe(text);
		expect(last.prompt_eval_count).toBe(ns.json.prompt_eval_count);

		// and through the client
		const it = await ollama.chat({ model: 'llama3.2:3b', messages, stream: true });
		let viaClient = '';
		let final: any;
		for await (const part of it) {
			viaClient += part.message.content;
			if (part.done) final = part;
		}
		expect(viaClient).toBe(text);
		expect(final.done_reason).toBe('stop');
	});

	test('num_predict caps the reply (done_reason "length"), the capped reply is a prefix', async () => {
		const full = await ollama.chat({ model: 'qwen2.5:0.5b', messages, stream: false });
		const r = await ollama.chat({ model: 'qwen2.5:0.5b', messages, stream: false, options: { num_predict: 5 } });
		expect(r.done_reason).toBe('length');
		expect(r.eval_count).toBe(5);
		expect(countSimTokens(r.message.content)).toBe(5);
		expect(full.message.content.startsWith(r.message.content)).toBe(true);
		const s = await postNdjson(`${sim.url}/api/chat`, { model: 'qwen2.5:0.5b', messages, options: { num_predict: 3 } });
		expect(s.lines.length).toBe(4);
		expect(s.lines[3].obj.done_reason).toBe('length');
	});

	test('stop sequences cut the reply', async () => {
		const full = await ollama.chat({ model: 'llama3.2:3b', messages: [user('tell me')], stream: false });
		const word = full.message.content.split(' ')[3];
		const r = await ollama.chat({ model: 'llama3.2:3b', messages: [user('tell me')], stream: false, options: { stop: [` ${word}`] } });
		expect(r.done_reason).toBe('stop');
		expect(full.message.content.startsWith(r.message.content)).toBe(true);
		expect(r.message.content.length).toBeLessThan(full.message.content.length);
		expect(r.message.content).not.toContain(` ${word}`);
	});

	test('format "json" gives valid JSON', async () => {
		for (const q of ['list three colors', 'describe a cat', 'what is 2+2']) {
			const r = await ollama.chat({ model: 'llama3.2:3b', messages: [user(q)], format: 'json', stream: false });
			const v = JSON.parse(r.message.content);
			expect(typeof v).toBe('object');
			expect(v).not.toBeNull();
		}
	});

	test('format <JSON schema> gives JSON satisfying the schema', async () => {
		const schema = {
			type: 'object',
			properties: {
				name: { type: 'string' },
				age: { type: 'integer', minimum: 18, maximum: 99 },
				score: { type: 'number' },
				active: { type: 'boolean' },
				color: { type: 'string', enum: ['red', 'green', 'blue'] },
				tags: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 4 },
				address: {
					type: 'object',
					properties: { city: { type: 'string' }, zip: { type: 'string', maxLength: 5 } },
					required: ['city', 'zip'],
				},
				people: { type: 'array', items: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] } },
			},
			required: ['name', 'age', 'score', 'active', 'color', 'tags', 'address', 'people'],
		};
		for (const q of ['a', 'b', 'c', 'd']) {
			const r = await ollama.chat({ model: 'llama3.1:8b', messages: [user(`person ${q}`)], format: schema, stream: false });
			const v = JSON.parse(r.message.content);
			expect(typeof v.name).toBe('string');
			expect(Number.isInteger(v.age)).toBe(true);
			expect(v.age).toBeGreaterThanOrEqual(18);
			expect(v.age).toBeLessThanOrEqual(99);
			expect(typeof v.score).toBe('number');
			expect(typeof v.active).toBe('boolean');
			expect(['red', 'green', 'blue']).toContain(v.color);
			expect(Array.isArray(v.tags)).toBe(true);
			expect(v.tags.length).toBeGreaterThanOrEqual(2);
			expect(v.tags.length).toBeLessThanOrEqual(4);
			expect(v.tags.every((t: unknown) => typeof t === 'string')).toBe(true);
			expect(typeof v.address.city).toBe('string');
			expect(v.address.zip.length).toBeLessThanOrEqual(5);
			expect(v.people.every((p: any) => Number.isInteger(p.id))).toBe(true);
		}
		// unsupported keywords still give valid JSON
		const odd = await ollama.chat({ model: 'llama3.2:3b', messages: [user('x')], format: { not: { type: 'string' } }, stream: false });
		expect(() => JSON.parse(odd.message.content)).not.toThrow();
		// a format that is neither "json" nor an object is a runner error
		const bad = await postJson(`${sim.url}/api/chat`, { model: 'llama3.2:3b', messages: [user('x')], format: 'xml', stream: false });
		expect(bad.status).toBe(500);
		expect(bad.json.error).toMatch(/^invalid format: .*expected "json" or a valid JSON Schema object$/);
	});

	test('empty messages loads the model (done_reason "load"); keep_alive 0 unloads it', async () => {
		const r = await postJson(`${sim.url}/api/chat`, { model: 'qwen2.5:0.5b', messages: [] });
		expect(r.status).toBe(200);
		expect(r.json).toMatchObject({ model: 'qwen2.5:0.5b', message: { role: 'assistant', content: '' }, done: true, done_reason: 'load' });
		expect((await ollama.ps()).models.map((m) => m.name)).toContain('qwen2.5:0.5b');
		const u = await postJson(`${sim.url}/api/chat`, { model: 'qwen2.5:0.5b', messages: [], keep_alive: 0 });
		expect(u.json.done_reason).toBe('unload');
		expect((await ollama.ps()).models.map((m) => m.name)).not.toContain('qwen2.5:0.5b');
	});

	test('chat with an embedding model, and thinking on a non-thinking model, are 400', async () => {
		const r = await postJson(`${sim.url}/api/chat`, { model: 'nomic-embed-text', messages: [user('hi')] });
		expect(r.status).toBe(400);
		expect(r.json).toEqual({ error: '"nomic-embed-text" does not support chat' });
		const t = await postJson(`${sim.url}/api/chat`, { model: 'llama3.2:3b', messages: [user('hi')], think: true });
		expect(t.status).toBe(400);
		expect(t.json.error).toBe('"llama3.2:3b" does not support thinking');
	});

	test('long histories are truncated to num_ctx; truncate:false is an error', async () => {
		const long = Array.from({ length: 30 }, (_, i) => [user(`question ${i} `.repeat(20)), { role: 'assistant', content: `answer ${i} `.repeat(20) }]).flat();
		const msgs = [{ role: 'system', content: 'sys' }, ...long, user('final question')];
		expect(chatPromptTokens(msgs, undefined, 'llama3.2:3b')).toBeGreaterThan(1024);
		const r = await ollama.chat({ model: 'llama3.2:3b', messages: msgs, stream: false, options: { num_ctx: 1024 } });
		expect(r.prompt_eval_count).toBeLessThanOrEqual(1024);
		expect(r.prompt_eval_count).toBeGreaterThan(900);
		const e = await postJson(`${sim.url}/api/chat`, { model: 'llama3.2:3b', messages: msgs, stream: false, truncate: false, options: { num_ctx: 1024 } });
		expect(e.status).toBe(400);
		expect(e.json.error).toBe('the input length exceeds the context length');
	});
});

describe('tool calling', () => {
	const weather = {
		type: 'function',
		function: {
			name: 'get_current_weather',
			description: 'Get the current weather for a location',
			parameters: {
				type: 'object',
				properties: {
					location: { type: 'string', description: 'The location' },
					format: { type: 'string', enum: ['celsius', 'fahrenheit'] },
				},
				required: ['location', 'format'],
			},
		},
	};
	const search = {
		type: 'function',
		function: { name: 'web_search', description: 'search', parameters: { type: 'object', properties: { query: { type: 'string' }, limit: { type: 'integer' } }, required: ['query'] } },
	};

	test('a user message naming a tool gets tool_calls with arguments taken from the prompt', async () => {
		const messages = [user('Use get_current_weather for "Paris, FR" in fahrenheit please')];
		const r = await ollama.chat({ model: 'llama3.2:3b', messages, tools: [weather, search], stream: false });
		expect(r.message.content).toBe('');
		expect(r.message.tool_calls).toHaveLength(1);
		const call = r.message.tool_calls![0];
		expect(call.function.name).toBe('get_current_weather');
		expect(call.function.arguments).toEqual({ location: 'Paris, FR', format: 'fahrenheit' });
		expect(r.prompt_eval_count).toBe(chatPromptTokens(messages, [weather, search], 'llama3.2:3b'));
		expect(r.prompt_eval_count).toBeGreaterThan(chatPromptTokens(messages) + 20);

		const r2 = await ollama.chat({ model: 'llama3.2:3b', messages: [user('call web_search for cheap flights to Oslo, limit=3')], tools: [weather, search], stream: false });
		expect(r2.message.tool_calls![0].function).toMatchObject({ name: 'web_search', arguments: { query: 'cheap flights to Oslo, limit=3', limit: 3 } });
	});

	test('the tool result is fed back: role "tool" -> text that contains the result', async () => {
		const first = await ollama.chat({ model: 'llama3.2:3b', messages: [user('get_current_weather for Berlin')], tools: [weather], stream: false });
		const call = first.message.tool_calls![0];
		expect(call.function.arguments.location).toBe('Berlin');
		const r = await ollama.chat({
			model: 'llama3.2:3b',
			tools: [weather],
			stream: false,
			messages: [user('get_current_weather for Berlin'), first.message, { role: 'tool', content: '{"temp": 21, "unit": "C"}', tool_name: 'get_current_weather' } as any],
		});
		expect(r.message.tool_calls).toBeUndefined();
		expect(r.message.content).toContain('Based on the tool result: {"temp": 21, "unit": "C"}');
	});

	test('no tool mentioned -> ordinary text; streaming tool calls come in one chunk', async () => {
		const plain = await ollama.chat({ model: 'llama3.2:3b', messages: [user('tell me a joke')], tools: [weather], stream: false });
		expect(plain.message.tool_calls).toBeUndefined();
		expect(plain.message.content.length).toBeGreaterThan(0);

		const { lines } = await postNdjson(`${sim.url}/api/chat`, { model: 'llama3.2:3b', messages: [user('run web_search about "llamas"')], tools: [search] });
		expect(lines).toHaveLength(2);
		expect(lines[0].obj.done).toBe(false);
		expect(lines[0].obj.message.content).toBe('');
		expect(lines[0].obj.message.tool_calls[0].function).toMatchObject({ name: 'web_search', arguments: { query: 'llamas' } });
		expect(lines[0].obj.message.tool_calls[0].id).toMatch(/^call_[a-z0-9]{8}$/);
		expect(lines[1].obj.done).toBe(true);
		expect(lines[1].obj.eval_count).toBeGreaterThan(0);
	});
});

describe('scripted replies', () => {
	test('a matching script replaces the reply; times limits it; first match wins', async () => {
		sim.addScript({ match: /capital of france/i, reply: 'Paris.', times: 1 });
		sim.addScript({ match: 'capital', reply: 'second rule' });
		const a = await ollama.chat({ model: 'llama3.2:3b', messages: [user('What is the capital of France?')], stream: false });
		expect(a.message.content).toBe('Paris.');
		expect(a.eval_count).toBe(countSimTokens('Paris.'));
		const b = await ollama.chat({ model: 'llama3.2:3b', messages: [user('What is the capital of France?')], stream: false });
		expect(b.message.content).toBe('second rule');
		sim.clearScripts();
		const c = await ollama.chat({ model: 'llama3.2:3b', messages: [user('What is the capital of France?')], stream: false });
		expect(c.message.content).not.toBe('second rule');
		expect(c.message.content).not.toBe('Paris.');
	});

	test('scripts match the LAST user message, are returned as-is for format json, and can return tool calls', async () => {
		sim.addScript({ match: 'broken', reply: '{"answer": "oops"' });
		const r = await ollama.chat({
			model: 'llama3.2:3b',
			messages: [user('broken json please'), { role: 'assistant', content: 'ok' }, user('again, broken')],
			format: 'json',
			stream: false,
		});
		expect(r.message.content).toBe('{"answer": "oops"');
		const notLast = await ollama.chat({ model: 'llama3.2:3b', messages: [user('broken'), { role: 'assistant', content: 'ok' }, user('fine')], stream: false });
		expect(notLast.message.content).not.toBe('{"answer": "oops"');

		sim.addScript({ match: '^plan', toolCalls: [{ name: 'lookup', arguments: { id: 42 } }, { name: 'notify', arguments: {} }] });
		const t = await ollama.chat({ model: 'llama3.2:3b', messages: [user('plan the trip')], stream: false });
		expect(t.message.tool_calls!.map((c) => c.function)).toEqual([
			{ index: 0, name: 'lookup', arguments: { id: 42 } },
			{ index: 1, name: 'notify', arguments: {} },
		]);
		// model-filtered script and generate prompts
		sim.addScript({ match: 'haiku', reply: 'an old silent pond', model: 'qwen2.5:0.5b' });
		const g = await ollama.generate({ model: 'qwen2.5:0.5b', prompt: 'write a haiku', stream: false });
		expect(g.response).toBe('an old silent pond');
		const g2 = await ollama.generate({ model: 'llama3.2:3b', prompt: 'write a haiku', stream: false });
		expect(g2.response).not.toBe('an old silent pond');
	});
});

describe('/api/generate', () => {
	test('non-stream and stream responses, context array, token counts', async () => {
		const req = { model: 'llama3.2:3b', prompt: 'Why is the sky blue?', system: 'Be brief.' };
		const r = await ollama.generate({ ...req, stream: false });
		expect(r.done).toBe(true);
		expect(r.done_reason).toBe('stop');
		expect(r.prompt_eval_count).toBe(generatePromptTokens(req.prompt, req.system));
		expect(r.eval_count).toBe(countSimTokens(r.response ?? ''));
		expect(r.context).toHaveLength(r.prompt_eval_count + r.eval_count);
		expect(r.context.every((x) => Number.isInteger(x))).toBe(true);
		const { lines } = await postNdjson(`${sim.url}/api/generate`, req);
		const last = lines[lines.length - 1].obj;
		expect(last.done).toBe(true);
		expect(last.response).toBe('');
		expect(last.context).toEqual(r.context);
		expect(lines.slice(0, -1).map((l) => l.obj.response).join('')).toBe(r.response);
		// raw: the bare prompt, no context
		const raw = await ollama.generate({ model: 'llama3.2:3b', prompt: '[INST] hi [/INST]', raw: true, stream: false });
		expect(raw.prompt_eval_count).toBe(countSimTokens('[INST] hi [/INST]'));
		expect(raw.context).toBeUndefined();
		const rawSys = await postJson(`${sim.url}/api/generate`, { model: 'llama3.2:3b', prompt: 'x', raw: true, system: 's' });
		expect(rawSys.status).toBe(400);
		expect(rawSys.json.error).toBe('raw mode does not support template, system, or context');
	});

	test('an empty prompt loads the model, with keep_alive 0 unloads it', async () => {
		const r = await postJson(`${sim.url}/api/generate`, { model: 'llama3.1:8b' });
		expect(r.json).toMatchObject({ model: 'llama3.1:8b', response: '', done: true, done_reason: 'load' });
		const ps = await ollama.ps();
		const row = ps.models.find((m) => m.name === 'llama3.1:8b')!;
		expect(row).toBeDefined();
		expect(row.size_vram).toBe(row.size);
		expect(new Date(row.expires_at as unknown as string).getTime()).toBeGreaterThan(Date.now() + 4 * 60_000);
		expect((row as any).context_length).toBe(4096);
		const u = await postJson(`${sim.url}/api/generate`, { model: 'llama3.1:8b', keep_alive: 0 });
		expect(u.json.done_reason).toBe('unload');
		expect((await ollama.ps()).models.find((m) => m.name === 'llama3.1:8b')).toBeUndefined();
	});
});

describe('embeddings', () => {
	test('/api/embed: shapes, normalisation, determinism and similarity', async () => {
		const texts = ['the cat sat on the mat', 'the cat sat on a mat', 'quarterly revenue grew by eight percent in europe'];
		const r = await ollama.embed({ model: 'nomic-embed-text', input: texts });
		expect(r.model).toBe('nomic-embed-text');
		expect(r.embeddings).toHaveLength(3);
		for (const v of r.embeddings) {
			expect(v).toHaveLength(768);
			expect(norm(v)).toBeCloseTo(1, 5);
		}
		const near = cos(r.embeddings[0], r.embeddings[1]);
		const far = cos(r.embeddings[0], r.embeddings[2]);
		expect(near).toBeGreaterThan(0.7);
		// unrelated texts sit near the baseline similarity (embedBaseline, default 0.3), not at 0
		expect(far).toBeGreaterThan(0.2);
		expect(far).toBeLessThan(0.45);
		expect(near - far).toBeGreaterThan(0.3);
		const again = await ollama.embed({ model: 'nomic-embed-text:latest', input: 'the cat sat on the mat' });
		expect(again.embeddings[0]).toEqual(r.embeddings[0]);
		expect((r as any).prompt_eval_count).toBe(texts.reduce((n, t) => n + countSimTokens(t) + 2, 0));
		expect((r as any).total_duration).toBeGreaterThan(0);
		const mini = await ollama.embed({ model: 'all-minilm', input: 'the cat sat on the mat' });
		expect(mini.embeddings[0]).toHaveLength(384);
	});

	test('dimensions truncates and re-normalises', async () => {
		const full = await ollama.embed({ model: 'nomic-embed-text', input: 'hello world' });
		const r = await postJson(`${sim.url}/api/embed`, { model: 'nomic-embed-text', input: 'hello world', dimensions: 64 });
		const v: number[] = r.json.embeddings[0];
		expect(v).toHaveLength(64);
		expect(norm(v)).toBeCloseTo(1, 5);
		const head = full.embeddings[0].slice(0, 64);
		expect(cos(v, head)).toBeCloseTo(1, 5);
	});

	test('truncate: input longer than the context', async () => {
		const long = 'word '.repeat(600);
		const bad = await postJson(`${sim.url}/api/embed`, { model: 'all-minilm', input: long, truncate: false });
		expect(bad.status).toBe(400);
		expect(bad.json).toEqual({ error: 'the input length exceeds the context length' });
		const ok = await postJson(`${sim.url}/api/embed`, { model: 'all-minilm', input: [long, 'short'] });
		expect(ok.status).toBe(200);
		expect(ok.json.prompt_eval_count).toBe(512 + countSimTokens('short') + 2);
		const empty = await postJson(`${sim.url}/api/embed`, { model: 'all-minilm', input: [] });
		expect(empty.json).toEqual({ model: 'all-minilm', embeddings: [] });
		const wrong = await postJson(`${sim.url}/api/embed`, { model: 'all-minilm', input: [1, 2] });
		expect(wrong.status).toBe(400);
		expect(wrong.json.error).toBe('invalid input type');
	});

	test('legacy /api/embeddings', async () => {
		const r = await ollama.embeddings({ model: 'nomic-embed-text', prompt: 'Here is an article about llamas...' });
		expect(r.embedding).toHaveLength(768);
		const m = await postJson(`${sim.url}/api/embeddings`, { model: 'unknown-embedder', prompt: 'x' });
		expect(m.status).toBe(404);
		expect(m.json.error).toBe('model "unknown-embedder" not found, try pulling it first');
	});
});

describe('errors', () => {
	test('unknown model -> 404 with Ollama\'s text on chat, generate, embed', async () => {
		await expect(ollama.chat({ model: 'llama9:70b', messages: [user('hi')] })).rejects.toMatchObject({ status_code: 404, error: "model 'llama9:70b' not found" });
		const g = await postJson(`${sim.url}/api/generate`, { model: 'nope', prompt: 'x' });
		expect(g.status).toBe(404);
		expect(g.json).toEqual({ error: "model 'nope' not found" });
		const e = await postJson(`${sim.url}/api/embed`, { model: 'nope', input: 'x' });
		expect(e.status).toBe(404);
		// a tag matters: "llama3.2" means "llama3.2:latest", which is not in the catalogue
		expect((await postJson(`${sim.url}/api/chat`, { model: 'llama3.2', messages: [user('x')] })).status).toBe(404);
		// case-insensitive like Ollama
		expect((await postJson(`${sim.url}/api/chat`, { model: 'Llama3.2:3B', messages: [user('x')], stream: false })).status).toBe(200);
	});

	test('malformed JSON, empty body, missing model, wrong types -> 400', async () => {
		const bad = await postJson(`${sim.url}/api/chat`, '{"model": "llama3.2:3b", messages: ]');
		expect(bad.status).toBe(400);
		expect(bad.json.error).toMatch(/^invalid character/);
		const trunc = await postJson(`${sim.url}/api/chat`, '{"model": "llama3.2:3b"');
		expect(trunc.json.error).toBe('unexpected EOF');
		const empty = await fetch(`${sim.url}/api/generate`, { method: 'POST' });
		expect(empty.status).toBe(400);
		expect(await empty.json()).toEqual({ error: 'missing request body' });
		const nomodel = await postJson(`${sim.url}/api/chat`, { messages: [user('x')] });
		expect(nomodel.status).toBe(400);
		expect(nomodel.json).toEqual({ error: 'model is required' });
		const msgs = await postJson(`${sim.url}/api/chat`, { model: 'llama3.2:3b', messages: 'hi' });
		expect(msgs.status).toBe(400);
		expect(msgs.json.error).toBe('json: cannot unmarshal string into Go struct field ChatRequest.messages of type []api.Message');
		const ka = await postJson(`${sim.url}/api/chat`, { model: 'llama3.2:3b', messages: [user('x')], keep_alive: '10' });
		expect(ka.status).toBe(400);
		expect(ka.json.error).toBe('time: missing unit in duration "10"');
	});
});
