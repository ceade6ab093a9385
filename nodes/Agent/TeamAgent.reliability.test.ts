import { join } from 'node:path';

import type { IWorkflowBase } from 'n8n-workflow';

import { closeAllGateways } from '../../lib/registry';
import { readWorkflow, runWorkflow } from '../../test/harness/run-workflow';
import { startSimulator, type Simulator } from '../../test/simulator';
import { preloadSimulatorTokenizer } from '../../lib/balancer/simulators.fixture';

// docs/reliability.md: what a Team Agent item shows when a backend hangs under it.

let sims: Simulator[] = [];

// the simulator's tokenizer loads on first use and holds the event loop for seconds: not during the run
beforeAll(preloadSimulatorTokenizer);

afterEach(async () => {
	await closeAllGateways();
	await Promise.all(sims.map((s) => s.close()));
	sims = [];
});

const basic = (): IWorkflowBase => {
	const wf = readWorkflow(join(__dirname, '..', '..', 'examples', 'agent-basic.json'));
	const agent = wf.nodes.find((n) => n.name === 'Team Agent')!;
	agent.parameters = { ...agent.parameters, prompt: '={{ $json.text }}' };
	return wf;
};

it('items whose call waited on a backend that hangs are answered by the other one and name it in movedFrom', async () => {
	sims = await Promise.all([0, 1].map(() => startSimulator({ parallel: 2, timeScale: 0 })));
	sims[1].setFaults({ hang: 1 });
	const credential = {
		backends: { backend: sims.map((s, i) => ({ name: i === 0 ? 'gpu-ok' : 'gpu-hung', baseUrl: s.url, weight: 1, parallel: 2 })) },
		healthInterval: 0.1,
	};
	const input = Array.from({ length: 6 }, (_, i) => ({ text: `Question ${i}?` }));
	const result = await runWorkflow(basic(), { credentials: { ollamaClusterApi: credential }, input });
	const items = result.output('Team Agent').map((item) => item.json as Record<string, any>);
	expect(items).toHaveLength(6);
	for (const item of items) {
		expect(item.output.length).toBeGreaterThan(0);
		expect(item.backend).toBe('gpu-ok');
	}
	expect(sims[1].stats.hung).toBeGreaterThan(0);
	const moved = items.filter((item) => item.movedFrom);
	expect(moved.length).toBeGreaterThan(0);
	for (const item of moved) expect(item.movedFrom).toEqual(['gpu-hung']);
});
