/**
 * Memory, loading and eviction as server/sched.go: a runner's size is its weights plus a KV cache of
 * num_ctx x parallel tokens; models that do not fit evict idle ones (ByDurationAndName order);
 * OLLAMA_MAX_LOADED_MODELS; a model too big even alone spills to system memory or fails with
 * llm/server.go's text; freed memory is usable only after the unload delay.
 */
import { Ollama } from 'ollama';

import { Simulator } from './index';
import { getJson, postJson, simulators } from './testutil';

const GIB = 1024 ** 3;
const sim = simulators({ loadMs: 0, timeScale: 1, decodeTokensPerSec: 2000 });

const chat = (s: Simulator, model: string, extra: Record<string, unknown> = {}) =>
	postJson(`${s.url}/api/chat`, { model, messages: [{ role: 'user', content: 'hi' }], stream: false, options: { num_predict: 2 }, ...extra });

const model = (name: string, sizeGiB: number, kv = 131072) => ({ name, family: 'sim', size: Math.round(sizeGiB * GIB), kvBytesPerToken: kv, contextLength: 32768 });

test('/api/ps: size and size_vram = weights + KV cache of num_ctx x parallel; sorted by expires_at, latest first', async () => {
	const s = await sim({ parallel: 2, models: [model('a:1b', 1), model('b:1b', 2, 65536)] });
	await chat(s, 'a:1b', { keep_alive: '10m', options: { num_ctx: 4096, num_predict: 1 } });
	await chat(s, 'b:1b', { keep_alive: '1h', options: { num_ctx: 8192, num_predict: 1 } });
	const ps = await new Ollama({ host: s.url }).ps();
	expect(ps.models.map((m) => m.name)).toEqual(['b:1b', 'a:1b']);
	const [b, a] = ps.models;
	expect(a.size).toBe(1 * GIB + 131072 * 4096 * 2);
	expect(b.size).toBe(2 * GIB + 65536 * 8192 * 2);
	expect(a.size_vram).toBe(a.size);
	expect(b.size_vram).toBe(b.size);
	// the catalogue keeps the file size
	const tags = await getJson(`${s.url}/api/tags`);
	expect(tags.models.find((m: { name: string }) => m.name === 'a:1b').size).toBe(1 * GIB);
});

test('a model that does not fit next to the loaded ones evicts an idle one; its load waits for the memory to be free', async () => {
	const s = await sim({ vramGiB: 8, unloadDelayMs: 150, loadMs: 50, models: [model('a:5b', 5, 1024), model('b:5b', 5, 1024), model('c:1b', 1, 1024)] });
	await chat(s, 'a:5b');
	await chat(s, 'c:1b'); // fits beside a
	expect(s.loadedModels().map((m) => m.name).sort()).toEqual(['a:5b', 'c:1b']);
	const b = await chat(s, 'b:5b');
	expect(b.status).toBe(200);
	// a and c have the same session (5m): a goes first by name, and that makes room
	expect(s.loadedModels().map((m) => m.name).sort()).toEqual(['b:5b', 'c:1b']);
	expect(s.stats.unloads).toBe(1);
	// load_duration: the unload delay (waitForVRAMRecovery) + the load itself
	expect(b.json.load_duration).toBeGreaterThanOrEqual(195e6);
});

test('OLLAMA_MAX_LOADED_MODELS: the victim is idle first, then the shortest session, then the name (ByDurationAndName)', async () => {
	const s = await sim({ maxLoadedModels: 3, decodeTokensPerSec: 20, models: [model('a:1b', 1), model('b:1b', 1), model('c:1b', 1), model('d:1b', 1), model('e:1b', 1)] });
	await chat(s, 'a:1b', { keep_alive: '1h' });
	await chat(s, 'b:1b', { keep_alive: '10m' });
	await chat(s, 'c:1b', { keep_alive: '30m' });
	await chat(s, 'd:1b');
	expect(s.loadedModels().map((m) => m.name).sort()).toEqual(['a:1b', 'c:1b', 'd:1b']); // b had the shortest session
	// a busy model is not picked while an idle one exists, even with the shortest session
	const busy = chat(s, 'd:1b', { keep_alive: '1m', options: { num_predict: 20 } }); // ~1 s
	await new Promise((r) => setTimeout(r, 100));
	await chat(s, 'e:1b', { keep_alive: '2h', options: { num_predict: 1 } });
	expect(s.loadedModels().map((m) => m.name).sort()).toEqual(['a:1b', 'd:1b', 'e:1b']); // c (30m, idle) went, not d (1m, busy)
	expect((await busy).status).toBe(200);
});

test('a model too big for the GPU alone spills to system memory, or fails with Ollama\'s text when that is too small', async () => {
	const s = await sim({ vramGiB: 4, systemMemoryGiB: 8, models: [model('big:8b', 6, 0), model('huge:70b', 40, 0)] });
	const ok = await chat(s, 'big:8b');
	expect(ok.status).toBe(200);
	const ps = await getJson(`${s.url}/api/ps`);
	expect(ps.models[0].size).toBe(6 * GIB);
	expect(ps.models[0].size_vram).toBeLessThan(ps.models[0].size);
	const bad = await chat(s, 'huge:70b');
	expect(bad.status).toBe(500);
	// the loaded model is evicted first; then it still needs 36 GiB of system memory
	expect(bad.json).toEqual({ error: 'model requires more system memory (36.0 GiB) than is available (8.0 GiB)' });
	expect(s.stats.loadFailures).toBe(1);
	const none = await sim({ vramGiB: 4, systemMemoryGiB: 0, models: [model('big:8b', 6, 0)] });
	const r = await chat(none, 'big:8b');
	expect(r.json).toEqual({ error: 'model requires more system memory (2.0 GiB) than is available (0 B)' });
});
