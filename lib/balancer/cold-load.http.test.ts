import { startSimulator, type Simulator } from '../../test/simulator';
import { Gateway } from '../gateway';
import type { BalancerSettings } from '.';
import { MODEL, preloadSimulatorTokenizer } from './simulators.fixture';

// Issue 21: a long cold load behind OLLAMA_MAX_QUEUE. Ollama (server/sched.go at fb30760) takes one
// pending request off pendingReqCh and loads (llama.Load waits until the runner is up); meanwhile
// only OLLAMA_MAX_QUEUE more fit in the channel, the rest get 503 ErrMaxQueue. The real cases are
// 10 s and 60 s loads (bench/cold-load.ts runs them); here the same ratios run 100x faster: the
// simulator's time scale shrinks the load and the generation, and the balancer's busy backoff
// shrinks with them, so the old fixed retry budget (5 busy retries, 3.1 s) is the same fraction
// of the load as in the real case.
const SCALE = 0.01;

let sim: Simulator | undefined;
let gateway: Gateway | undefined;

beforeAll(preloadSimulatorTokenizer);

afterEach(async () => {
	await gateway?.close();
	gateway = undefined;
	await sim?.close();
	sim = undefined;
});

async function coldBurst(loadSeconds: number, maxQueue: number, calls: number, balancer: BalancerSettings = {}) {
	sim = await startSimulator({ timeScale: SCALE, parallel: 4, maxQueue, models: [{ name: MODEL, loadMs: loadSeconds * 1000 }] });
	gateway = new Gateway({
		backends: [{ name: 'gpu-1', baseUrl: sim.url, weight: 1, parallel: 4 }],
		embedBatching: false,
		balancer: { healthIntervalMs: 0, backoffMs: 100 * SCALE, ...balancer },
	});
	const gw = gateway;
	const outcomes = await Promise.allSettled(Array.from({ length: calls }, (_, i) => gw.chat({ model: MODEL, messages: [{ role: 'user', content: `question ${i}` }] })));
	const failed = outcomes.filter((o) => o.status === 'rejected');
	return { failed: failed.length, firstError: failed[0] && (failed[0] as PromiseRejectedResult).reason, refusals: sim.stats.rejected503, completed: sim.stats.completed, loads: sim.stats.loads, outcomes };
}

describe('cold loads behind OLLAMA_MAX_QUEUE', () => {
	it('10 s load, 4 slots, OLLAMA_MAX_QUEUE 2, 20 calls at once: none fails, server refusals <= calls, each call refused at most once', async () => {
		const run = await coldBurst(10, 2, 20);
		expect(run.firstError).toBeUndefined();
		expect(run.failed).toBe(0);
		expect(run.completed).toBe(20);
		expect(run.loads).toBe(1);
		expect(run.refusals).toBeLessThanOrEqual(20);
		// 4 slots sent cold, 1 + OLLAMA_MAX_QUEUE held by the server: 1 refused, then nothing until the load ended
		expect(run.refusals).toBe(1);
		for (const o of run.outcomes) if (o.status === 'fulfilled') expect(o.value.retries).toBeLessThanOrEqual(1);
	});

	it('60 s load, OLLAMA_MAX_QUEUE 1, 20 calls at once: none fails, server refusals <= calls', async () => {
		const run = await coldBurst(60, 1, 20);
		expect(run.firstError).toBeUndefined();
		expect(run.failed).toBe(0);
		expect(run.completed).toBe(20);
		expect(run.refusals).toBeLessThanOrEqual(20);
		for (const o of run.outcomes) if (o.status === 'fulfilled') expect(o.value.retries).toBeLessThanOrEqual(1);
	});

	it('a 503 that is not a load queue (a proxy in front of Ollama) still gives up after the busy retries', async () => {
		// No load behind it: every chat request is refused, so waiting for "the load" would wait for ever.
		const { createServer } = await import('node:http');
		const proxy = createServer((_req, res) => {
			res.writeHead(503, { 'content-type': 'text/plain' });
			res.end('Service Unavailable');
		});
		await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
		const port = (proxy.address() as { port: number }).port;
		const gw = new Gateway({ backends: [{ name: 'proxied', baseUrl: `http://127.0.0.1:${port}`, weight: 1, parallel: 1 }], embedBatching: false, balancer: { healthIntervalMs: 0, backoffMs: 1, busyRetries: 2 } });
		let refused = 0;
		proxy.on('request', () => refused++);
		try {
			await expect(gw.chat({ model: MODEL, messages: [{ role: 'user', content: 'x' }] })).rejects.toThrow(/busy \(HTTP 503\)/);
			expect(refused).toBe(3); // the first attempt and 2 busy retries
		} finally {
			await gw.close();
			await new Promise<void>((r) => proxy.close(() => r()));
		}
	});
});
