import { join } from 'node:path';

import type { INodeExecutionData, INodeParameters, IWorkflowBase } from 'n8n-workflow';

import { closeAllGateways } from '../../lib/registry';
import { closeSharedRedis } from '../../lib/redis';
import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server';
import { readWorkflow, runWorkflow, type WorkflowRunResult } from '../../test/harness/run-workflow';
import { startSimulator, type Simulator } from '../../test/simulator';
import { sharedKeyValueCache } from '../../lib/cache';

const examples = join(__dirname, '..', '..', 'examples');
let sim: Simulator;
let redis: TestRedis;

const credentials = (withRedis = false) => ({
	ollamaClusterApi: { backends: { backend: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 2 }] } },
	...(withRedis ? { agentTeamRedisApi: { host: '127.0.0.1', port: redis.config.port, keyPrefix: 'cache-node-test:' } } : {}),
});

/** The example with some nodes' parameters overridden; its Cache nodes carry no credential, as saved (Redis shares entries, Ollama embeds for Semantic Lookup and reaches the agents' cache). */
function example(nodes: Record<string, INodeParameters> = {}, withRedis = false, withOllama = false): IWorkflowBase {
	const workflow = readWorkflow(join(examples, 'cache-agent-webhook.json'));
	for (const node of workflow.nodes) {
		if (nodes[node.name]) node.parameters = { ...node.parameters, ...nodes[node.name] };
		if (withRedis && node.type === 'n8n-nodes-agent-team.cache') node.credentials = { ...node.credentials, agentTeamRedisApi: { id: 'r1', name: 'Redis' } };
		if (withOllama && node.type === 'n8n-nodes-agent-team.cache') node.credentials = { ...node.credentials, ollamaClusterApi: { id: 'o1', name: 'Ollama' } };
	}
	return workflow;
}

/** Items of one output of a node (the harness's `output` only reads the first). */
const outputOf = (result: WorkflowRunResult, node: string, index: number): INodeExecutionData[] =>
	result.run.data.resultData.runData[node]?.at(-1)?.data?.main?.[index] ?? [];
const chats = () => sim.stats.requestsByEndpoint['/api/chat'] ?? 0;
const body = (text: string) => ({ body: { text } });

beforeAll(async () => {
	sim = await startSimulator({ parallel: 2, timeScale: 0 });
	redis = await startTestRedis();
});
afterEach(async () => {
	await closeAllGateways();
	sim.resetStats();
	await sharedKeyValueCache().invalidate({ namespace: 'agentTeamCache01' }, {}, []);
});
afterAll(async () => {
	await closeSharedRedis();
	await redis.stop();
	await sim.close();
});

describe('Cache node: Lookup → miss → Team Agent → Store (examples/cache-agent-webhook.json)', () => {
	it('runs the agent on a miss, and answers the second run from the cache without a model call', async () => {
		const first = await runWorkflow(example(), { credentials: credentials(), input: [body('What is a cache?')] });
		expect(first.run.status).toBe('success');
		expect(outputOf(first, 'Cache Lookup', 0)).toHaveLength(0);
		expect(outputOf(first, 'Cache Lookup', 1)[0].json).toMatchObject({ cacheHit: false });
		const stored = first.output('Cache Store');
		expect(stored[0].json).toMatchObject({ cacheStored: true });
		expect(chats()).toBe(1);

		const second = await runWorkflow(example(), { credentials: credentials(), input: [body('What is a cache?')] });
		expect(chats()).toBe(1);
		const hit = outputOf(second, 'Cache Lookup', 0);
		expect(hit).toHaveLength(1);
		const { cacheStored, ...answer } = stored[0].json;
		expect(cacheStored).toBe(true);
		expect(hit[0].json).toEqual({ ...answer, cacheHit: true, cacheLayer: 'l1' });
		expect(hit[0].pairedItem).toEqual({ item: 0 });
		expect(second.run.data.resultData.runData['Team Agent']).toBeUndefined();
	}, 90_000); // the first call of a run loads the simulator's tokenizer

	it('sends each item to its own branch, keeping pairedItem', async () => {
		await runWorkflow(example(), { credentials: credentials(), input: [body('cached one')] });
		const mixed = await runWorkflow(example(), { credentials: credentials(), input: [body('new one'), body('cached one')] });
		expect(outputOf(mixed, 'Cache Lookup', 0).map((i) => i.pairedItem)).toEqual([{ item: 1 }]);
		expect(outputOf(mixed, 'Cache Lookup', 1).map((i) => i.pairedItem)).toEqual([{ item: 0 }]);
	});

	it('shares entries through Redis (another process would see them), L2 then L1', async () => {
		await runWorkflow(example({}, true), { credentials: credentials(true), input: [body('shared')] });
		// forget this process's memory: the next lookup can only come from Redis
		sharedKeyValueCache().cache.l1.clear();
		const second = await runWorkflow(example({}, true), { credentials: credentials(true), input: [body('shared')] });
		expect(outputOf(second, 'Cache Lookup', 0)[0].json.cacheLayer).toBe('l2');
		expect(chats()).toBe(1);
	});

	it('keeps namespaces apart', async () => {
		await runWorkflow(example(), { credentials: credentials(), input: [body('namespaced')] });
		const other = await runWorkflow(example({ 'Cache Lookup': { namespace: 'another-workflow' } }), { credentials: credentials(), input: [body('namespaced')] });
		expect(outputOf(other, 'Cache Lookup', 0)).toHaveLength(0);
	});

	it('names the item and the field for an empty key; with Continue On Fail the item goes down the miss branch', async () => {
		const failing = await runWorkflow(example(), { credentials: credentials(), input: [body('ok'), body('')] });
		expect(failing.error('Cache Lookup')?.message).toMatch(/Item 1: the "Key" parameter is empty/);
		const workflow = example();
		workflow.nodes.find((n) => n.name === 'Cache Lookup')!.onError = 'continueRegularOutput';
		const tolerant = await runWorkflow(workflow, { credentials: credentials(), input: [body('ok'), body('')] });
		expect(outputOf(tolerant, 'Cache Lookup', 1).map((i) => i.json.error ?? 'ok')).toEqual(['ok', expect.stringMatching(/Item 1/)]);
	});

	it('invalidates a key and reports stats', async () => {
		const statsOf = async () => {
			const stats = await runWorkflow(example({ 'Cache Lookup': { operation: 'stats' } }, false, true), { credentials: credentials(), input: [body('x')] });
			return stats.output('Cache Lookup')[0].json as { cache: Record<string, number>; agentCache: Record<string, unknown> };
		};
		// The cache is process-wide (earlier tests count too): the counts this test causes are the differences.
		const before = await statsOf();
		await runWorkflow(example(), { credentials: credentials(), input: [body('to forget')] });
		const invalidate = await runWorkflow(example({ 'Cache Lookup': { operation: 'invalidate', target: 'key', invalidateKey: '={{ $json.body.text }}' } }), {
			credentials: credentials(),
			input: [body('to forget')],
		});
		expect(invalidate.output('Cache Lookup')[0].json.invalidated).toBe(1);
		const after = await statsOf();
		const change = (field: string) => after.cache[field] - before.cache[field];
		expect([change('hits'), change('misses'), change('stores'), change('invalidated')]).toEqual([0, 1, 1, 1]);
		expect((after.cache.l1 as unknown as { entries: number }).entries).toBe(0); // the stored answer is gone again
		// The Team Agent in this workflow has its own Cache option off: the gateway's cache saw nothing.
		expect(after.agentCache).toMatchObject({ hits: 0, misses: 0, stores: 0 });
	});

	it('semantic lookup: a reworded question hits, with its similarity', async () => {
		const semantic = { options: { semantic: true, threshold: 0.75 } };
		await runWorkflow(example({ 'Cache Lookup': semantic, 'Cache Store': semantic }, false, true), { credentials: credentials(), input: [body('How do I reset my password?')] });
		const second = await runWorkflow(example({ 'Cache Lookup': semantic, 'Cache Store': semantic }, false, true), { credentials: credentials(), input: [body('How can I change my password?')] });
		const hit = outputOf(second, 'Cache Lookup', 0);
		expect(hit[0]?.json).toMatchObject({ cacheHit: true, cacheLayer: 'semantic', similarity: expect.any(Number) });
		expect(chats()).toBe(1);
	});
});
