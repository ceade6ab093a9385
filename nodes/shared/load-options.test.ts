import type { ILoadOptionsFunctions } from 'n8n-workflow';

import { closeAllGateways } from '../../lib/registry';
import { startSimulator, type Simulator } from '../../test/simulator';
import { getModels } from './load-options';

let a: Simulator;
let b: Simulator;

beforeAll(async () => {
	a = await startSimulator({ parallel: 1, timeScale: 0, models: [{ name: 'llama3.2:3b', family: 'llama', contextLength: 8192 }] as never });
	b = await startSimulator({ parallel: 1, timeScale: 0 });
});
afterAll(async () => {
	await closeAllGateways();
	await a.close();
	await b.close();
});

describe('Model dropdown (getModels)', () => {
	it('lists the union of the models on every backend, sorted', async () => {
		const ctx = {
			getCredentials: async () => ({
				backends: { backend: [{ name: 'a', baseUrl: a.url, weight: 1, parallel: 1 }, { name: 'b', baseUrl: b.url, weight: 1, parallel: 1 }] },
			}),
		} as unknown as ILoadOptionsFunctions;
		const options = await getModels.call(ctx);
		const names = options.map((o) => o.value);
		expect(names).toEqual([...names].sort());
		expect(new Set(names).size).toBe(names.length);
		expect(names).toEqual(expect.arrayContaining(['llama3.2:3b', 'nomic-embed-text:latest']));
		expect(a.stats.requestsByEndpoint['/api/tags']).toBe(1);
		expect(b.stats.requestsByEndpoint['/api/tags']).toBe(1);
	});
});
