import { startSimulator, type Simulator } from '../../test/simulator';
import { Gateway } from '../gateway';
import type { BalancerSettings } from '.';
import { MODEL, preloadSimulatorTokenizer } from './simulators.fixture';

// Issue 21: one backend of three hangs (accepts connections, never answers: the simulator's `hang`
// fault) while calls run. The real case (5 s probes, 3 s probe timeout, 60 calls) is
// bench/hung-backend.ts; here probes run every 100 ms with a 300 ms timeout. The first-token
// timeout is 60 s: a call left on the hung backend would hold the test past its own timeout.

let sims: Simulator[] = [];
let gateway: Gateway | undefined;

beforeAll(preloadSimulatorTokenizer);

afterEach(async () => {
	await gateway?.close();
	gateway = undefined;
	await Promise.all(sims.map((s) => s.close()));
	sims = [];
});

const timing = { timeScale: 1, loadMs: 0, decodeTokensPerSec: 400, prefillTokensPerSec: 100_000, replyTokensMin: 20, replyTokensMax: 40 };

async function cluster(balancer: BalancerSettings) {
	sims = await Promise.all([0, 1, 2].map(() => startSimulator({ ...timing, parallel: 2 })));
	gateway = new Gateway({
		backends: sims.map((sim, i) => ({ name: `gpu-${i + 1}`, baseUrl: sim.url, weight: 1, parallel: 2 })),
		embedBatching: false,
		timeouts: { firstTokenMs: 60_000, idleMs: 60_000 },
		balancer: { probeTimeoutMs: 300, healthIntervalMs: 100, ...balancer },
	});
	return gateway;
}

const ask = (gw: Gateway, i: number, onChunk?: (text: string) => void) => gw.chat({ model: MODEL, messages: [{ role: 'user', content: `question ${i}` }] }, { onChunk });

describe('a backend that hangs mid-run', () => {
	it('60 calls: the ones waiting on the hung backend move to healthy ones, every call is answered once', async () => {
		const gw = await cluster({ hedging: false });
		let answered = 0;
		let hungAt: number | undefined;
		const calls = Array.from({ length: 60 }, (_, i) =>
			ask(gw, i).then((r) => {
				answered++;
				// hang gpu-2 mid-run, with calls of it in flight
				if (answered === 15) {
					sims[1].setFaults({ hang: 1 });
					hungAt = answered;
				}
				return r;
			}),
		);
		const results = await Promise.all(calls);
		expect(hungAt).toBe(15);
		expect(results).toHaveLength(60);
		expect(results.every((r) => r.message.content.length > 0)).toBe(true);
		const moved = results.filter((r) => r.movedFrom?.includes('gpu-2'));
		expect(moved.length).toBeGreaterThan(0);
		for (const r of moved) expect(r.backend).not.toBe('gpu-2');
		expect(gw.balancer.health().find((h) => h.backend === 'gpu-2')).toMatchObject({ up: false, circuit: 'open' });
		// every answer that came from a backend was finished there (a moved call may also have been
		// finished where it was taken back from, but was delivered once: its promise settled once)
		for (const [i, name] of ['gpu-1', 'gpu-2', 'gpu-3'].entries()) expect(sims[i].stats.completed).toBeGreaterThanOrEqual(results.filter((r) => r.backend === name).length);
		// the requests held by the hung server were cancelled: thawed, it finishes nothing more
		const completedBefore = sims[1].stats.completed;
		sims[1].setFaults({ hang: 0 });
		await new Promise((r) => setTimeout(r, 100));
		expect(sims[1].stats.completed).toBe(completedBefore);
	});

	it('a call that has not streamed anything moves; one whose caller already shows part of the reply ends at once with a clear error', async () => {
		const gw = await cluster({ hedging: false, strategy: 'roundRobin', healthIntervalMs: 0 });
		await Promise.all(Array.from({ length: 6 }, (_, i) => ask(gw, i)));
		// gpu-2 streams slowly (50 ms a token) and hangs once it has sent its first one
		sims[1].setOptions({ decodeTokensPerSec: 20 });
		const pieces: string[][] = [[], [], []];
		const tokensBefore = sims[1].stats.evalTokens;
		const calls = [0, 1, 2].map((i) => ask(gw, 100 + i, (text) => pieces[i].push(text)).catch((e: Error) => e));
		await new Promise<void>((resolve) => {
			const poll = () => {
				if (sims[1].stats.evalTokens === tokensBefore) return void setImmediate(poll);
				sims[1].setFaults({ hang: 1 });
				resolve();
			};
			poll();
		});
		// three calls that take their reply whole, dealt round robin: one goes to gpu-2, which no one knows hangs yet
		const quiet = [0, 1, 2].map((i) => ask(gw, 200 + i));
		await new Promise((r) => setTimeout(r, 50));
		await gw.balancer.probe(); // no answer within 300 ms: gpu-2 is known hung
		const outcomes = await Promise.all(calls);
		const failed = outcomes.filter((o): o is Error => o instanceof Error);
		expect(failed).toHaveLength(1);
		expect(failed[0].message).toMatch(/"gpu-2" did not answer its health probe/);
		expect(failed[0].message).toMatch(/already streaming to the client, so it was not retried/);
		expect(pieces[outcomes.indexOf(failed[0])].length).toBeGreaterThan(0);
		for (const [i, o] of outcomes.entries()) if (!(o instanceof Error)) expect(pieces[i].join('')).toBe(o.message.content);
		const answers = await Promise.all(quiet);
		expect(answers.every((r) => r.backend !== 'gpu-2')).toBe(true);
		expect(answers.filter((r) => r.movedFrom?.includes('gpu-2'))).toHaveLength(1);
	});
});

describe('hedging warm calls', () => {
	it('a call slower than 3x the backend\'s p99 gets a copy elsewhere; the first answer wins, the other copy is cancelled, pieces arrive once', async () => {
		const gw = await cluster({ strategy: 'roundRobin', hedgeRatio: 0.5, healthIntervalMs: 0 });
		// warm every backend: 20+ first-token samples each
		for (let round = 0; round < 8; round++) await Promise.all(Array.from({ length: 9 }, (_, i) => ask(gw, round * 10 + i)));
		sims[0].setFaults({ firstTokenDelayMs: 5000 });
		const pieces: string[][] = [[], [], []];
		const results = await Promise.all([0, 1, 2].map((i) => ask(gw, 200 + i, (t) => pieces[i].push(t))));
		const hedged = results.filter((r) => r.hedged);
		expect(hedged.length).toBeGreaterThanOrEqual(1);
		const slow = hedged.find((r) => r.hedged!.backends[0] === 'gpu-1')!;
		expect(slow).toBeDefined();
		expect(slow.hedged!.winner).not.toBe('gpu-1');
		expect(slow.backend).toBe(slow.hedged!.winner);
		for (let i = 0; i < 3; i++) expect(pieces[i].join('')).toBe(results[i].message.content);
		// the losing copy was cancelled at gpu-1 (the client went away), not answered
		expect(sims[0].stats.aborted).toBeGreaterThanOrEqual(1);
		const { sent, hedges } = gw.balancer.hedgeStats();
		expect(hedges).toBeLessThanOrEqual(Math.floor(0.5 * sent));
	});

	it('a call with tools is never hedged (a tool call could be acted on twice)', async () => {
		const gw = await cluster({ strategy: 'roundRobin', hedgeRatio: 1, healthIntervalMs: 0 });
		for (let round = 0; round < 8; round++) await Promise.all(Array.from({ length: 9 }, (_, i) => ask(gw, round * 10 + i)));
		sims[0].setFaults({ firstTokenDelayMs: 300 });
		const tools = [{ type: 'function', function: { name: 'lookup', description: 'look up', parameters: { type: 'object', properties: {} } } }];
		const results = await Promise.all([0, 1, 2].map((i) => gw.chat({ model: MODEL, messages: [{ role: 'user', content: `tool question ${i}` }], tools })));
		expect(results.some((r) => r.backend === 'gpu-1')).toBe(true);
		expect(results.every((r) => r.hedged === undefined)).toBe(true);
	});
});
