/**
 * Failures as Ollama reports them (server/routes.go streamResponse and handlers, llm/server.go,
 * llm/llama_server.go, server/sched.go): an error after streaming started is an {"error"} line in
 * the 200 stream; a runner crash is 500 with llm/server.go's text and the next request loads the
 * model again; a failed load is 500; per-handler texts for unknown / missing models, bad
 * keep_alive and malformed JSON.
 */
import { Ollama } from 'ollama';

import { ERR_LOAD_FAILED, ERR_RUNNER_STOPPED } from './scheduler';
import { postJson, postNdjson, simulators, waitFor } from './testutil';

const MODELS = [
	{ name: 'sim:8b', family: 'sim', contextLength: 32768 },
	{ name: 'emb', kind: 'embedding' as const, family: 'bert', contextLength: 512, embeddingLength: 64 },
];
const sim = simulators({ models: MODELS, timeScale: 1, loadMs: 80, decodeTokensPerSec: 1000, replyTokensMin: 30, replyTokensMax: 40 });

const body = (content: string, extra: Record<string, unknown> = {}) => ({ model: 'sim:8b', messages: [{ role: 'user', content }], ...extra });

test('runner crash: 500 with llm/server.go\'s text; the next request loads the model again (cold)', async () => {
	const s = await sim();
	expect((await postJson(`${s.url}/api/chat`, body('warm', { stream: false }))).status).toBe(200);
	s.setFaults({ crashNext: 1 });
	const r = await postJson(`${s.url}/api/chat`, body('boom', { stream: false }));
	expect(r.status).toBe(500);
	expect(r.json).toEqual({ error: ERR_RUNNER_STOPPED });
	expect(s.stats.crashes).toBe(1);
	const next = await postJson(`${s.url}/api/chat`, body('after', { stream: false }));
	expect(next.status).toBe(200);
	expect(next.json.load_duration).toBeGreaterThanOrEqual(75e6);
	expect(s.stats.loads).toBe(2);
});

test('an error after streaming started is one {"error"} line inside the 200 NDJSON stream, which then ends', async () => {
	const s = await sim({ parallel: 2, decodeTokensPerSec: 100 });
	await postJson(`${s.url}/api/chat`, body('load', { stream: false, options: { num_predict: 1 } }));
	// a stream already running on the runner dies with it
	const neighbourDone = postNdjson(`${s.url}/api/chat`, body('neighbour'));
	await waitFor(() => s.stats.active === 1, 3000, 'the neighbour to stream');
	s.setFaults({ crashNext: 1, crashAfterTokens: 3 });
	const crashed = await postNdjson(`${s.url}/api/chat`, body('stream that crashes'));
	const neighbour = await neighbourDone;
	for (const res of [crashed, neighbour]) {
		expect(res.status).toBe(200);
		expect(res.contentType).toBe('application/x-ndjson');
		const last = res.lines[res.lines.length - 1].obj;
		expect(last).toEqual({ error: ERR_RUNNER_STOPPED });
		expect(res.lines.some((l) => l.obj.done === true)).toBe(false);
	}
	expect(crashed.lines).toHaveLength(4); // three tokens, then the error
	// the official client surfaces the line as an error
	s.setFaults({ crashNext: 1 });
	const c = new Ollama({ host: s.url });
	const consume = async () => {
		let text = '';
		for await (const part of await c.chat({ model: 'sim:8b', messages: [{ role: 'user', content: 'x' }], stream: true })) text += part.message.content;
		return text;
	};
	await expect(consume()).rejects.toThrow(ERR_RUNNER_STOPPED);
	// a dropped socket stays a separate fault
	s.setFaults({ dropMidStreamRate: 1 });
	await expect(postNdjson(`${s.url}/api/chat`, body('drop'))).rejects.toThrow();
	expect(s.stats.droppedStreams).toBe(1);
});

test('a failed load answers 500 with the llama-server text; the next request loads again', async () => {
	const s = await sim();
	s.setFaults({ loadFailNext: 1 });
	const r = await postJson(`${s.url}/api/chat`, body('x', { stream: false }));
	expect(r.status).toBe(500);
	expect(r.json).toEqual({ error: ERR_LOAD_FAILED });
	expect(s.stats.loadFailures).toBe(1);
	expect(s.loadedModels()).toHaveLength(0);
	expect((await postJson(`${s.url}/api/chat`, body('y', { stream: false }))).status).toBe(200);
	expect(s.stats.loads).toBe(2);
});

test('error texts and statuses per handler, as routes.go', async () => {
	const s = await sim({ timeScale: 0 });
	const post = (path: string, b: unknown) => postJson(`${s.url}${path}`, b);
	// unknown model
	expect(await post('/api/chat', { model: 'nope', messages: [{ role: 'user', content: 'x' }] })).toMatchObject({ status: 404, json: { error: "model 'nope' not found" } });
	expect(await post('/api/generate', { model: 'nope', prompt: 'x' })).toMatchObject({ status: 404, json: { error: "model 'nope' not found" } });
	expect(await post('/api/embed', { model: 'nope', input: 'x' })).toMatchObject({ status: 404, json: { error: "model 'nope' not found" } });
	expect(await post('/api/embeddings', { model: 'nope', prompt: 'x' })).toMatchObject({ status: 404, json: { error: 'model "nope" not found, try pulling it first' } });
	// missing model name: each handler its own answer
	expect(await post('/api/chat', { messages: [] })).toMatchObject({ status: 400, json: { error: 'model is required' } });
	expect(await post('/api/generate', { prompt: 'x' })).toMatchObject({ status: 404, json: { error: "model '' not found" } });
	expect(await post('/api/embed', { input: 'x' })).toMatchObject({ status: 404, json: { error: "model '' not found" } });
	// keep_alive (api.Duration)
	expect(await post('/api/chat', body('x', { keep_alive: 'soon' }))).toMatchObject({ status: 400, json: { error: 'time: invalid duration "soon"' } });
	expect(await post('/api/chat', body('x', { keep_alive: '5' }))).toMatchObject({ status: 400, json: { error: 'time: missing unit in duration "5"' } });
	expect(await post('/api/generate', { model: 'sim:8b', prompt: 'x', keep_alive: true })).toMatchObject({ status: 400, json: { error: "Unsupported type: 'bool'" } });
	expect(await post('/api/embed', { model: 'emb', input: 'x', keep_alive: {} })).toMatchObject({ status: 400, json: { error: "Unsupported type: 'map[string]interface {}'" } });
	// malformed JSON
	expect(await post('/api/chat', '{"model": "sim:8b", oops}')).toMatchObject({ status: 400, json: { error: "invalid character 'o' looking for beginning of value" } });
	expect(await post('/api/embed', '{"model": "emb"')).toMatchObject({ status: 400, json: { error: 'unexpected EOF' } });
	// the official client reports the status and the text
	await expect(new Ollama({ host: s.url }).chat({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status_code: 404, error: "model 'nope' not found" });
});
