/**
 * Node versions keep saved workflows as they were: n8n stores only the parameters that differ from
 * their default, so a default changed in a new version must not reach a workflow saved with the old
 * one. Each test runs the same workflow at version 1 and at the newest version, in-process through
 * n8n-core (which resolves defaults by the node's typeVersion, as n8n does).
 */
import type { IDataObject, INode, IWorkflowBase } from 'n8n-workflow';

import { sharedKeyValueCache } from '../../lib/cache';
import { closeAllGateways } from '../../lib/registry';
import { Batcher } from '../../nodes/Batcher/Batcher.node';
import { Cache } from '../../nodes/Cache/Cache.node';
import { runWorkflow } from '../harness/run-workflow';
import { startSimulator, type Simulator } from '../simulator';

let sim: Simulator;
const credentials = () => ({ ollamaClusterApi: { backends: { backend: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 2 }] } } });

function workflow(id: string, node: Omit<INode, 'id' | 'position'>): IWorkflowBase {
	const trigger = { id: 't', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };
	return {
		id,
		name: id,
		active: false,
		nodes: [trigger, { ...node, id: 'n', position: [200, 0] }] as INode[],
		connections: { Start: { main: [[{ node: node.name, type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
	} as unknown as IWorkflowBase;
}

beforeAll(async () => {
	sim = await startSimulator({ parallel: 2, timeScale: 0, loadMs: 0 });
});
afterEach(async () => {
	await closeAllGateways();
	sim.resetStats();
});
afterAll(async () => sim.close());

describe('node versions', () => {
	it('new nodes get the newest version; version 1 stays loadable', () => {
		for (const type of [new Batcher(), new Cache()]) {
			expect(type.description.version).toEqual([1, 1.1]);
			expect(type.description.defaultVersion).toBe(1.1);
		}
	});

	it('Batcher Generate: 1.1 reads the shared prompt default and writes output/tokenUsage; 1 keeps its prompt default and response/usage', async () => {
		const item = { chatInput: 'from chatInput', text: 'from text', prompt: 'from prompt' };
		const run = async (typeVersion: number) => {
			sim.resetStats();
			// no "prompt" parameter: a saved workflow that kept the default
			const result = await runWorkflow(workflow(`batcher-v${typeVersion}`, { name: 'Generate', type: 'n8n-nodes-agent-team.batcher', typeVersion, parameters: { operation: 'generate', model: 'llama3.2:3b', options: { numPredict: 8 } }, credentials: { ollamaClusterApi: { id: 'c1', name: 'Ollama' } } }), {
				credentials: credentials(),
				input: [item],
			});
			expect(result.error('Generate')?.message).toBeUndefined();
			const sent = sim.stats.lastRequests.filter((r) => r.path === '/api/chat').map((r) => (r.body as { messages: Array<{ content: string }> }).messages.at(-1)!.content);
			return { sent, json: result.output('Generate')[0].json };
		};

		const current = await run(1.1);
		expect(current.sent).toEqual(['from chatInput']);
		expect(typeof current.json.output).toBe('string');
		expect(current.json.tokenUsage).toMatchObject({ promptTokens: expect.any(Number), completionTokens: expect.any(Number) });
		expect(current.json).not.toHaveProperty('response');
		expect(current.json).not.toHaveProperty('usage');

		const saved = await run(1);
		expect(saved.sent).toEqual(['from prompt']);
		expect(saved.json.response).toBe(saved.json.output);
		expect(saved.json.usage).toEqual(saved.json.tokenUsage);
	});

	it('Cache Store: 1.1 stores the Team Agent\'s output by default; 1 keeps storing response', async () => {
		const store = async (typeVersion: number) => {
			const id = `cache-v${typeVersion}`;
			await runWorkflow(workflow(id, { name: 'Cache Store', type: 'n8n-nodes-agent-team.cache', typeVersion, parameters: { operation: 'store', valueSource: 'expression' } }), {
				credentials: {},
				input: [{ chatInput: 'q', output: 'the answer', response: 'old field' }],
			});
			const hit = await runWorkflow(workflow(id, { name: 'Cache Lookup', type: 'n8n-nodes-agent-team.cache', typeVersion, parameters: { operation: 'lookup' } }), {
				credentials: {},
				input: [{ chatInput: 'q' }],
			});
			await sharedKeyValueCache().invalidate({ namespace: id }, {}, []);
			return hit.output('Cache Lookup')[0].json as IDataObject;
		};
		expect(await store(1.1)).toMatchObject({ cacheHit: true, value: 'the answer' });
		expect(await store(1)).toMatchObject({ cacheHit: true, value: 'old field' });
	});
});
