import { createServer, type Server } from 'node:net';

import { startSimulator, type Simulator } from '../../test/simulator';
import {
	BackendBusyError,
	BackendUnreachableError,
	ModelNotFoundError,
	OllamaHttpError,
	OllamaTimeoutError,
	OllamaTransport,
	RequestAbortedError,
	type TransportOptions,
} from '.';

let sim: Simulator;
const transports: OllamaTransport[] = [];

function transport(options: TransportOptions = {}, url = sim.url, parallel = 4): OllamaTransport {
	const t = new OllamaTransport({ name: 'sim-a', baseUrl: url, weight: 1, parallel }, options);
	transports.push(t);
	return t;
}

const chat = (content: string, extra: Record<string, unknown> = {}) => ({
	model: 'llama3.2:3b',
	messages: [{ role: 'user', content }],
	...extra,
});

beforeAll(async () => {
	sim = await startSimulator({ timeScale: 0, loadMs: 0 });
});
afterEach(async () => {
	await Promise.all(transports.splice(0).map((t) => t.close()));
	sim.setFaults({ errorRate: 0, hangRate: 0, dropMidStreamRate: 0, firstTokenDelayMs: 0, failNext: 0 });
	sim.setOptions({ timeScale: 0, parallel: 4, maxQueue: 512, apiKey: '' });
	sim.clearScripts();
	sim.resetStats();
});
afterAll(async () => {
	await sim.close();
});

describe('OllamaTransport against the simulator', () => {
	it('streams a chat, assembling the reply and Ollama\'s stats', async () => {
		const chunks: string[] = [];
		const result = await transport().chat(chat('Hello there'), { onChunk: (c) => chunks.push(c) });
		expect(result.message.content.length).toBeGreaterThan(0);
		expect(chunks.join('')).toBe(result.message.content);
		expect(chunks.length).toBeGreaterThan(1);
		expect(result.backend).toBe('sim-a');
		expect(result.promptEvalCount).toBeGreaterThan(0);
		expect(result.evalCount).toBeGreaterThan(0);
		expect(result.doneReason).toBe('stop');
		expect(sim.stats.requestsByEndpoint['/api/chat']).toBe(1);
	});

	it('reuses keep-alive connections instead of opening one per request', async () => {
		const t = transport();
		for (let i = 0; i < 30; i++) await t.chat(chat(`question ${i}`));
		expect(sim.stats.completed).toBe(30);
		// One socket carries them all; a second may open when the next request is sent before the
		// previous stream's final chunk-terminator has been read (the client stops at `done`).
		expect(sim.stats.connections).toBeLessThanOrEqual(2);
	});

	it('sends the API key as a Bearer token and extra headers', async () => {
		sim.setOptions({ apiKey: 'sk-test-123' });
		await expect(transport().chat(chat('no key'))).rejects.toBeInstanceOf(OllamaHttpError);
		const ok = await transport({ apiKey: 'sk-test-123', headers: { 'X-Team': 'blue' } }).chat(chat('with key'));
		expect(ok.message.content).toBeTruthy();
		const last = sim.stats.lastRequests.at(-1)!;
		expect(last.authorized).toBe(true);
		expect(last.headers['x-team']).toBe('blue');
	});

	it('maps a 404 for an unknown model to ModelNotFoundError naming the model and backend', async () => {
		const error = await transport().chat(chat('hi', { model: 'nope:1b' })).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(ModelNotFoundError);
		expect((error as Error).message).toMatch(/"nope:1b".*"sim-a"/);
	});

	it('maps a full Ollama queue (503) to BackendBusyError', async () => {
		// a loaded model queues at the runner without limit on current Ollama: the 503 needs the old rule
		sim.setOptions({ parallel: 1, maxQueue: 1, timeScale: 1, decodeTokensPerSec: 200, queueRule: 'legacy' });
		const t = transport({}, sim.url, 8);
		const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => t.chat(chat(`busy ${i}`))));
		const busy = results.filter((r) => r.status === 'rejected' && r.reason instanceof BackendBusyError);
		expect(busy.length).toBeGreaterThan(0);
		expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
		expect(sim.stats.rejected503).toBe(busy.length);
	});

	it('maps a 500 to a retryable OllamaHttpError', async () => {
		sim.setFaults({ failNext: 1 });
		const error = await transport().chat(chat('x')).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(OllamaHttpError);
		expect((error as OllamaHttpError).status).toBe(500);
		expect((error as OllamaHttpError).retryable).toBe(true);
	});

	it('reports an unreachable backend', async () => {
		const closed: Server = createServer();
		const port = await new Promise<number>((resolve) => closed.listen(0, '127.0.0.1', () => resolve((closed.address() as { port: number }).port)));
		await new Promise((resolve) => closed.close(resolve));
		const error = await transport({}, `http://127.0.0.1:${port}`).chat(chat('x')).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(BackendUnreachableError);
		expect((error as Error).message).toContain('"sim-a"');
	});

	it('times out waiting for the first token, saying which timeout fired', async () => {
		sim.setFaults({ firstTokenDelayMs: 2000 });
		const error = await transport({ timeouts: { firstTokenMs: 150 } }).chat(chat('slow start')).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(OllamaTimeoutError);
		expect((error as OllamaTimeoutError).kind).toBe('firstToken');
	});

	it('times out when tokens stop coming (idle), but not on a long steady generation', async () => {
		sim.setOptions({ timeScale: 1, decodeTokensPerSec: 40 });
		// ~25 ms between tokens and 20+ tokens: the whole call outlasts the first-token deadline.
		const steady = await transport({ timeouts: { firstTokenMs: 300, idleMs: 300 } }).chat(chat('long answer please'));
		expect(steady.evalCount).toBeGreaterThan(10);
		expect(steady.latencyMs).toBeGreaterThan(300);

		sim.setOptions({ decodeTokensPerSec: 2 });
		const error = await transport({ timeouts: { idleMs: 150 } }).chat(chat('stall')).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(OllamaTimeoutError);
		expect((error as OllamaTimeoutError).kind).toBe('idle');
	});

	it('stops a hung request at the total timeout', async () => {
		sim.setFaults({ hangRate: 1 });
		const error = await transport({ timeouts: { totalMs: 200, firstTokenMs: 0 } }).chat(chat('hang')).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(OllamaTimeoutError);
		expect((error as OllamaTimeoutError).kind).toBe('total');
	});

	it('reports a connection dropped mid-stream as unreachable', async () => {
		sim.setOptions({ timeScale: 1, decodeTokensPerSec: 200 });
		sim.setFaults({ dropMidStreamRate: 1 });
		const error = await transport().chat(chat('drop me')).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(BackendUnreachableError);
	});

	it('cancels through an AbortSignal', async () => {
		sim.setOptions({ timeScale: 1, decodeTokensPerSec: 5 });
		const controller = new AbortController();
		const pending = transport().chat(chat('cancel me'), { signal: controller.signal });
		setTimeout(() => controller.abort(), 100);
		await expect(pending).rejects.toBeInstanceOf(RequestAbortedError);
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(sim.stats.aborted).toBe(1);
	});

	it('marks an error after the first streamed token, so the router knows the caller already saw part of the reply', async () => {
		sim.setOptions({ timeScale: 1, decodeTokensPerSec: 500 });
		sim.setFaults({ crashNext: 1, crashAfterTokens: 3 });
		const pieces: string[] = [];
		const crashed = await transport().chat(chat('crash me'), { onChunk: (p) => pieces.push(p) }).catch((e: unknown) => e);
		expect(pieces.length).toBeGreaterThan(0);
		expect(crashed).toMatchObject({ afterFirstToken: true, retryable: true, backend: 'sim-a' });
		expect((crashed as Error).message).toMatch(/unexpectedly stopped/);
		sim.setFaults({ failNext: 1 });
		const before = await transport().chat(chat('fail me')).catch((e: unknown) => e);
		expect(before).toBeInstanceOf(OllamaHttpError);
		expect(before).toMatchObject({ afterFirstToken: false, status: 500 });
	});

	it('keeps non-ASCII text whole across streamed chunks', async () => {
		const reply = 'Grüße, 世界! 🎉 '.repeat(400);
		sim.addScript({ match: /unicode/, reply });
		const result = await transport().chat(chat('unicode please'));
		expect(result.message.content).toBe(reply);
	});

	it('reads token lines with quotes, backslashes, newlines and JSON-looking text exactly (the fast line reader falls back to JSON.parse)', async () => {
		const reply = 'He said "hi"\n\tC:\\dir\\ "},"done":false} {"message":{"role":"assistant","content":"x"},"done":false} end';
		sim.addScript({ match: /escapes/, reply });
		const chunks: string[] = [];
		const result = await transport().chat(chat('escapes please'), { onChunk: (c) => chunks.push(c) });
		expect(result.message.content).toBe(reply);
		expect(chunks.join('')).toBe(reply);
		expect(result.doneReason).toBe('stop');
	});

	it('sends many calls over few sockets with the chat still streamed on the wire', async () => {
		sim.setOptions({ timeScale: 1, decodeTokensPerSec: 2000 });
		const t = transport({ connections: 2 });
		const seen: number[] = [];
		const results = await Promise.all(Array.from({ length: 8 }, (_, i) => t.chat(chat(`s${i}`), { onChunk: () => seen.push(i) })));
		expect(results.every((r) => r.message.content.length > 0 && r.evalCount > 0)).toBe(true);
		expect(new Set(seen).size).toBe(8);
		expect((sim.stats.lastRequests.at(-1)!.body as { stream?: boolean }).stream).toBe(true);
		expect(sim.stats.connections).toBeLessThanOrEqual(2);
	});

	it('embeds and lists models', async () => {
		const t = transport();
		const result = await t.embed({ model: 'nomic-embed-text', input: ['a cat', 'a dog'] });
		expect(result.embeddings).toHaveLength(2);
		expect(result.embeddings[0]).toHaveLength(768);
		expect(await t.listModels()).toEqual(expect.arrayContaining(['llama3.2:3b', 'nomic-embed-text:latest']));
	});
});
