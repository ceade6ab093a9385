/**
 * Faults, control endpoints (/_sim/*), API key, stats and clean shutdown of the simulator.
 */
import http from 'node:http';
import { Ollama } from 'ollama';
import { getJson, postJson, postNdjson, sleep, waitFor, simulators } from './testutil';

const sim = simulators({ timeScale: 0 });

const body = (content = 'hello') => ({ model: 'llama3.2:3b', messages: [{ role: 'user', content }], stream: false as const });

test('failNext: the next N inference requests get 500, then normal service', async () => {
	const s = await sim({ faults: { failNext: 2 } });
	const c = new Ollama({ host: s.url });
	await expect(c.chat(body())).rejects.toMatchObject({ status_code: 500, error: 'simulated internal error' });
	const r = await postJson(`${s.url}/api/embed`, { model: 'all-minilm', input: 'x' });
	expect(r.status).toBe(500);
	expect(r.json).toEqual({ error: 'simulated internal error' });
	expect((await c.chat(body())).done).toBe(true);
	// non-inference endpoints are not affected
	s.setFaults({ failNext: 1 });
	expect((await fetch(`${s.url}/api/tags`)).status).toBe(200);
	expect((await postJson(`${s.url}/api/chat`, body())).status).toBe(500);
	expect(s.stats.errors500).toBe(3);
	expect(s.stats.responsesByStatus['500']).toBe(3);
});

test('errorRate is a seeded fraction', async () => {
	const run = async (seed: number) => {
		const s = await sim({ faults: { errorRate: 0.5, seed } });
		const codes: number[] = [];
		for (let i = 0; i < 40; i++) codes.push((await postJson(`${s.url}/api/chat`, body(`q${i}`))).status);
		return codes;
	};
	const a = await run(42);
	const b = await run(42);
	expect(a).toEqual(b);
	const fails = a.filter((c) => c === 500).length;
	expect(fails).toBeGreaterThan(8);
	expect(fails).toBeLessThan(32);
	expect(a.filter((c) => c !== 500).every((c) => c === 200)).toBe(true);
	const all = await sim({ faults: { errorRate: 1 } });
	expect((await postJson(`${all.url}/api/generate`, { model: 'llama3.2:3b', prompt: 'x' })).status).toBe(500);
});

test('hangRate: no answer until the client aborts; close() still returns promptly', async () => {
	const s = await sim({ faults: { hangRate: 1 } });
	const ac = new AbortController();
	const p = fetch(`${s.url}/api/chat`, { method: 'POST', body: JSON.stringify(body()), signal: ac.signal });
	const raced = await Promise.race([p.then(() => 'answered'), sleep(150).then(() => 'pending')]);
	expect(raced).toBe('pending');
	ac.abort();
	await expect(p).rejects.toThrow();
	expect(s.stats.hung).toBe(1);
	// a second hung request is cut by close()
	const q = fetch(`${s.url}/api/chat`, { method: 'POST', body: JSON.stringify(body()) }).then(
		() => 'answered',
		() => 'failed',
	);
	await sleep(30);
	const t0 = performance.now();
	await s.close();
	expect(performance.now() - t0).toBeLessThan(500);
	expect(await q).toBe('failed');
});

test('dropMidStreamRate: the socket is destroyed after a few chunks', async () => {
	const s = await sim({ faults: { dropMidStreamRate: 1 }, decodeTokensPerSec: 500, timeScale: 1, loadMs: 0 });
	const c = new Ollama({ host: s.url });
	let got = 0;
	await expect(
		(async () => {
			const it = await c.chat({ ...body(), stream: true });
			for await (const part of it) {
				expect(part.done).toBe(false);
				got++;
			}
		})(),
	).rejects.toThrow();
	expect(got).toBeGreaterThanOrEqual(1);
	expect(got).toBeLessThanOrEqual(3);
	expect(s.stats.droppedStreams).toBe(1);
	// non-streaming answers are not dropped
	expect((await postJson(`${s.url}/api/chat`, body())).status).toBe(200);
});

test('firstTokenDelayMs delays the first token and the non-stream reply', async () => {
	const s = await sim({ faults: { firstTokenDelayMs: 150 } });
	const t0 = performance.now();
	const r = await postJson(`${s.url}/api/chat`, body());
	expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
	expect(r.json.total_duration).toBeGreaterThanOrEqual(150e6);
	const { lines } = await postNdjson(`${s.url}/api/chat`, { ...body(), stream: true });
	expect(lines[0].at).toBeGreaterThanOrEqual(140);
});

test('control endpoints drive a running simulator over HTTP', async () => {
	const s = await sim();
	const c = new Ollama({ host: s.url });
	await c.chat(body());
	let stats = await getJson(`${s.url}/_sim/stats`);
	expect(stats.requests).toBe(1);
	expect(stats.requestsByEndpoint['/api/chat']).toBe(1);
	expect(stats.requestsByModel['llama3.2:3b']).toBe(1);
	expect(stats.evalTokens).toBeGreaterThan(0);

	expect((await postJson(`${s.url}/_sim/faults`, { failNext: 1 })).json.failNext).toBe(1);
	await expect(c.chat(body())).rejects.toMatchObject({ status_code: 500 });

	expect((await postJson(`${s.url}/_sim/scripts`, { match: 'ping', flags: 'i', reply: 'pong' })).json.count).toBe(1);
	expect((await c.chat(body('PING'))).message.content).toBe('pong');
	await postJson(`${s.url}/_sim/scripts`, { match: 'weather', toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }], times: 1 });
	const tc = await c.chat(body('weather?'));
	expect(tc.message.tool_calls![0].function).toMatchObject({ name: 'get_weather', arguments: { city: 'Oslo' } });
	expect((await fetch(`${s.url}/_sim/scripts`, { method: 'DELETE' })).status).toBe(200);
	expect((await c.chat(body('PING'))).message.content).not.toBe('pong');

	const o = await postJson(`${s.url}/_sim/options`, { version: '0.12.3', parallel: 8 });
	expect(o.json.parallel).toBe(8);
	expect(s.options.parallel).toBe(8);
	expect((await c.version()).version).toBe('0.12.3');
	expect((await postJson(`${s.url}/_sim/options`, { parallel: -1 })).status).toBe(400);
	expect((await postJson(`${s.url}/_sim/faults`, { errorRate: 2 })).status).toBe(400);

	expect((await postJson(`${s.url}/_sim/reset`, {})).status).toBe(200);
	stats = await getJson(`${s.url}/_sim/stats`);
	expect(stats.requests).toBe(0);
	expect(stats.lastRequests).toEqual([]);
	// control calls are not counted as API requests
	expect(s.stats.requests).toBe(0);
	const state = await getJson(`${s.url}/_sim/state`);
	expect(state.loaded.map((m: { name: string }) => m.name)).toEqual(['llama3.2:3b']);
	await postJson(`${s.url}/_sim/unload`, {});
	expect(s.loadedModels()).toEqual([]);
});

test('apiKey: requests need the bearer token; lastRequests records headers without it', async () => {
	const s = await sim({ apiKey: 'sekret' });
	const r = await fetch(`${s.url}/api/tags`);
	expect(r.status).toBe(401);
	expect(await r.json()).toEqual({ error: 'unauthorized' });
	await expect(new Ollama({ host: s.url }).chat(body())).rejects.toMatchObject({ status_code: 401 });
	await expect(new Ollama({ host: s.url, headers: { Authorization: 'Bearer wrong' } }).list()).rejects.toMatchObject({ status_code: 401 });
	const ok = await new Ollama({ host: s.url, headers: { Authorization: 'Bearer sekret', 'X-Team': 'blue' } }).chat(body());
	expect(ok.done).toBe(true);
	expect(s.stats.unauthorized401).toBe(3);
	const last = s.stats.lastRequests[s.stats.lastRequests.length - 1];
	expect(last).toMatchObject({ method: 'POST', path: '/api/chat', authorized: true });
	expect((last.body as { model: string }).model).toBe('llama3.2:3b');
	expect(last.headers.authorization).toBeUndefined();
	expect(last.headers['x-team']).toBe('blue');
	expect(s.stats.lastRequests[0].authorized).toBe(false);
	// control endpoints stay open
	expect((await fetch(`${s.url}/_sim/stats`)).status).toBe(200);
	s.setOptions({ apiKey: '' });
	expect((await fetch(`${s.url}/api/tags`)).status).toBe(200);
});

test('stats.connections proves keep-alive pooling; lastRequests keeps the last 50', async () => {
	const s = await sim();
	// undici's pool may open a second socket for the request right after the first; after that it reuses them
	for (let i = 0; i < 20; i++) await fetch(`${s.url}/api/version`).then((r) => r.text());
	const pooled = s.stats.connections;
	expect(pooled).toBeGreaterThanOrEqual(1);
	expect(pooled).toBeLessThanOrEqual(2);
	const noPool = () =>
		new Promise<void>((resolve, reject) => {
			const req = http.request(`${s.url}/api/version`, { agent: false, headers: { connection: 'close' } }, (res) => {
				res.resume();
				res.on('end', () => resolve());
			});
			req.on('error', reject);
			req.end();
		});
	await noPool();
	await noPool();
	expect(s.stats.connections).toBe(pooled + 2);
	for (let i = 0; i < 60; i++) await postJson(`${s.url}/api/show`, { model: 'all-minilm', i });
	expect(s.stats.lastRequests).toHaveLength(50);
	expect((s.stats.lastRequests[49].body as { i: number }).i).toBe(59);
	expect(s.stats.requests).toBe(82);
	s.resetStats();
	expect(s.stats.requests).toBe(0);
	expect(s.stats.connections).toBe(0);
});

test('close() ends open streams and queued requests promptly', async () => {
	const s = await sim({ timeScale: 1, loadMs: 0, decodeTokensPerSec: 20, parallel: 1 });
	const outcome = (p: Promise<unknown>) => p.then(() => 'completed', () => 'failed');
	const first = outcome(postNdjson(`${s.url}/api/chat`, { ...body('long'), stream: true }));
	const queued = outcome(postJson(`${s.url}/api/chat`, body('waits')));
	await waitFor(() => s.stats.active === 1 && s.stats.queued === 1, 3000, 'one active, one queued');
	const t0 = performance.now();
	await s.close();
	expect(performance.now() - t0).toBeLessThan(500);
	expect(await first).toBe('failed');
	expect(await queued).toBe('failed');
	// idempotent
	await s.close();
});

test('a client that goes away frees its slot and leaves the queue', async () => {
	const s = await sim({ timeScale: 1, loadMs: 0, decodeTokensPerSec: 20, parallel: 1 });
	const ac1 = new AbortController();
	const ac2 = new AbortController();
	const a = postNdjson(`${s.url}/api/chat`, { ...body('a'), stream: true }, ac1.signal).catch(() => 'aborted');
	const b = fetch(`${s.url}/api/chat`, { method: 'POST', body: JSON.stringify(body('b')), signal: ac2.signal }).catch(() => 'aborted');
	await waitFor(() => s.stats.active === 1 && s.stats.queued === 1, 3000, 'one active, one queued');
	ac2.abort();
	await waitFor(() => s.stats.queued === 0, 3000, 'queue empty');
	expect(s.stats.active).toBe(1);
	ac1.abort();
	await waitFor(() => s.stats.active === 0, 3000, 'slot freed');
	expect(await a).toBe('aborted');
	expect(await b).toBe('aborted');
	expect(s.stats.aborted).toBe(2);
	const r = await postJson(`${s.url}/api/chat`, { ...body('c'), options: { num_predict: 2 } });
	expect(r.status).toBe(200);
});

test('hang: the whole server stops answering (probes, new requests, streams in progress) until it is cleared', async () => {
	const s = await sim({ timeScale: 1, loadMs: 0, decodeTokensPerSec: 200, replyTokensMin: 60, replyTokensMax: 60 });
	// a stream in progress: some tokens arrive, then the server hangs
	const ac = new AbortController();
	const lines: unknown[] = [];
	const streaming = (async () => {
		const res = await fetch(`${s.url}/api/chat`, { method: 'POST', body: JSON.stringify({ ...body(), stream: true }), signal: ac.signal });
		const reader = res.body!.getReader();
		for (;;) {
			const { done, value } = await reader.read();
			if (done) return 'ended';
			lines.push(value);
			if (lines.length === 2) s.setFaults({ hang: 1 });
		}
	})().catch(() => 'aborted');
	await waitFor(() => s.faults.hang === 1);
	const seen = lines.length;
	const probe = fetch(`${s.url}/api/ps`).then((r) => r.status);
	const root = fetch(`${s.url}/`).then((r) => r.status);
	const raced = await Promise.race([probe.then(() => 'answered'), root.then(() => 'answered'), sleep(300).then(() => 'pending')]);
	expect(raced).toBe('pending');
	expect(lines.length).toBe(seen); // nothing more on the stream while hung
	expect(s.stats.hung).toBe(2);
	// control endpoints still answer; clearing the fault lets everything go on
	expect((await getJson(`${s.url}/_sim/faults`)).hang).toBe(1);
	s.setFaults({ hang: 0 });
	expect(await probe).toBe(200);
	expect(await root).toBe(200);
	expect(await streaming).toBe('ended');
	expect(lines.length).toBeGreaterThan(seen);
	ac.abort();
});

test('hang: a held request whose client gives up is dropped, and close() returns promptly', async () => {
	const s = await sim({ faults: { hang: 1 } });
	const ac = new AbortController();
	const p = fetch(`${s.url}/api/chat`, { method: 'POST', body: JSON.stringify(body()), signal: ac.signal });
	await waitFor(() => s.stats.hung === 1);
	ac.abort();
	await expect(p).rejects.toThrow();
	const q = fetch(`${s.url}/api/tags`).then(
		() => 'answered',
		() => 'failed',
	);
	await waitFor(() => s.stats.hung === 2);
	await s.close();
	expect(await q).toBe('failed');
});
