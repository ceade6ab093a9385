import { join } from 'node:path';

import type { INodeParameters, IWorkflowBase } from 'n8n-workflow';

import { closeAllGateways } from '../../lib/registry';
import { readWorkflow, runWorkflow } from '../../test/harness/run-workflow';
import { startSimulator, type Simulator } from '../../test/simulator';

const examples = join(__dirname, '..', '..', 'examples');
let sim: Simulator;

const credentials = (extra: Record<string, unknown> = {}) => ({
	ollamaClusterApi: {
		backends: { backend: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 3 }] },
		...extra,
	},
});

/** The basic example with the agent's parameters and node settings overridden. */
function agentWorkflow(parameters: INodeParameters, nodeSettings: Record<string, unknown> = {}): IWorkflowBase {
	const workflow = readWorkflow(join(examples, 'agent-basic.json'));
	const agent = workflow.nodes.find((n) => n.name === 'Team Agent')!;
	agent.parameters = { ...agent.parameters, ...parameters };
	Object.assign(agent, nodeSettings);
	return workflow;
}

beforeAll(async () => {
	sim = await startSimulator({ parallel: 3, timeScale: 1, loadMs: 0, decodeTokensPerSec: 500, prefillTokensPerSec: 100_000, apiKey: 'sk-live-secret' });
});
afterEach(async () => {
	await closeAllGateways();
	sim.resetStats();
});
afterAll(async () => sim.close());

describe('Team Agent node (in-process n8n WorkflowExecute)', () => {
	it('runs the basic example end to end with usage, timings and backend in the item', async () => {
		const result = await runWorkflow(readWorkflow(join(examples, 'agent-basic.json')), { credentials: credentials({ apiKey: 'sk-live-secret' }) });
		expect(result.run.status).toBe('success');
		const [item] = result.output('Team Agent');
		expect(item.pairedItem).toEqual({ item: 0 });
		const json = item.json as Record<string, any>;
		expect(typeof json.output).toBe('string');
		expect(json.output.length).toBeGreaterThan(0);
		expect(json.model).toBe('llama3.2:3b');
		expect(json.backend).toBe('sim');
		expect(json.tokenUsage.promptTokens).toBe(sim.stats.promptTokens);
		expect(json.tokenUsage.completionTokens).toBe(sim.stats.evalTokens);
		expect(json.tokenUsage.totalTokens).toBe(json.tokenUsage.promptTokens + json.tokenUsage.completionTokens);
		for (const key of ['totalMs', 'queueMs', 'loadMs', 'promptEvalMs', 'evalMs']) expect(typeof json.timings[key]).toBe('number');
		expect(json.timings.totalMs).toBeGreaterThan(0);

		// What the node sent: role preset as system prompt, options mapped to Ollama's names.
		const body = sim.stats.lastRequests.at(-1)!.body as Record<string, any>;
		expect(body.messages[0]).toEqual({ role: 'system', content: expect.stringContaining('researcher') });
		expect(body.options).toEqual({ temperature: 0.2, seed: 42, num_predict: 128 });
		expect(JSON.stringify(result.run.data)).not.toContain('sk-live-secret');
	});

	it('processes items concurrently up to the backends\' slots, keeping order and pairing', async () => {
		const input = Array.from({ length: 7 }, (_, i) => ({ text: `Question number ${i}` }));
		const result = await runWorkflow(agentWorkflow({ prompt: '={{ $json.text }}' }), { credentials: credentials({ apiKey: 'sk-live-secret' }), input });
		const items = result.output('Team Agent');
		expect(items).toHaveLength(7);
		items.forEach((item, i) => expect(item.pairedItem).toEqual({ item: i }));
		// The gateway keeps the backend's 3 slots busy, plus at most the scheduler's look-ahead of 1 queued at Ollama.
		expect(sim.stats.maxActive).toBe(3);
		expect(sim.stats.maxQueued).toBeLessThanOrEqual(1);
		const prompts = sim.stats.lastRequests.map((r) => (r.body as any).messages.at(-1).content).sort();
		expect(prompts).toEqual(input.map((i) => i.text).sort());
	});

	it('defaults the prompt to the item\'s chatInput / text field', async () => {
		const workflow = agentWorkflow({});
		delete workflow.nodes.find((n) => n.name === 'Team Agent')!.parameters.prompt;
		const result = await runWorkflow(workflow, { credentials: credentials({ apiKey: 'sk-live-secret' }), input: [{ chatInput: 'from chat' }, { text: 'from text' }] });
		expect(result.output('Team Agent')).toHaveLength(2);
		expect(sim.stats.lastRequests.map((r) => (r.body as any).messages.at(-1).content).sort()).toEqual(['from chat', 'from text']);
	});

	it('fails with an error naming the item and the field for an empty prompt', async () => {
		const result = await runWorkflow(agentWorkflow({ prompt: '={{ $json.text }}' }), {
			credentials: credentials({ apiKey: 'sk-live-secret' }),
			input: [{ text: 'fine' }, { text: '   ' }],
		});
		expect(result.run.status).toBe('error');
		const error = result.error('Team Agent')!;
		expect(error.message).toMatch(/Item 1: the "Prompt" parameter is empty/);
	});

	it('honours continueOnFail: a failing item becomes an error item, the others keep their answers', async () => {
		const result = await runWorkflow(agentWorkflow({ prompt: '={{ $json.text }}', model: '={{ $json.model }}' }, { onError: 'continueRegularOutput' }), {
			credentials: credentials({ apiKey: 'sk-live-secret' }),
			input: [{ text: 'a', model: 'llama3.2:3b' }, { text: 'b', model: 'missing-model:7b' }, { text: 'c', model: 'llama3.2:3b' }],
		});
		expect(result.run.status).toBe('success');
		const items = result.output('Team Agent').map((i) => i.json as Record<string, any>);
		expect(items[0].output).toBeTruthy();
		expect(items[2].output).toBeTruthy();
		expect(items[1].error).toMatch(/Item 1: Model "missing-model:7b" is not available on Ollama backend "sim"/);
		expect(result.output('Team Agent')[1].pairedItem).toEqual({ item: 1 });
	});

	it('never leaks the API key into errors', async () => {
		const result = await runWorkflow(agentWorkflow({}), { credentials: credentials({ apiKey: 'sk-wrong-secret' }) });
		expect(result.run.status).toBe('error');
		const error = result.error('Team Agent')!;
		expect(error.message).toMatch(/Item 0: .*HTTP 401/);
		expect(JSON.stringify(result.run.data)).not.toContain('sk-wrong-secret');
	});

	it('parses JSON output into "data" when JSON output is on', async () => {
		const result = await runWorkflow(agentWorkflow({ outputFormat: 'json' }), { credentials: credentials({ apiKey: 'sk-live-secret' }) });
		const json = result.output('Team Agent')[0].json as Record<string, any>;
		expect(JSON.parse(json.output)).toEqual(json.data);
		expect((sim.stats.lastRequests.at(-1)!.body as any).format).toBe('json');
	});

	it('runs the webhook example with the request body as input', async () => {
		const result = await runWorkflow(readWorkflow(join(examples, 'agent-webhook.json')), {
			credentials: credentials({ apiKey: 'sk-live-secret' }),
			input: [{ body: { text: 'Write a haiku about GPUs' }, headers: {}, query: {} }],
		});
		const json = result.output('Team Agent')[0].json as Record<string, any>;
		expect(json.output).toBeTruthy();
		expect((sim.stats.lastRequests.at(-1)!.body as any).messages.at(-1).content).toBe('Write a haiku about GPUs');
	});
});
