import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import { closeAllGateways } from '../../lib/registry';
import { readWorkflow, runWorkflow } from '../../test/harness/run-workflow';
import { startSimulator, type Simulator } from '../../test/simulator';

const examples = join(__dirname, '..', '..', 'examples');
const agentExamples = readdirSync(examples).filter((f) => f.startsWith('agent-') && f.endsWith('.json'));
let sim: Simulator;

beforeAll(async () => {
	sim = await startSimulator({ parallel: 2, timeScale: 0, loadMs: 0 });
});
afterAll(async () => {
	await closeAllGateways();
	await sim.close();
});

describe('Team Agent examples', () => {
	it('runs the scheduled example: a Schedule Trigger starts the agent with no input text', async () => {
		const result = await runWorkflow(readWorkflow(join(examples, 'agent-schedule.json')), {
			credentials: { ollamaClusterApi: { backends: { backend: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 2 }] } } },
		});
		expect(result.run.status).toBe('success');
		const [item] = result.output('Team Agent');
		expect(typeof (item.json as { output?: unknown }).output).toBe('string');
		expect((item.json as { warnings?: unknown }).warnings).toBeUndefined();
	});

	it.each(agentExamples)('%s says what it shows: a title naming JSON output means a JSON output format', (file) => {
		const workflow = readWorkflow(join(examples, file));
		for (const node of workflow.nodes.filter((n) => n.type === 'n8n-nodes-agent-team.teamAgent')) {
			const format = String(node.parameters.outputFormat ?? 'text');
			if (/\bJSON\b/.test(workflow.name)) expect(format).not.toBe('text');
			// a Context Window different from the one the model is loaded with reloads it on the first run
			expect((node.parameters.options as { numCtx?: number } | undefined)?.numCtx ?? 0).toBe(0);
		}
	});
});
