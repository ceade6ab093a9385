/** Embedding coalescing through the gateway, against the Ollama simulator over real HTTP. */
import { Gateway, type ClusterConfig } from '../gateway';
import { OllamaHttpError, RequestAbortedError } from '../ollama';
import { getGateway, closeAllGateways } from '../registry';
import { startSimulator, type Simulator } from '../../test/simulator';

const MODEL = 'nomic-embed-text';
let sim: Simulator;
let plain: Gateway;

beforeAll(async () => {
	sim = await startSimulator({ parallel: 1, timeScale: 0 });
	plain = new Gateway({ backends: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 1 }], embedBatching: false });
});
afterEach(async () => {
	await closeAllGateways();
	sim.resetStats();
});
afterAll(async () => {
	await plain.close();
	await sim.close();
});

const config = (embedBatching?: ClusterConfig['embedBatching']): ClusterConfig => ({
	backends: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 1 }],
	embedBatching,
});

describe('embedding coalescing (gateway batching stage)', () => {
	it('turns concurrent single-text calls from separate callers into one array call, duplicates sent once, each caller getting its own vectors', async () => {
		// 40 callers, each with two texts, each text shared with the next caller: 41 distinct texts
		const inputs = Array.from({ length: 40 }, (_, i) => [`document number ${i}`, `document number ${i + 1}`]);
		const distinct = Array.from({ length: 41 }, (_, i) => `document number ${i}`);
		const expected = (await plain.embed({ model: MODEL, input: distinct })).embeddings;
		sim.resetStats();
		// as from 40 executions that share the process-wide gateway of one credential
		const results = await Promise.all(inputs.map((input) => getGateway(config({ maxDelayMs: 20, targetSize: 128 })).embed({ model: MODEL, input })));
		expect(sim.stats.requestsByEndpoint['/api/embed']).toBe(1);
		const sent = (sim.stats.lastRequests.at(-1)!.body as { input: string[] }).input;
		expect(sent).toEqual(distinct);
		results.forEach((r, i) => {
			expect(r.embeddings).toEqual([expected[i], expected[i + 1]]);
			expect(r.batch).toMatchObject({ id: 1, size: 40 });
		});
		// the batch's prompt tokens shared by text
		expect(results.reduce((n, r) => n + r.promptEvalCount, 0)).toBeGreaterThan(0);
	});

	it('never sends more texts in one backend call than the batch limit, however the texts are spread over calls', async () => {
		const gateway = getGateway(config({ maxDelayMs: 20, targetSize: 4, limit: 4 }));
		// Three calls of three texts each arrive together: 9 texts, limit 4 texts per backend call.
		const inputs = [0, 1, 2].map((c) => [0, 1, 2].map((t) => `limit text ${c}-${t}`));
		const results = await Promise.all(inputs.map((input) => gateway.embed({ model: MODEL, input })));
		const sent = sim.stats.lastRequests.filter((r) => r.path === '/api/embed').map((r) => (r.body as { input: string[] }).input.length);
		expect(sent.length).toBeGreaterThan(1);
		expect(Math.max(...sent)).toBeLessThanOrEqual(4);
		expect(sent.reduce((a, b) => a + b, 0)).toBe(9);
		results.forEach((r) => expect(r.embeddings).toHaveLength(3));
	});

	it('keeps a caller\'s array input in order, beside single-text callers', async () => {
		const gateway = getGateway(config({ maxDelayMs: 10 }));
		const [many, one] = await Promise.all([
			gateway.embed({ model: MODEL, input: ['zeta', 'alpha', 'zeta', 'mid'] }),
			gateway.embed({ model: MODEL, input: 'alpha' }),
		]);
		expect(sim.stats.requestsByEndpoint['/api/embed']).toBe(1);
		const each = (await plain.embed({ model: MODEL, input: ['zeta', 'alpha', 'mid'] })).embeddings;
		expect(many.embeddings).toEqual([each[0], each[1], each[0], each[2]]);
		expect(one.embeddings).toEqual([each[1]]);
	});

	it('calls with different options or models are not mixed', async () => {
		const gateway = getGateway(config({ maxDelayMs: 10 }));
		await Promise.all([
			gateway.embed({ model: MODEL, input: 'a' }),
			gateway.embed({ model: MODEL, input: 'b', dimensions: 64 }),
			gateway.embed({ model: 'all-minilm', input: 'c' }),
		]);
		expect(sim.stats.requestsByEndpoint['/api/embed']).toBe(3);
	});

	it('a member whose text breaks the batch gets its own error; the others get their vectors', async () => {
		const gateway = getGateway(config({ maxDelayMs: 10 }));
		const huge = 'word '.repeat(5000); // over nomic-embed-text's 2048-token context
		const settled = await Promise.allSettled([
			gateway.embed({ model: MODEL, input: 'fine one', truncate: false }),
			gateway.embed({ model: MODEL, input: huge, truncate: false }),
			gateway.embed({ model: MODEL, input: 'fine two', truncate: false }),
		]);
		expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
		expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(OllamaHttpError);
		expect((settled[1] as PromiseRejectedResult).reason.message).toMatch(/exceeds the context length/);
	});

	it('an error for the whole batch (unknown model) reaches every member', async () => {
		const gateway = getGateway(config({ maxDelayMs: 10 }));
		const settled = await Promise.allSettled(['x', 'y'].map((input) => gateway.embed({ model: 'no-such-model', input })));
		for (const s of settled) expect((s as PromiseRejectedResult).reason).toMatchObject({ code: 'MODEL_NOT_FOUND' });
		expect(sim.stats.requestsByEndpoint['/api/embed']).toBe(1);
	});

	it('a caller that aborts while its batch waits leaves at once; the batch goes on without its text', async () => {
		const gateway = getGateway(config({ maxDelayMs: 40 }));
		const controller = new AbortController();
		const kept = gateway.embed({ model: MODEL, input: 'kept' });
		const gone = gateway.embed({ model: MODEL, input: 'gone' }, { signal: controller.signal });
		await new Promise((resolve) => setTimeout(resolve, 5));
		controller.abort();
		await expect(gone).rejects.toBeInstanceOf(RequestAbortedError);
		await expect(kept).resolves.toMatchObject({ embeddings: [expect.any(Array)] });
		expect((sim.stats.lastRequests.at(-1)!.body as { input: string[] }).input).toEqual(['kept']);
	});

	it('with batching off each call is its own request', async () => {
		const gateway = getGateway(config(false));
		await Promise.all(['a', 'b', 'c'].map((input) => gateway.embed({ model: MODEL, input })));
		expect(sim.stats.requestsByEndpoint['/api/embed']).toBe(3);
	});
});
