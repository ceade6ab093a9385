import { startSimulator, type Simulator } from '../../test/simulator';
import { Gateway } from '.';

let sim: Simulator;
let gateway: Gateway | undefined;

beforeAll(async () => {
	sim = await startSimulator({ timeScale: 1, loadMs: 0, decodeTokensPerSec: 400, prefillTokensPerSec: 100_000 });
});
afterEach(async () => {
	await gateway?.close();
	sim.resetStats();
});
afterAll(async () => sim.close());

describe('Gateway', () => {
	it('bounds calls in flight to the cluster\'s parallel slots and reports the wait as queueMs', async () => {
		gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 2 }] });
		const results = await Promise.all(
			Array.from({ length: 8 }, (_, i) => gateway!.chat({ model: 'llama3.2:3b', messages: [{ role: 'user', content: `q${i}` }] })),
		);
		expect(results).toHaveLength(8);
		expect(sim.stats.maxActive).toBe(2);
		expect(sim.stats.maxQueued).toBe(0);
		expect(Math.max(...results.map((r) => r.queueMs))).toBeGreaterThan(0);
		expect(results.every((r) => r.backend === 'sim' && r.cacheHit === false)).toBe(true);
	});

	it('spreads calls over several backends by weight', async () => {
		const sim2 = await startSimulator({ timeScale: 0 });
		try {
			gateway = new Gateway({
				backends: [
					{ name: 'a', baseUrl: sim.url, weight: 1, parallel: 2 },
					{ name: 'b', baseUrl: sim2.url, weight: 1, parallel: 2 },
				],
			});
			const results = await Promise.all(
				Array.from({ length: 6 }, (_, i) => gateway!.chat({ model: 'llama3.2:3b', messages: [{ role: 'user', content: `x${i}` }] })),
			);
			expect(results.filter((r) => r.backend === 'a')).toHaveLength(3);
			expect(sim2.stats.requestsByEndpoint['/api/chat']).toBe(3);
		} finally {
			await sim2.close();
		}
	});
});
