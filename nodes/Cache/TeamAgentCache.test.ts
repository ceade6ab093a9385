import { join } from 'node:path';

import type { IDataObject, INodeParameters, IWorkflowBase } from 'n8n-workflow';

import { closeAllGateways } from '../../lib/registry';
import { readWorkflow, runWorkflow } from '../../test/harness/run-workflow';
import { startSimulator, type Simulator } from '../../test/simulator';

// The Team Agent's Options → Cache (examples/cache-agent-option.json): the gateway's cache stage.
let sim: Simulator;
const credentials = () => ({ ollamaClusterApi: { backends: { backend: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 2 }] } } });
const chats = () => sim.stats.requestsByEndpoint['/api/chat'] ?? 0;

function example(cache: IDataObject = {}, options: IDataObject = {}): IWorkflowBase {
	const workflow = readWorkflow(join(__dirname, '..', '..', 'examples', 'cache-agent-option.json'));
	const agent = workflow.nodes.find((n) => n.name === 'Team Agent')!;
	const current = agent.parameters.options as IDataObject;
	const settings: IDataObject = { ...((current.cache as IDataObject).settings as IDataObject), ...cache };
	agent.parameters.options = { ...current, ...options, cache: { settings } } as unknown as INodeParameters;
	return workflow;
}
const run = async (workflow: IWorkflowBase, prompts: string[]) =>
	(await runWorkflow(workflow, { credentials: credentials(), input: prompts.map((prompt) => ({ prompt })) })).output('Team Agent').map((i) => i.json);

beforeAll(async () => {
	sim = await startSimulator({ parallel: 2, timeScale: 0 });
});
afterEach(async () => {
	await closeAllGateways();
	sim.resetStats();
});
afterAll(async () => sim.close());

describe('Team Agent: Cache option', () => {
	it('answers a repeated prompt from the cache, says which layer, and a reworded one from the semantic layer with its similarity', async () => {
		const [first] = await run(example(), ['How do I reset my password?']);
		expect(first).toMatchObject({ cacheHit: false });
		const [again, reworded, other] = await run(example({ threshold: 0.75 }), ['How do I reset my password?', 'How can I change my password?', 'What is the capital of France?']);
		expect(again).toMatchObject({ cacheHit: true, cacheLayer: 'l1', output: first.output });
		expect(reworded).toMatchObject({ cacheHit: true, cacheLayer: 'semantic', output: first.output });
		expect(reworded.similarity).toBeGreaterThan(0.75);
		expect(other.cacheHit).toBe(false);
		expect(chats()).toBe(2);
	}, 90_000); // the first call of a run loads the simulator's tokenizer

	it('reports cache hits per layer in the run summary', async () => {
		await run(example({ namespace: 'wf-summary' }), ['How do I reset my password?']);
		const result = await runWorkflow(example({ namespace: 'wf-summary', threshold: 0.75 }, { summaryItem: true }), {
			credentials: credentials(),
			input: ['How do I reset my password?', 'How can I change my password?', 'What is the capital of France?'].map((prompt) => ({ prompt })),
		});
		const [summary] = result.run.data.resultData.runData['Team Agent'].at(-1)!.data!.main[1]!;
		expect((summary.json as IDataObject).runSummary).toMatchObject({ cacheHits: 2, cacheHitsByLayer: { l1: 1, l2: 0, semantic: 1, 'single-flight': 0 } });
	}, 90_000);

	it('is off by default, for a non-deterministic call, and for an item that skips it', async () => {
		await run(example({ mode: 'off' }), ['q']);
		expect((await run(example({ mode: 'off' }), ['q']))[0].cacheHit).toBe(false);
		await run(example({ mode: 'exact' }, { temperature: 0.7 }), ['warm']);
		expect((await run(example({ mode: 'exact' }, { temperature: 0.7 }), ['warm']))[0].cacheHit).toBe(false);
		await run(example({ mode: 'exact', skip: true }), ['personal data']);
		expect((await run(example({ mode: 'exact', skip: '={{ $json.prompt.includes("personal") }}' }), ['personal data']))[0].cacheHit).toBe(false);
		expect(chats()).toBe(6);
	});

	it('the Cache node invalidates the agents\' answers of a model', async () => {
		await run(example({ mode: 'exact', namespace: 'wf-m' }), ['forget me']);
		const invalidate = readWorkflow(join(__dirname, '..', '..', 'examples', 'cache-agent-webhook.json'));
		const node = invalidate.nodes.find((n) => n.name === 'Cache Lookup')!;
		node.parameters = { operation: 'invalidate', target: 'model', model: 'llama3.2:3b', namespace: 'wf-m' };
		node.credentials = { ollamaClusterApi: { id: 'o1', name: 'Ollama' } }; // the example's Cache nodes need none; this target does
		const result = await runWorkflow(invalidate, { credentials: credentials(), input: [{ body: {} }] });
		expect(result.output('Cache Lookup')[0].json.invalidated).toBe(1);
		expect((await run(example({ mode: 'exact', namespace: 'wf-m' }), ['forget me']))[0].cacheHit).toBe(false);
	});

	it('keeps workflows (namespaces) apart', async () => {
		await run(example({ namespace: 'workflow-a', mode: 'exact' }), ['shared question']);
		expect((await run(example({ namespace: 'workflow-b', mode: 'exact' }), ['shared question']))[0].cacheHit).toBe(false);
	});
});
