/**
 * Cost model and scheduling of the simulator: slots, FIFO queue, 503 on a full queue, cold loads,
 * keep-alive expiry, reloads on changed runner options, eviction, stream pacing, timeScale.
 * Each test starts its own simulator so counters and loaded models do not leak between tests.
 */
import { Ollama } from 'ollama';
import { ERR_MAX_QUEUE, Simulator } from './index';
import { getJson, postJson, postNdjson, simulators, sleep } from './testutil';

const sim = simulators();

const chat = (s: Simulator, content: string, extra: Record<string, unknown> = {}) =>
	postJson(`${s.url}/api/chat`, { model: 'llama3.2:3b', messages: [{ role: 'user', content }], stream: false, ...extra });

test('requests beyond `parallel` slots wait in a FIFO queue', async () => {
	// each request: ~15 prompt tokens (7.5 ms) + 10 tokens at 100/s (100 ms)
	const s = await sim({ parallel: 2, loadMs: 0, prefillTokensPerSec: 2000, decodeTokensPerSec: 100 });
	await chat(s, 'warm up (loads the model and its tokenizer)', { options: { num_predict: 1 } });
	s.resetStats();
	const t0 = performance.now();
	const done: number[] = [];
	const results = await Promise.all(
		[0, 1, 2, 3, 4].map(async (i) => {
			const r = await chat(s, `question ${i}`, { options: { num_predict: 10 } });
			done.push(i);
			return { r, at: performance.now() - t0 };
		}),
	);
	for (const { r } of results) expect(r.status).toBe(200);
	expect(s.stats.maxActive).toBe(2);
	expect(s.stats.maxQueued).toBe(3);
	expect(s.stats.active).toBe(0);
	expect(s.stats.queued).toBe(0);
	// three waves of ~107 ms
	const last = Math.max(...results.map((x) => x.at));
	expect(last).toBeGreaterThan(300);
	expect(last).toBeLessThan(3000);
	// the queued ones report their waiting time in total_duration
	const totals = results.map(({ r }) => r.json.total_duration as number).sort((a, b) => a - b);
	expect(totals[4]).toBeGreaterThan(totals[0] + 60e6);
	// FIFO: a late request never overtakes by more than the parallel width
	expect(new Set(done.slice(0, 2))).not.toContain(4);
});

test('queueRule legacy: more waiting requests than maxQueue -> 503 with Ollama\'s exact body', async () => {
	const s = await sim({ parallel: 1, maxQueue: 1, loadMs: 0, decodeTokensPerSec: 100, queueRule: 'legacy' });
	const rs = await Promise.all([0, 1, 2].map((i) => chat(s, `q${i}`, { options: { num_predict: 20 } })));
	const codes = rs.map((r) => r.status).sort();
	expect(codes).toEqual([200, 200, 503]);
	const busy = rs.find((r) => r.status === 503)!;
	expect(busy.text).toBe('{"error":"server busy, please try again.  maximum pending requests exceeded"}');
	expect(busy.json.error).toBe(ERR_MAX_QUEUE);
	expect(s.stats.rejected503).toBe(1);
	const c = new Ollama({ host: s.url });
	// the client surfaces it as a ResponseError with status 503
	s.setOptions({ maxQueue: 0 });
	const slow = chat(s, 'hold the slot', { options: { num_predict: 10 } });
	await sleep(20);
	await expect(c.chat({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status_code: 503 });
	await slow;
});

test('cold load costs loadMs (in load_duration), warm requests do not; keep_alive expiry unloads', async () => {
	const s = await sim({ loadMs: 120, decodeTokensPerSec: 1000 });
	const a = await chat(s, 'first', { keep_alive: '300ms' });
	expect(a.json.load_duration).toBeGreaterThanOrEqual(115e6);
	expect(a.json.total_duration).toBeGreaterThan(a.json.load_duration);
	const b = await chat(s, 'second', { keep_alive: '300ms' });
	expect(b.json.load_duration).toBeLessThan(20e6);
	expect(s.stats.loads).toBe(1);
	const ps = await getJson(`${s.url}/api/ps`);
	expect(ps.models).toHaveLength(1);
	const exp = new Date(ps.models[0].expires_at).getTime();
	expect(exp).toBeGreaterThan(Date.now());
	expect(exp).toBeLessThan(Date.now() + 400);
	await sleep(450);
	expect((await getJson(`${s.url}/api/ps`)).models).toHaveLength(0);
	expect(s.stats.unloads).toBe(1);
	const c = await chat(s, 'third');
	expect(c.json.load_duration).toBeGreaterThanOrEqual(115e6);
	expect(s.stats.loads).toBe(2);
});

test('keep_alive: 0 unloads right after the request, negative keeps the model forever and sticks', async () => {
	const s = await sim({ loadMs: 0, timeScale: 0 });
	await chat(s, 'x', { keep_alive: 0 });
	expect(s.loadedModels()).toHaveLength(0);
	await chat(s, 'y', { keep_alive: -1 });
	await chat(s, 'z'); // no keep_alive: the runner keeps its session duration, like Ollama
	const ps = await getJson(`${s.url}/api/ps`);
	expect(new Date(ps.models[0].expires_at).getFullYear()).toBeGreaterThan(2200);
	await chat(s, 'w', { keep_alive: 3600 });
	const ps2 = await getJson(`${s.url}/api/ps`);
	const left = new Date(ps2.models[0].expires_at).getTime() - Date.now();
	expect(left).toBeGreaterThan(3590e3);
	expect(left).toBeLessThan(3601e3);
});

test('a changed num_ctx reloads the model after the in-flight request finished', async () => {
	const s = await sim({ loadMs: 60, decodeTokensPerSec: 100 });
	await chat(s, 'warm up', { options: { num_ctx: 2048, num_predict: 1 } });
	expect(s.stats.loads).toBe(1);
	const t0 = performance.now();
	const slow = chat(s, 'slow one', { options: { num_ctx: 2048, num_predict: 15 } }).then((r) => ({ r, at: performance.now() - t0 }));
	await sleep(20);
	const other = chat(s, 'bigger context', { options: { num_ctx: 8192, num_predict: 1 } }).then((r) => ({ r, at: performance.now() - t0 }));
	const [a, b] = await Promise.all([slow, other]);
	expect(a.r.status).toBe(200);
	expect(b.r.status).toBe(200);
	expect(b.at).toBeGreaterThan(a.at + 40);
	expect(b.r.json.load_duration).toBeGreaterThanOrEqual(55e6);
	expect(s.stats.reloads).toBe(1);
	expect(s.stats.loads).toBe(2);
	const ps = await getJson(`${s.url}/api/ps`);
	expect(ps.models[0].context_length).toBe(8192);
	// options that are not runner options do not reload
	await chat(s, 'temp', { options: { num_ctx: 8192, temperature: 0.1, num_predict: 1 } });
	expect(s.stats.reloads).toBe(1);
	// num_gpu: an explicit value reloads, "auto" (unset / negative) accepts whatever is loaded
	await chat(s, 'gpu', { options: { num_ctx: 8192, num_gpu: 10, num_predict: 1 } });
	expect(s.stats.reloads).toBe(2);
	await chat(s, 'auto', { options: { num_ctx: 8192, num_predict: 1 } });
	expect(s.stats.reloads).toBe(2);
	await chat(s, 'threads', { options: { num_ctx: 8192, num_gpu: 10, num_thread: 4, num_predict: 1 } });
	expect(s.stats.reloads).toBe(3);
	expect(s.stats.loads).toBe(4);
});

test('maxLoadedModels evicts the idle model; /api/ps lists loaded models', async () => {
	const s = await sim({ maxLoadedModels: 1, loadMs: 10, timeScale: 1, decodeTokensPerSec: 2000 });
	await chat(s, 'a');
	await postJson(`${s.url}/api/chat`, { model: 'qwen2.5:0.5b', messages: [{ role: 'user', content: 'b' }], stream: false });
	const ps = await new Ollama({ host: s.url }).ps();
	expect(ps.models.map((m) => m.name)).toEqual(['qwen2.5:0.5b']);
	expect(s.stats.loads).toBe(2);
	expect(s.stats.unloads).toBe(1);
	s.setOptions({ maxLoadedModels: 3 });
	await postJson(`${s.url}/api/embed`, { model: 'all-minilm', input: 'x' });
	await chat(s, 'c');
	expect((await new Ollama({ host: s.url }).ps()).models).toHaveLength(3);
});

test('embedding models run one request at a time (Ollama loads them with parallel=1)', async () => {
	const s = await sim({ loadMs: 0, prefillTokensPerSec: 400 });
	const text = 'word '.repeat(40); // 42 tokens -> 105 ms each
	const t0 = performance.now();
	await Promise.all([0, 1, 2].map((i) => postJson(`${s.url}/api/embed`, { model: 'nomic-embed-text', input: text + i })));
	expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
	expect(s.stats.maxActive).toBe(1);
	expect(s.stats.maxQueued).toBeGreaterThanOrEqual(1);
});

test('stream chunks are paced by decodeTokensPerSec; timeScale scales all compute time', async () => {
	const s = await sim({ loadMs: 0, decodeTokensPerSec: 100, prefillTokensPerSec: 100000 });
	s.addScript({ match: 'count', reply: Array.from({ length: 30 }, () => 'go').join(' ') });
	const { lines } = await postNdjson(`${s.url}/api/chat`, { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'count' }] });
	const content = lines.slice(0, -1);
	expect(content.length).toBe(30);
	const spread = content[content.length - 1].at - content[0].at;
	// 29 gaps of 10 ms
	expect(spread).toBeGreaterThan(200);
	expect(spread).toBeLessThan(5000); // generous: a loaded machine delays timers
	const final = lines[lines.length - 1].obj;
	expect(final.eval_count).toBe(30);
	expect(final.eval_duration).toBe(300e6);
	expect(final.total_duration).toBeGreaterThanOrEqual(final.eval_duration + final.prompt_eval_duration);

	s.setOptions({ timeScale: 0.1 });
	const t0 = performance.now();
	const fast = await postNdjson(`${s.url}/api/chat`, { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'count' }] });
	expect(performance.now() - t0).toBeLessThan(200);
	expect(fast.lines[fast.lines.length - 1].obj.eval_duration).toBe(30e6);

	s.setOptions({ timeScale: 0 });
	const t1 = performance.now();
	const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => chat(s, `instant ${i}`)));
	expect(performance.now() - t1).toBeLessThan(1000);
	for (const r of rs) {
		expect(r.status).toBe(200);
		expect(r.json.eval_duration).toBeGreaterThan(0);
		expect(r.json.prompt_eval_duration).toBeGreaterThan(0);
	}
});

test('prefill time grows with the prompt', async () => {
	const s = await sim({ loadMs: 0, prefillTokensPerSec: 1000, decodeTokensPerSec: 10000 });
	const t0 = performance.now();
	const r = await chat(s, 'lorem ipsum '.repeat(100), { options: { num_predict: 1 } });
	const took = performance.now() - t0;
	expect(r.json.prompt_eval_count).toBeGreaterThan(200);
	// one 512-token step: the prompt tokens at 1 ms each plus the step's fixed cost (stepMs)
	expect(r.json.prompt_eval_duration).toBeGreaterThan(r.json.prompt_eval_count * 1e6);
	expect(r.json.prompt_eval_duration).toBeLessThan(r.json.prompt_eval_count * 1e6 + s.options.stepMs * 1e6 + 1);
	expect(took).toBeGreaterThanOrEqual(r.json.prompt_eval_count * 0.9);
	expect(s.stats.promptTokens).toBe(r.json.prompt_eval_count);
	expect(s.stats.evalTokens).toBe(1);
});

test('replyTokensMin/Max set the length of generated replies', async () => {
	const s = await sim({ timeScale: 0, replyTokensMin: 200, replyTokensMax: 220 });
	for (const q of ['a', 'b', 'c']) {
		const r = await chat(s, q);
		expect(r.json.eval_count).toBeGreaterThanOrEqual(200);
		expect(r.json.eval_count).toBeLessThanOrEqual(220);
	}
	s.setOptions({ replyTokensMin: 5, replyTokensMax: 8 });
	const r = await chat(s, 'a');
	expect(r.json.eval_count).toBeGreaterThanOrEqual(5);
	expect(r.json.eval_count).toBeLessThanOrEqual(8);
});
