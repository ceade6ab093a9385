import type { IWorkflowBase } from 'n8n-workflow';

import { preloadSimulatorTokenizer } from '../../lib/balancer/simulators.fixture';
import { processMetrics } from '../../lib/metrics';
import { testRecord } from '../../lib/metrics/call-record.fixture';
import { closeAllGateways } from '../../lib/registry';
import { runWorkflow } from '../../test/harness/run-workflow';
import { startSimulator, type Simulator } from '../../test/simulator';

const GIB = 1024 ** 3;
let sims: Simulator[];

function workflow(parameters: Record<string, unknown>): IWorkflowBase {
	return {
		id: 'planCapacity',
		name: 'Plan Capacity',
		active: false,
		nodes: [
			{ id: '1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: '2',
				name: 'Load Balancer',
				type: 'n8n-nodes-agent-team.loadBalancer',
				typeVersion: 1,
				position: [200, 0],
				parameters: { operation: 'planCapacity', ...parameters },
				credentials: { ollamaClusterApi: { id: 'c', name: 'Ollama' } },
			},
		],
		connections: { Start: { main: [[{ node: 'Load Balancer', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
	} as unknown as IWorkflowBase;
}

const credentials = (gpu1GiB: number) => ({
	ollamaClusterApi: {
		backends: {
			backend: [
				{ name: 'gpu-1', baseUrl: sims[0].url, weight: 1, parallel: 0, gpuMemory: gpu1GiB },
				{ name: 'gpu-2', baseUrl: sims[1].url, weight: 1, parallel: 0 },
			],
		},
		healthInterval: 0,
	},
});

beforeAll(async () => {
	preloadSimulatorTokenizer();
	sims = await Promise.all([0, 1].map(() => startSimulator({ parallel: 1, timeScale: 0, loadMs: 0 })));
});
afterEach(async () => closeAllGateways());
afterAll(async () => Promise.all(sims.map((s) => s.close())));

interface Plan {
	backend: string;
	slots: number;
	kvCacheType: string;
	fits: boolean;
	numCtx: number;
	memory: { total: number };
	recommendations: Array<{ setting: string; value: string; reason: string }>;
	gpuMemorySource: string;
	error?: string;
	architecture: { blockCount: number; headCountKV: number };
}

describe('Load Balancer: Plan Capacity', () => {
	it('a backend with too little memory for 4 slots at 8k gets fewer slots or a smaller KV type that fits, never a spill', async () => {
		const result = await runWorkflow(workflow({ capacityModel: 'llama3.1:8b', capacityBackends: 'gpu-1', longestCallTokens: 8000, concurrentCalls: 4 }), { credentials: credentials(9) });
		expect(result.error('Load Balancer')?.message).toBeUndefined();
		const [item] = result.output('Load Balancer');
		expect(item.pairedItem).toEqual({ item: 0 });
		const [plan] = item.json.backends as unknown as Plan[];
		expect(plan).toMatchObject({ backend: 'gpu-1', numCtx: 8192, fits: true, gpuMemorySource: 'credential', architecture: { blockCount: 32, headCountKV: 8 } });
		expect(plan.memory.total).toBeLessThanOrEqual(9 * GIB);
		expect(plan.kvCacheType !== 'f16' || plan.slots < 4).toBe(true);
		expect(plan.recommendations.map((r) => r.setting)).toEqual(['quantization', 'num_ctx', 'OLLAMA_NUM_PARALLEL', 'OLLAMA_KV_CACHE_TYPE', 'OLLAMA_FLASH_ATTENTION']);
	});

	it('without a stated GPU memory, /api/ps gives a lower bound once a model is loaded fully on the GPU; before that the item says what to set', async () => {
		sims[1].unloadAll();
		const before = await runWorkflow(workflow({ capacityModel: 'llama3.2:3b', capacityBackends: 'gpu-2' }), { credentials: credentials(0) });
		expect((before.output('Load Balancer')[0].json.backends as unknown as Plan[])[0].error).toMatch(/GPU memory unknown: set GPU Memory \(GiB\)/);
		await fetch(`${sims[1].url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'llama3.1:8b', messages: [], keep_alive: '10m' }) });
		const after = await runWorkflow(workflow({ capacityModel: 'llama3.2:3b', capacityBackends: 'gpu-2' }), { credentials: credentials(0) });
		const [plan] = after.output('Load Balancer')[0].json.backends as unknown as Plan[];
		expect(plan.error).toBeUndefined();
		expect(plan.gpuMemorySource).toMatch(/api\/ps/);
		expect(plan.fits).toBe(true);
	});

	it('with no workload parameters, takes the p95 tokens of the model\'s recent calls from the gateway\'s metrics', async () => {
		processMetrics().reset();
		for (const n of [100, 3000, 5000]) processMetrics().record(testRecord({ model: 'llama3.1:8b', promptTokens: n, completionTokens: 0 }));
		const result = await runWorkflow(workflow({ capacityModel: 'llama3.1:8b', capacityBackends: 'gpu-1' }), { credentials: credentials(24) });
		const [plan] = result.output('Load Balancer')[0].json.backends as unknown as Array<Plan & { workload: Record<string, unknown> }>;
		expect(plan.workload).toMatchObject({ p95Tokens: 5000, samples: 3, source: 'gateway metrics' });
		expect(plan.numCtx).toBe(8192);
		processMetrics().reset();
	});

	it('names the item and the field for an unknown backend or a model no backend has', async () => {
		const bad = await runWorkflow(workflow({ capacityModel: 'llama3.1:8b', capacityBackends: 'gpu-9' }), { credentials: credentials(24) });
		expect(bad.error('Load Balancer')?.message).toMatch(/Item 0: the "Backends" parameter names "gpu-9"/);
		const missing = await runWorkflow(workflow({ capacityModel: 'nope:1b', capacityBackends: 'gpu-1' }), { credentials: credentials(24) });
		expect((missing.output('Load Balancer')[0].json.backends as unknown as Plan[])[0].error).toMatch(/\/api\/show answered HTTP 404 for "nope:1b"/);
	});
});
