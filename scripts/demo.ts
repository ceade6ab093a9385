/**
 * `npm run demo`: runs the example agent workflow in-process (n8n-core's WorkflowExecute)
 * against OLLAMA_HOST (default http://127.0.0.1:11434). When no Ollama answers there, it
 * starts the Ollama simulator instead and says so plainly.
 */
import { join } from 'node:path';

import { closeAllGateways } from '../lib/registry';
import { readWorkflow, runWorkflow } from '../test/harness/run-workflow';
import { startSimulator, type Simulator } from '../test/simulator';

const QUESTIONS = [
	'Why does keep-alive connection pooling matter when serving LLMs?',
	'Give three ways to cut the cost of running an agent team on local GPUs.',
	'What is the difference between prefill and decode in LLM inference?',
];

async function ollamaAnswers(host: string): Promise<string[] | undefined> {
	try {
		const response = await fetch(`${host}/api/tags`, { signal: AbortSignal.timeout(2000) });
		if (!response.ok) return undefined;
		const body = (await response.json()) as { models?: Array<{ name: string }> };
		return (body.models ?? []).map((m) => m.name);
	} catch {
		return undefined;
	}
}

async function main() {
	const host = (process.env.OLLAMA_HOST ?? 'http://127.0.0.1:11434').replace(/\/+$/, '');
	const hostUrl = /^https?:\/\//.test(host) ? host : `http://${host}`;
	let sim: Simulator | undefined;
	let baseUrl = hostUrl;
	let model = process.env.OLLAMA_MODEL ?? 'llama3.2:3b';

	const models = await ollamaAnswers(hostUrl);
	if (models) {
		console.log(`Using the Ollama server at ${hostUrl} (${models.length} models).`);
		if (!process.env.OLLAMA_MODEL && !models.includes(model)) {
			const chatModel = models.find((m) => !/embed|minilm/i.test(m));
			if (!chatModel) throw new Error(`Ollama at ${hostUrl} has no chat model; pull one with \`ollama pull ${model}\``);
			model = chatModel;
		}
	} else {
		sim = await startSimulator({ parallel: 4, decodeTokensPerSec: 80, prefillTokensPerSec: 3000, loadMs: 400 });
		baseUrl = sim.url;
		console.log(`No Ollama answered at ${hostUrl}.`);
		console.log(`Started the Ollama SIMULATOR at ${sim.url} instead: answers are generated filler text, timings are simulated.`);
		console.log('Set OLLAMA_HOST to a real Ollama server to see real answers.');
	}

	const workflow = readWorkflow(join(__dirname, '..', 'examples', 'agent-basic.json'));
	const agent = workflow.nodes.find((n) => n.type === 'n8n-nodes-agent-team.teamAgent')!;
	agent.parameters = { ...agent.parameters, model, prompt: '={{ $json.text }}' };
	console.log(`\nRunning examples/agent-basic.json (model ${model}) on ${QUESTIONS.length} items at once…\n`);

	const started = performance.now();
	try {
		const result = await runWorkflow(workflow, {
			credentials: { ollamaClusterApi: { backends: { backend: [{ name: sim ? 'simulator' : 'ollama', baseUrl, weight: 1, parallel: 4 }] } } },
			input: QUESTIONS.map((text) => ({ text })),
		});
		const error = result.error(agent.name);
		if (error) throw error;
		for (const [i, item] of result.output(agent.name).entries()) {
			const json = item.json as Record<string, any>;
			console.log(`Q${i + 1}: ${QUESTIONS[i]}`);
			console.log(`A${i + 1}: ${String(json.output).trim().slice(0, 400)}`);
			console.log(
				`    tokens ${json.tokenUsage.promptTokens} in / ${json.tokenUsage.completionTokens} out · latency ${Math.round(json.timings.totalMs)} ms ` +
					`(queue ${Math.round(json.timings.queueMs)}, load ${Math.round(json.timings.loadMs)}, prefill ${Math.round(json.timings.promptEvalMs)}, decode ${Math.round(json.timings.evalMs)}) · backend ${json.backend}\n`,
			);
		}
		console.log(`Workflow finished in ${Math.round(performance.now() - started)} ms.`);
	} finally {
		await closeAllGateways();
		await sim?.close();
	}
}

main().catch((error) => {
	console.error(`demo failed: ${(error as Error).message}`);
	process.exit(1);
});
