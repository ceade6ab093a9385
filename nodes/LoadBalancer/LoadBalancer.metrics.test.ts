import { join } from 'node:path';

import type { IWorkflowBase } from 'n8n-workflow';

import { preloadSimulatorTokenizer } from '../../lib/balancer/simulators.fixture';
import { processMetrics, PROMETHEUS_CONTENT_TYPE } from '../../lib/metrics';
import { closeAllGateways } from '../../lib/registry';
import { readWorkflow, runWorkflow } from '../../test/harness/run-workflow';
import { startSimulator, type Simulator } from '../../test/simulator';

const examples = join(__dirname, '..', '..', 'examples');
let sim: Simulator;

const credentials = () => ({
	ollamaClusterApi: {
		backends: { backend: [{ name: 'gpu-1', baseUrl: sim.url.replace('http://', 'http://ops:secret-pw@'), weight: 1, parallel: 2 }] },
		loadBalancing: { healthInterval: 0 },
	},
});

function metricsWorkflow(format: 'prometheus' | 'json'): IWorkflowBase {
	const workflow = readWorkflow(join(examples, 'metrics-prometheus.json'));
	for (const node of workflow.nodes) if (node.name === 'Load Balancer') node.parameters = { ...node.parameters, metricsFormat: format };
	return workflow;
}

beforeAll(async () => {
	preloadSimulatorTokenizer();
	sim = await startSimulator({ parallel: 2, timeScale: 0, loadMs: 0 });
});
afterEach(async () => {
	await closeAllGateways();
	processMetrics().reset();
});
afterAll(async () => sim.close());

describe('Load Balancer: Metrics (examples/metrics-prometheus.json)', () => {
	it('after a Team Agent call, exports its call, tokens, backend and loaded model as Prometheus text, one item paired with every input', async () => {
		const agent = await runWorkflow(readWorkflow(join(examples, 'agent-basic.json')), { credentials: credentials() });
		expect(agent.run.status).toBe('success');
		const result = await runWorkflow(metricsWorkflow('prometheus'), { credentials: credentials(), input: [{ headers: {} }, { headers: {} }] });
		expect(result.run.status).toBe('success');
		const [item, ...rest] = result.output('Load Balancer');
		expect(rest).toHaveLength(0);
		expect(item.pairedItem).toEqual([{ item: 0 }, { item: 1 }]);
		expect(item.json.contentType).toBe(PROMETHEUS_CONTENT_TYPE);
		const text = String(item.json.metrics);
		expect(text).toContain('agent_team_info{scope="process",profile="custom"} 1\n');
		expect(text).toContain('agent_team_backend_calls_total{backend="gpu-1"} 1\n');
		expect(text).toContain('agent_team_model_calls_total{model="llama3.2:3b"} 1\n');
		expect(text).toMatch(/agent_team_model_completion_tokens_total\{model="llama3.2:3b"\} [1-9]\d*\n/);
		expect(text).toContain('agent_team_backend_up{backend="gpu-1"} 1\n');
		expect(text).toContain('agent_team_backend_circuit_state{backend="gpu-1",state="closed"} 1\n');
		expect(text).toContain('agent_team_model_loaded{backend="gpu-1",model="llama3.2:3b"} 1\n');
		expect(text).toContain('agent_team_model_slots{backend="gpu-1",model="llama3.2:3b"} 2\n');
		expect(text).not.toMatch(/127\.0\.0\.1|secret-pw/);
		// the Respond to Webhook node gets the same item (body and content type from it)
		expect(result.output('Respond to Webhook')[0].json.metrics).toBe(text);
	});

	it('JSON format: the same figures as structured JSON', async () => {
		await runWorkflow(readWorkflow(join(examples, 'agent-basic.json')), { credentials: credentials() });
		const result = await runWorkflow(metricsWorkflow('json'), { credentials: credentials() });
		const [item] = result.output('Load Balancer');
		expect(item.json).toMatchObject({
			scope: 'process',
			calls: { byBackend: { 'gpu-1': { calls: 1, errors: 0 } }, byModel: { 'llama3.2:3b': { calls: 1 } } },
			backends: [{ backend: 'gpu-1', up: true, circuit: 'closed' }],
			cache: { l1Hits: 0, misses: expect.any(Number) },
		});
	});
});
