import { join } from 'node:path';

import type { INodeParameters, IWorkflowBase } from 'n8n-workflow';

import { preloadSimulatorTokenizer } from '../../lib/balancer/simulators.fixture';
import { closeAllGateways } from '../../lib/registry';
import { readWorkflow, runWorkflow } from '../../test/harness/run-workflow';
import { startSimulator, type Simulator } from '../../test/simulator';

const examples = join(__dirname, '..', '..', 'examples');
let sims: Simulator[];

const credentials = (extra: Record<string, unknown> = {}) => ({
	ollamaClusterApi: {
		backends: { backend: sims.map((s, i) => ({ name: `gpu-${i + 1}`, baseUrl: s.url.replace('http://', 'http://ops:secret-pw@'), weight: 1, parallel: 2 })) },
		loadBalancing: { healthInterval: 0 },
		...extra,
	},
});

function example(file: string, overrides: Record<string, INodeParameters> = {}, settings: Record<string, Record<string, unknown>> = {}): IWorkflowBase {
	const workflow = readWorkflow(join(examples, file));
	for (const node of workflow.nodes) {
		node.parameters = { ...node.parameters, ...overrides[node.name] };
		Object.assign(node, settings[node.name] ?? {});
	}
	return workflow;
}

beforeAll(async () => {
	preloadSimulatorTokenizer();
	sims = await Promise.all([0, 1].map(() => startSimulator({ parallel: 2, timeScale: 0, loadMs: 0 })));
});
afterEach(async () => {
	await closeAllGateways();
	for (const sim of sims) sim.resetStats();
});
afterAll(async () => Promise.all(sims.map((s) => s.close())));

describe('Load Balancer node', () => {
	it('Health: one item per backend with circuit, models and slots, paired with the input, no URL or secret in it', async () => {
		sims[0].unloadAll();
		const warm = await runWorkflow(example('load-balancer-route.json'), { credentials: credentials() });
		expect(warm.run.status).toBe('success');
		const result = await runWorkflow(example('load-balancer-health.json'), { credentials: credentials() });
		expect(result.run.status).toBe('success');
		const out = result.output('Load Balancer');
		expect(out.map((o) => o.json.backend)).toEqual(['gpu-1', 'gpu-2']);
		for (const item of out) {
			expect(item.pairedItem).toEqual([{ item: 0 }]);
			expect(item.json).toMatchObject({ up: true, circuit: 'closed', configuredSlots: 2 });
			expect((item.json.models as Array<{ model: string; loaded: boolean }>).find((m) => m.model === 'llama3.2:3b')).toMatchObject({ loaded: true });
			expect(JSON.stringify(item.json)).not.toMatch(/127\.0\.0\.1|secret-pw/);
		}
	});

	it('Warm Up, Select Backend and Send Request run in the example: each item names its backend and the URL carries no password', async () => {
		const input = [{ question: 'one' }, { question: 'two' }, { question: 'three' }];
		const result = await runWorkflow(example('load-balancer-route.json'), { credentials: credentials(), input });
		expect(result.run.status).toBe('success');
		const warm = result.output('Warm Up');
		expect(warm).toHaveLength(3);
		expect((warm[0].json.backends as Array<{ backend: string }>).map((b) => b.backend)).toEqual(['gpu-1', 'gpu-2']);
		const selected = result.output('Select Backend');
		selected.forEach((item, i) => {
			expect(item.pairedItem).toEqual({ item: i });
			expect(['gpu-1', 'gpu-2']).toContain(item.json.backend);
			expect(sims.map((s) => s.url)).toContain(item.json.baseUrl);
			expect(String(item.json.baseUrl)).not.toContain('secret-pw');
		});
		const sent = result.output('Send Request');
		expect(sent).toHaveLength(3);
		for (const item of sent) expect(item.json.message).toMatchObject({ role: 'assistant' });
	});

	it('Send Request on another API path goes to a backend that answers, and fails over when one does not', async () => {
		const dead = { name: 'dead', baseUrl: 'http://ops:secret-pw@127.0.0.1:9', weight: 5, parallel: 2 };
		const creds = credentials();
		(creds.ollamaClusterApi.backends.backend as unknown[]).unshift(dead);
		const workflow = example('load-balancer-route.json', { 'Send Request': { path: '/api/show', body: '{"model": "llama3.2:3b"}' } });
		workflow.nodes = workflow.nodes.filter((n) => n.name !== 'Warm Up' && n.name !== 'Select Backend');
		workflow.connections = { "When clicking 'Execute workflow'": { main: [[{ node: 'Send Request', type: 'main', index: 0 }]] } };
		const result = await runWorkflow(workflow, { credentials: creds });
		expect(result.error('Send Request')?.message).toBeUndefined();
		expect(result.run.status).toBe('success');
		const [item] = result.output('Send Request');
		expect(item.json.status).toBe(200);
		expect((item.json.response as { details?: unknown }).details).toBeDefined();
		expect(['gpu-1', 'gpu-2']).toContain(item.json.backend);
		expect(item.json.failedOver).toEqual(['dead']); // the heaviest backend was tried first and did not answer
	});

	it('names the item and the field for bad input; with Continue On Fail the other items keep their results', async () => {
		const input = [{ m: 'llama3.2:3b' }, { m: '' }, { m: 'llama3.2:3b' }];
		const overrides = { 'Warm Up': { model: '={{ $json.m }}' } };
		const failing = await runWorkflow(example('load-balancer-route.json', overrides), { credentials: credentials(), input });
		expect(failing.error('Warm Up')?.message).toMatch(/Item 1: the "Model Name or ID" parameter is empty/);
		const badBody = example('load-balancer-route.json', { 'Send Request': { body: '{ not json' } }, { 'Send Request': { onError: 'continueRegularOutput' } });
		const tolerant = await runWorkflow(badBody, { credentials: credentials(), input: [{}, {}] });
		const out = tolerant.output('Send Request');
		expect(out.map((o) => o.json.error)).toEqual([expect.stringMatching(/Item 0: the "Body \(JSON\)" parameter is not valid JSON/), expect.stringMatching(/Item 1: the "Body \(JSON\)"/)]);
		const unknownBackend = example('load-balancer-route.json', { 'Warm Up': { backends: 'gpu-1, gpu-9' } });
		const warm = await runWorkflow(unknownBackend, { credentials: credentials() });
		expect(warm.error('Warm Up')?.message).toMatch(/Item 0: the "Backends" parameter names "gpu-9", which the credential does not list \(it has gpu-1, gpu-2\)/);
	});
});
