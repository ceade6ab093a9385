import { startSimulator, type Simulator } from '../../test/simulator';
import { Gateway } from '../gateway';

let sim: Simulator;
let gateway: Gateway;

beforeAll(async () => {
	sim = await startSimulator({ timeScale: 0 });
	gateway = new Gateway({ backends: [{ name: 'gpu', baseUrl: sim.url, weight: 1, parallel: 2 }] });
});
afterAll(async () => {
	await gateway.close();
	await sim.close();
});

const ask = (numCtx?: number) =>
	gateway.chat({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }], options: numCtx ? { num_ctx: numCtx } : {} });
const sentNumCtx = () => (sim.stats.lastRequests.at(-1)!.body as { options?: { num_ctx?: number } }).options?.num_ctx;

describe('runner-options stage', () => {
	it('keeps num_ctx stable per model and backend so Ollama does not reload, and warns on a real change', async () => {
		expect((await ask(8192)).warnings).toEqual([]);
		const loadsAfterFirst = sim.stats.loads;

		const unset = await ask();
		expect(sentNumCtx()).toBe(8192);
		const smaller = await ask(4096);
		expect(sentNumCtx()).toBe(8192);
		expect([...unset.warnings, ...smaller.warnings]).toEqual([]);
		expect(sim.stats.reloads).toBe(0);
		expect(sim.stats.loads).toBe(loadsAfterFirst);

		const bigger = await ask(16384);
		expect(sentNumCtx()).toBe(16384);
		expect(bigger.warnings).toEqual([expect.stringMatching(/num_ctx 8192 → 16384 makes backend "gpu" reload model "llama3.2:3b"/)]);
		expect(sim.stats.reloads).toBe(1);
	});
});
