/**
 * Every saved example still loads and runs: each examples/*.json (read at run time, so a new one is
 * covered) runs in-process through n8n-core's WorkflowExecute against the Ollama simulator, from
 * its first trigger with the items pinned to it (as the editor runs it). This is what catches a
 * parameter renamed or a default changed under a saved workflow. Each example names the models it
 * needs on a sticky note.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { IDataObject } from 'n8n-workflow';

import { closeAllGateways } from '../../lib/registry';
import { readWorkflow, runWorkflow } from '../harness/run-workflow';
import { startSimulator, type Simulator } from '../simulator';

const EXAMPLES = join(__dirname, '..', '..', 'examples');
const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort();
let sim: Simulator;

/**
 * Nodes the in-process harness cannot run: n8n's Call Workflow Tool starts a sub-workflow, and
 * n8n's AI nodes (AI Agent, chains, vector stores, Set, Limit …) are not in the harness, which has
 * only triggers, a NoOp and the Calculator tool. Examples using one must be run by the real-n8n
 * test (test/e2e/run.sh or test/e2e/ai-nodes.sh names them) instead.
 */
const HARNESS_RUNS = (type: string) =>
	type.startsWith('n8n-nodes-agent-team.') ||
	['n8n-nodes-base.manualTrigger', 'n8n-nodes-base.webhook', 'n8n-nodes-base.scheduleTrigger', 'n8n-nodes-base.noOp', 'n8n-nodes-base.respondToWebhook', 'n8n-nodes-base.stickyNote', '@n8n/n8n-nodes-langchain.toolCalculator'].includes(type);
const e2eScript = ['run.sh', 'ai-nodes.sh'].map((script) => readFileSync(join(__dirname, '..', 'e2e', script), 'utf8')).join('\n');

/** Input for triggers that a request or schedule would fill. */
function inputFor(file: string): IDataObject[] | undefined {
	const workflow = readWorkflow(join(EXAMPLES, file));
	if (!workflow.nodes.some((n) => n.type === 'n8n-nodes-base.webhook')) return undefined;
	return [{ body: { text: 'What is a cache?', question: 'What is a cache?', chatInput: 'What is a cache?' } }];
}

beforeAll(async () => {
	sim = await startSimulator({ parallel: 4, timeScale: 0, loadMs: 0 });
});
afterEach(async () => closeAllGateways());
afterAll(async () => sim.close());

describe('examples/*.json', () => {
	it('are all here', () => {
		expect(files.length).toBeGreaterThanOrEqual(17);
	});

	it.each(files)('%s names the models it needs on a sticky note', (file) => {
		const workflow = readWorkflow(join(EXAMPLES, file));
		const note = workflow.nodes.find((n) => n.type === 'n8n-nodes-base.stickyNote');
		expect(note).toBeDefined();
		const content = String(note!.parameters.content);
		const text = JSON.stringify(workflow.nodes.filter((n) => n.type !== 'n8n-nodes-base.stickyNote').map((n) => n.parameters));
		for (const model of ['llama3.2:3b', 'llama3.1:8b', 'nomic-embed-text', 'qwen2.5:0.5b']) {
			if (text.includes(`"${model}"`)) expect(content).toContain(`\`${model}\``);
		}
	});

	it.each(files)('%s loads and runs in n8n-core without a node error', async (file) => {
		const workflow = readWorkflow(join(EXAMPLES, file));
		const needsN8n = workflow.nodes.filter((n) => !HARNESS_RUNS(n.type)).map((n) => n.type);
		if (needsN8n.length > 0) {
			// runs in real n8n: npm run test:e2e executes it (the e2e script lists it by name)
			expect(e2eScript).toMatch(new RegExp(`\\b${file.replace(/\.json$/, '').replace(/[-.]/g, '\\$&')}\\b`));
			return;
		}
		const result = await runWorkflow(workflow, {
			credentials: { ollamaClusterApi: { backends: { backend: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 4 }] } } },
			input: inputFor(file),
		});
		const runData = result.run.data.resultData.runData;
		const failed = Object.entries(runData).flatMap(([name, runs]) => runs.filter((r) => r.error).map((r) => `${name}: ${r.error!.message}`));
		expect(failed).toEqual([]);
		expect(result.run.status).toBe('success');
		// every node connected to the start node ran (sub-nodes run inside their parent)
		const ran = Object.keys(runData);
		expect(ran.length).toBeGreaterThanOrEqual(2);
	}, 60_000);
});
