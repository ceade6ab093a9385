/**
 * Scheduling as Ollama >= 0.11.5 (server/sched.go getRunner / processPending, llm/server.go's slot
 * semaphore): a loaded model queues at the runner without limit, only loads and reloads go through
 * the pending queue of OLLAMA_MAX_QUEUE, load_duration runs from arrival, reloads drain.
 * A model outside the Llama/Qwen families ("sim:8b") keeps the tokenizer out of the timings.
 */
import { ERR_MAX_QUEUE, Simulator } from './index';
import { getJson, postJson, sleep, waitFor, simulators } from './testutil';

const MODELS = [
	{ name: 'sim:8b', family: 'sim', contextLength: 32768 },
	{ name: 'other:1b', family: 'sim', contextLength: 32768, size: 800_000_000 },
];
const sim = simulators({ models: MODELS });

const chat = (s: Simulator, content: string, extra: Record<string, unknown> = {}, model = 'sim:8b') =>
	postJson(`${s.url}/api/chat`, { model, messages: [{ role: 'user', content }], stream: false, ...extra });

test('OLLAMA_NUM_PARALLEL defaults to 1', async () => {
	const s = await sim({ loadMs: 0, decodeTokensPerSec: 1000 });
	expect(s.options.parallel).toBe(1);
	await Promise.all([0, 1, 2].map((i) => chat(s, `q${i}`, { options: { num_predict: 5 } })));
	expect(s.stats.maxActive).toBe(1);
	expect(s.loadedModels()[0].parallel).toBe(1);
});

test('a loaded model never answers 503: requests wait at the runner without limit', async () => {
	const s = await sim({ parallel: 1, maxQueue: 1, loadMs: 0, decodeTokensPerSec: 100 });
	await chat(s, 'warm', { options: { num_predict: 1 } });
	const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => chat(s, `burst ${i}`, { options: { num_predict: 30 } })));
	expect(rs.map((r) => r.status)).toEqual(Array(8).fill(200));
	expect(s.stats.rejected503).toBe(0);
	// far more of them waited for the one slot than maxQueue allows in the pending queue
	expect(s.stats.maxQueued).toBeGreaterThanOrEqual(4);
	// the wait at the runner is in total_duration, not in load_duration (the runner was handed over at once)
	const waited = rs.map((r) => r.json).sort((a, b) => b.total_duration - a.total_duration)[0];
	expect(waited.load_duration).toBeLessThan(20e6);
	expect(waited.total_duration).toBeGreaterThan(3 * 300e6);
});

test('a burst on a cold model overflows the pending queue: 503 with Ollama\'s text; waiters report the load from their arrival', async () => {
	const s = await sim({ parallel: 4, maxQueue: 2, loadMs: 600, decodeTokensPerSec: 1000 });
	const t0 = performance.now();
	const first = chat(s, 'first', { options: { num_predict: 2 } });
	await waitFor(() => s.loadedModels().length === 1, 3000, 'the load to start');
	await sleep(100);
	// the pending loop is waiting for the load: two fit in the pending queue, the rest are refused
	const burst = await Promise.all(Array.from({ length: 5 }, (_, i) => chat(s, `burst ${i}`, { options: { num_predict: 2 } })));
	const a = await first;
	expect(a.status).toBe(200);
	const codes = burst.map((r) => r.status).sort();
	expect(codes).toEqual([200, 200, 503, 503, 503]);
	for (const r of burst.filter((x) => x.status === 503)) expect(r.text).toBe(JSON.stringify({ error: ERR_MAX_QUEUE }));
	expect(s.stats.rejected503).toBe(3);
	expect(s.stats.loads).toBe(1);
	// load_duration: from arrival until the runner was handed over
	expect(a.json.load_duration).toBeGreaterThanOrEqual(595e6);
	for (const r of burst.filter((x) => x.status === 200)) {
		// they arrived >= 100 ms into the load and waited for the rest of it
		expect(r.json.load_duration).toBeGreaterThanOrEqual(100e6);
		expect(r.json.load_duration).toBeLessThan(a.json.load_duration - 90e6);
	}
	expect(performance.now() - t0).toBeGreaterThanOrEqual(600);
	// once loaded, the same burst is accepted
	const again = await Promise.all(Array.from({ length: 5 }, (_, i) => chat(s, `again ${i}`, { options: { num_predict: 2 } })));
	expect(again.every((r) => r.status === 200)).toBe(true);
});

test('queueRule legacy: every waiting request counts against maxQueue, loaded model or not', async () => {
	const s = await sim({ parallel: 1, maxQueue: 2, loadMs: 0, decodeTokensPerSec: 100, queueRule: 'legacy' });
	await chat(s, 'warm', { options: { num_predict: 1 } });
	const rs = await Promise.all(Array.from({ length: 6 }, (_, i) => chat(s, `burst ${i}`, { options: { num_predict: 30 } })));
	expect(rs.map((r) => r.status).sort()).toEqual([200, 200, 200, 503, 503, 503]);
	expect(s.stats.rejected503).toBe(3);
});

test('a reload drains the old runner; matching requests still join it; other models are not blocked', async () => {
	const s = await sim({ parallel: 2, loadMs: 200, decodeTokensPerSec: 100, maxLoadedModels: 3 });
	await Promise.all([chat(s, 'load a', { options: { num_ctx: 2048, num_predict: 1 } }), chat(s, 'load b', { options: { num_predict: 1 } }, 'other:1b')]);
	expect(s.stats.loads).toBe(2);
	const t0 = performance.now();
	const at = <T>(p: Promise<T>) => p.then((r) => ({ r, at: performance.now() - t0 }));
	const slow = at(chat(s, 'slow', { options: { num_ctx: 2048, num_predict: 60 } })); // ~600 ms
	await waitFor(() => s.stats.active === 1, 3000, 'the slow request to run');
	await sleep(30);
	const reload = at(chat(s, 'bigger context', { options: { num_ctx: 8192, num_predict: 1 } }));
	await sleep(30);
	const joins = at(chat(s, 'same options', { options: { num_ctx: 2048, num_predict: 2 } }));
	const other = at(chat(s, 'other model', { options: { num_predict: 2 } }, 'other:1b'));
	const [a, b, c, d] = await Promise.all([slow, reload, joins, other]);
	for (const x of [a, b, c, d]) expect(x.r.status).toBe(200);
	// the matching request ran on the draining runner: no load, done long before the reload
	expect(c.r.json.load_duration).toBeLessThan(20e6);
	expect(c.at).toBeLessThan(a.at);
	// the other model did not wait for the drain
	expect(d.at).toBeLessThan(a.at - 200);
	// the reload waited for the drain, then for its own load; load_duration counts all of it
	expect(b.at).toBeGreaterThan(a.at + 190);
	expect(b.r.json.load_duration).toBeGreaterThan(400e6);
	expect(s.stats.reloads).toBe(1);
	expect(s.stats.loads).toBe(3);
	await waitFor(() => s.loadedModels().length === 2);
	const ps = await getJson(`${s.url}/api/ps`);
	expect(ps.models.find((m: { name: string }) => m.name === 'sim:8b').context_length).toBe(8192);
});

test('while a model loads, 1 + OLLAMA_MAX_QUEUE requests are held, the rest get 503 at once, and /api/ps lists it only once loaded', async () => {
	// sched.go: processPending takes one request off pendingReqCh (a channel of OLLAMA_MAX_QUEUE
	// places) and loads; `load` registers the runner in s.loaded only after llama.Load, which waits
	// until the runner is up (llm/llama_server.go), so /api/ps cannot see it meanwhile.
	const s = await sim({ parallel: 4, maxQueue: 2, loadMs: 400, decodeTokensPerSec: 1000 });
	const burst = Array.from({ length: 6 }, (_, i) => chat(s, `cold ${i}`, { options: { num_predict: 2 } }));
	await waitFor(() => s.stats.rejected503 === 3);
	expect(s.loadedModels()[0].state).toBe('loading');
	expect((await getJson(`${s.url}/api/ps`)).models).toEqual([]);
	const statuses = (await Promise.all(burst)).map((r) => r.status).sort();
	expect(statuses).toEqual([200, 200, 200, 503, 503, 503]);
	expect((await getJson(`${s.url}/api/ps`)).models.map((m: { name: string }) => m.name)).toEqual(['sim:8b']);
});
