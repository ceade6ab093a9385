import { startSimulator, type Simulator } from '../../test/simulator';
import { Gateway } from '../gateway';

/**
 * A simulator (2 slots, no compute time) and a gateway in front of it for the suite; scripts and
 * stats are cleared after each test. Read `current.sim` / `current.gateway` inside tests.
 */
export function useSimGateway(): { sim: Simulator; gateway: Gateway } {
	const current = {} as { sim: Simulator; gateway: Gateway };
	beforeAll(async () => {
		current.sim = await startSimulator({ parallel: 2, timeScale: 0 });
		current.gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: current.sim.url, weight: 1, parallel: 2 }] });
	});
	afterEach(() => {
		current.sim.clearScripts();
		current.sim.resetStats();
	});
	afterAll(async () => {
		await current.gateway?.close();
		await current.sim?.close();
	});
	return current;
}
