import { join } from 'node:path';

import type { INodeParameters, IWorkflowBase } from 'n8n-workflow';

import { closeAllGateways } from '../../lib/registry';
import { readWorkflow, runWorkflow } from '../../test/harness/run-workflow';
import { startSimulator, type Simulator } from '../../test/simulator';

const examples = join(__dirname, '..', '..', 'examples');
let sim: Simulator;

const credentials = () => ({ ollamaClusterApi: { backends: { backend: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 2 }] } } });

/** An example workflow with one node's parameters (and settings) overridden. */
function example(file: string, node: string, parameters: INodeParameters = {}, settings: Record<string, unknown> = {}): IWorkflowBase {
	const workflow = readWorkflow(join(examples, file));
	const target = workflow.nodes.find((n) => n.name === node)!;
	target.parameters = { ...target.parameters, ...parameters };
	Object.assign(target, settings);
	return workflow;
}

beforeAll(async () => {
	sim = await startSimulator({ parallel: 2, timeScale: 1, loadMs: 0, decodeTokensPerSec: 2000, prefillTokensPerSec: 100_000 });
});
afterEach(async () => {
	await closeAllGateways();
	sim.clearScripts();
	sim.resetStats();
});
afterAll(async () => sim.close());

describe('Batcher node: Embed', () => {
	it('embeds one text per item in few backend calls, each item saying which batch it rode in', async () => {
		const workflow = example('batcher-embed-webhook.json', 'Batcher', { options: { maxBatchDelayMs: 20, batchSizeTarget: 8 } });
		const input = Array.from({ length: 20 }, (_, i) => ({ body: { text: `passage ${i % 15}` } }));
		const result = await runWorkflow(workflow, { credentials: credentials(), input });
		expect(result.run.status).toBe('success');
		const out = result.output('Batcher');
		expect(out).toHaveLength(20);
		out.forEach((item, i) => {
			expect(item.pairedItem).toEqual({ item: i });
			expect((item.json.embedding as number[]).length).toBe(768);
			expect(item.json.body).toEqual({ text: `passage ${i % 15}` }); // input fields kept
			expect(item.json.batching).toMatchObject({ model: 'nomic-embed-text', backend: 'sim', batch: { size: i < 16 ? 8 : 4 } });
		});
		// 20 items in node batches of 8, 8 and 4; equal texts carry equal vectors
		expect(new Set(out.map((o) => (o.json.batching as { batch: { id: number } }).batch.id)).size).toBe(3);
		expect(out[0].json.embedding).toEqual(out[15].json.embedding);
		expect(sim.stats.requestsByEndpoint['/api/embed']).toBeLessThanOrEqual(3);
	});

	it('names the item and field for a bad text; with Continue On Fail the other items keep their vectors', async () => {
		const input = [{ body: { text: 'fine' } }, { body: { text: '' } }, { body: { text: 'also fine' } }];
		const failing = await runWorkflow(example('batcher-embed-webhook.json', 'Batcher'), { credentials: credentials(), input });
		expect(failing.error('Batcher')?.message).toMatch(/Item 1: the "Text" parameter is empty/);
		const tolerant = await runWorkflow(example('batcher-embed-webhook.json', 'Batcher', {}, { onError: 'continueRegularOutput' }), { credentials: credentials(), input });
		const out = tolerant.output('Batcher');
		expect(out.map((o) => Boolean(o.json.embedding))).toEqual([true, false, true]);
		expect(out[1].json.error).toMatch(/Item 1: the "Text" parameter is empty/);
	});
});

describe('Batcher node: Generate', () => {
	it('answers every item in input order with its batch, queue time and pairedItem; never more than slots + look-ahead at Ollama', async () => {
		const workflow = example('batcher-generate.json', 'Generate', { options: { numPredict: 16, maxBatchDelayMs: 5, batchSizeTarget: 4 } });
		const input = Array.from({ length: 12 }, (_, i) => ({ prompt: `question ${i}` }));
		const result = await runWorkflow(workflow, { credentials: credentials(), input });
		expect(result.run.status).toBe('success');
		const out = result.output('Generate');
		expect(out).toHaveLength(12);
		out.forEach((item, i) => {
			expect(item.pairedItem).toEqual({ item: i });
			expect(typeof item.json.output).toBe('string');
			expect(item.json).toMatchObject({ model: 'llama3.2:3b', backend: 'sim', batch: { size: 4 } });
			expect((item.json.timings as { queueMs: number }).queueMs).toBeGreaterThanOrEqual(0);
		});
		const bodies = sim.stats.lastRequests.filter((r) => r.path === '/api/chat').map((r) => r.body as { messages: Array<{ content: string }>; options: object });
		expect(bodies[0].messages[0]).toEqual({ role: 'system', content: 'Answer briefly.' });
		expect(bodies[0].options).toMatchObject({ num_predict: 16 });
		expect(sim.stats.maxActive).toBeLessThanOrEqual(2);
		expect(sim.stats.maxQueued).toBeLessThanOrEqual(1);
	});

	it('a failing item gets its own error; the others in its batch keep their replies (Continue On Fail)', async () => {
		const workflow = example(
			'batcher-generate.json',
			'Generate',
			{ model: "={{ $json.model ?? 'llama3.2:3b' }}", options: { batchSizeTarget: 3, maxBatchDelayMs: 50 } },
			{ onError: 'continueRegularOutput' },
		);
		const input = [{ prompt: 'a' }, { prompt: 'b', model: 'no-such-model' }, { prompt: 'c' }];
		const result = await runWorkflow(workflow, { credentials: credentials(), input });
		const out = result.output('Generate');
		expect(out.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(typeof out[0].json.output).toBe('string');
		expect(out[1].json.error).toMatch(/Item 1: .*no-such-model/);
		expect(typeof out[2].json.output).toBe('string');
		expect(out[0].json.batch).toEqual(out[2].json.batch); // they rode in the failing item's batch
	});
});

describe('Batcher node: Group Items', () => {
	it('emits one item per batch by token budget, paired with every member', async () => {
		const input = [{ text: 'short' }, { text: 'word '.repeat(2500) }, { text: 'a' }, { text: 'b' }];
		const result = await runWorkflow(example('batcher-group-items.json', 'Group Items'), { credentials: {}, input });
		const out = result.output('Group Items');
		expect(out.map((o) => o.json.size)).toEqual([1, 1, 2]);
		expect(out[1].json.tokens).toBeGreaterThan(2000);
		expect(out[2].pairedItem).toEqual([{ item: 2 }, { item: 3 }]);
		expect(out[2].json.items).toEqual([{ text: 'a' }, { text: 'b' }]);
	});

	it('groups by predicted length, shortest bin first', async () => {
		const workflow = example('batcher-group-items.json', 'Group Items', { groupBy: 'predictedLength', predictedTokens: '={{ $json.maxTokens }}', binEdges: '64', batchSize: 10 });
		const result = await runWorkflow(workflow, { credentials: {}, input: [{ maxTokens: 500 }, { maxTokens: 20 }, { maxTokens: 30 }] });
		const out = result.output('Group Items');
		expect(out.map((o) => [o.json.bin, o.pairedItem])).toEqual([
			['≤64', [{ item: 1 }, { item: 2 }]],
			['>64', [{ item: 0 }]],
		]);
	});

	it('a bad value names the item and the field', async () => {
		const workflow = example('batcher-group-items.json', 'Group Items', { groupBy: 'predictedLength', predictedTokens: '={{ $json.maxTokens }}' });
		const result = await runWorkflow(workflow, { credentials: {}, input: [{ maxTokens: 5 }, { maxTokens: 'lots' }] });
		expect(result.error('Group Items')?.message).toMatch(/Item 1: the "Predicted Output Tokens" parameter must be a number of tokens/);
	});
});
