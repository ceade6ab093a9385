import { join } from 'node:path';

import type { INodeParameters, IWorkflowBase } from 'n8n-workflow';

import { processMetrics, RedisMetricsStore } from '../../lib/metrics';
import { closeSharedRedis, createRedisClient } from '../../lib/redis';
import { closeAllGateways } from '../../lib/registry';
import { readWorkflow, runWorkflow, type StreamedChunk } from '../../test/harness/run-workflow';
import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server';
import { startSimulator, type Simulator } from '../../test/simulator';

const examples = join(__dirname, '..', '..', 'examples');
let sim: Simulator;
let redis: TestRedis;

const credentials = () => ({ ollamaClusterApi: { backends: { backend: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 4 }] } } });
const example = (name: string) => readWorkflow(join(examples, `${name}.json`));
const withParameters = (workflow: IWorkflowBase, node: string, parameters: INodeParameters, settings: Record<string, unknown> = {}) => {
	const target = workflow.nodes.find((n) => n.name === node)!;
	target.parameters = { ...target.parameters, ...parameters };
	Object.assign(target, settings);
	return workflow;
};
const plan = (steps: Array<[string, string, string, string[]]>) => JSON.stringify({ steps: steps.map(([id, member, task, dependsOn]) => ({ id, member, task, dependsOn, expectedOutput: `${task} done` })) });
const researchPlan = plan([
	['s1', 'researcher', 'Find the facts', []],
	['s2', 'analyst', 'Analyse the facts', ['s1']],
	['s3', 'writer', 'Write the draft', ['s2']],
	['s4', 'reviewer', 'Review and correct the draft', ['s3']],
]);
const satisfied = JSON.stringify({ satisfied: true, feedback: 'fine', steps: [] });
const chatBodies = () => sim.stats.lastRequests.filter((r) => r.path === '/api/chat').map((r) => r.body as { model: string; messages: Array<{ role: string; content: string }> });

beforeAll(async () => {
	sim = await startSimulator({ parallel: 4, timeScale: 0 });
	redis = await startTestRedis();
});
afterEach(async () => {
	await closeAllGateways();
	sim.clearScripts();
	sim.setFaults({ firstTokenDelayMs: 0 });
	sim.resetStats();
});
afterAll(async () => {
	await closeSharedRedis();
	await sim.close();
	await redis.stop();
});

describe('Orchestrator node (in-process n8n WorkflowExecute)', () => {
	it('runs the research team webhook example under the supervisor, streaming progress then the answer', async () => {
		sim.addScript({ match: /^PLAN THE TASK/, reply: researchPlan });
		sim.addScript({ match: /^REVIEW THE RESULTS/, reply: satisfied });
		sim.addScript({ match: /^Review and correct the draft/, reply: 'THE CORRECTED REPORT' });
		const chunks: StreamedChunk[] = [];
		const result = await runWorkflow(example('orchestrator-research-webhook'), {
			credentials: credentials(),
			input: [{ body: { text: 'How do GPUs speed up local LLMs?' } }],
			onChunk: (chunk) => chunks.push(chunk),
		});
		expect(result.run.status).toBe('success');
		const [item] = result.output('Research Team');
		expect(item.pairedItem).toEqual({ item: 0 });
		const json = item.json as Record<string, any>;
		expect(json).toMatchObject({ output: 'THE CORRECTED REPORT', strategy: 'supervisor', status: 'completed', attempts: 1 });
		expect(json.steps.map((s: any) => [s.id, s.member, s.status, s.verdict.ok])).toEqual([
			['s1', 'researcher', 'ok', true],
			['s2', 'analyst', 'ok', true],
			['s3', 'writer', 'ok', true],
			['s4', 'reviewer', 'ok', true],
		]);
		expect(json.totals).toMatchObject({ backendCalls: 6, steps: 4, leadCalls: 2, cacheHits: 0 });
		expect(json.totals.tokens.completionTokens).toBe(sim.stats.evalTokens);
		// The task came from the webhook body; the lead used its own model.
		expect(chatBodies()[0]).toMatchObject({ model: 'llama3.1:8b' });
		expect(chatBodies()[0].messages.at(-1)!.content).toContain('How do GPUs speed up local LLMs?');

		const text = chunks.filter((c) => c.type === 'item').map((c) => c.content).join('');
		expect(chunks[0]).toMatchObject({ type: 'begin', metadata: { nodeName: 'Research Team', itemIndex: 0 } });
		expect(chunks.at(-1)).toMatchObject({ type: 'end' });
		for (const id of ['s1', 's2', 's3', 's4']) expect(text).toMatch(new RegExp(`\\[${id}\\] \\w+ started[\\s\\S]*\\[${id}\\] \\w+ ok in`));
		expect(text.indexOf('[plan] attempt 1')).toBeLessThan(text.indexOf('[s1]'));
		expect(text.endsWith('THE CORRECTED REPORT')).toBe(true);
	});

	it('runs the daily report example from a Schedule Trigger, one item per step on the Steps output', async () => {
		sim.addScript({ match: /^PLAN THE TASK/, reply: researchPlan });
		sim.addScript({ match: /^REVIEW THE RESULTS/, reply: satisfied });
		const result = await runWorkflow(example('orchestrator-daily-report'), { credentials: credentials() });
		expect(result.run.status).toBe('success');
		const [report] = result.output('Report');
		expect((report.json as any).status).toBe('completed');
		expect(result.output('Step Log')).toHaveLength(4);
		// The Orchestrator's second output (Steps), as it left the node.
		const steps = result.run.data.resultData.runData['Daily Report Team'][0].data!.main[1]!;
		expect(steps.map((s) => (s.json as any).id)).toEqual(['s1', 's2', 's3', 's4']);
		for (const s of steps) {
			expect(s.pairedItem).toEqual({ item: 0 });
			expect(s.json).toMatchObject({ item: 0, status: 'ok', backend: 'sim', cacheHit: false, verdict: { ok: true } });
			expect((s.json as any).tokens.totalTokens).toBeGreaterThan(0);
		}
		const logged = result.aiEvents.filter((e) => e.event === 'ai-llm-generated-output' && (e.payload as { nodeName: string }).nodeName === 'Daily Report Team');
		expect(logged.map((e) => JSON.parse((e.payload as { msg: string }).msg))).toEqual([{ item: 0, strategy: 'supervisor', status: 'completed', steps: 4, tokens: expect.any(Number) }]);
	});

	it('runs a team drawn on the canvas: Team Agent tools on the Team input are the members', async () => {
		sim.addScript({
			match: /^PLAN THE TASK/,
			reply: plan([
				['a', 'Researcher', 'Collect gateway facts', []],
				['b', 'Analyst', 'Collect queueing facts', []],
				['c', 'Writer', 'Write three paragraphs', ['a', 'b']],
			]),
		});
		sim.addScript({ match: /^REVIEW THE RESULTS/, reply: satisfied });
		sim.addScript({ match: /^Collect gateway facts/, reply: 'GATEWAY-FACTS' });
		const result = await runWorkflow(example('orchestrator-canvas-team'), { credentials: credentials() });
		expect(result.run.status).toBe('success');
		const json = result.output('Orchestrator')[0].json as Record<string, any>;
		expect(json.status).toBe('completed');
		// The planner saw the connected nodes as members, by their node names and descriptions.
		const planner = chatBodies()[0].messages.at(-1)!.content;
		expect(planner).toContain('- Researcher: Researcher: finds facts');
		expect(planner).toContain('- Writer: Writer: turns findings');
		expect(json.steps.map((s: any) => [s.id, s.member, s.status])).toEqual([
			['a', 'Researcher', 'ok'],
			['b', 'Analyst', 'ok'],
			['c', 'Writer', 'ok'],
		]);
		// Each member ran as its own Team Agent (its role's system prompt) through the gateway; the
		// tool's output items gave the step its tokens and backend.
		const writerCall = chatBodies().find((b) => b.messages.at(-1)!.content.startsWith('Write three paragraphs'))!;
		expect(writerCall.messages[0].content).toMatch(/clear, engaging writer/);
		expect(writerCall.messages.at(-1)!.content).toContain('GATEWAY-FACTS');
		for (const s of json.steps) expect(s).toMatchObject({ backend: 'sim', backendCalls: 1 });
		expect(json.steps[2].tokens.totalTokens).toBeGreaterThan(0);
		expect(json.output).toBe(json.steps[2].output);
	});

	it('runs the debate example: three members, two rounds, a judge', async () => {
		sim.addScript({ match: /^JUDGE THE DEBATE/, reply: 'THE VERDICT' });
		const result = await runWorkflow(example('orchestrator-debate'), { credentials: credentials() });
		expect(result.run.status).toBe('success');
		const json = result.output('Debate')[0].json as Record<string, any>;
		expect(json).toMatchObject({ output: 'THE VERDICT', strategy: 'debate', status: 'completed', attempts: 2 });
		expect(json.steps).toHaveLength(6);
		expect(json.lead.map((l: any) => l.role)).toEqual(['judge']);
		expect(chatBodies().filter((b) => b.model === 'qwen2.5:0.5b')).toHaveLength(2);
	});

	it('Seed reaches the lead and every member; with Options → Cache a repeated run makes no model call', async () => {
		sim.addScript({ match: /^JUDGE THE DEBATE/, reply: 'THE VERDICT' });
		const workflow = () => withParameters(example('orchestrator-debate'), 'Debate', { options: { debateRounds: 1, seed: 5, cache: { settings: { mode: 'exact' } } } });
		const first = await runWorkflow(workflow(), { credentials: credentials() });
		const calls = chatBodies().length;
		expect(calls).toBe(4);
		for (const body of chatBodies()) expect((body as { options?: { seed?: number } }).options?.seed).toBe(5);
		const second = await runWorkflow(workflow(), { credentials: credentials() });
		expect(chatBodies()).toHaveLength(calls);
		const [a, b] = [first, second].map((r) => r.output('Debate')[0].json as Record<string, any>);
		expect(b.output).toBe(a.output);
		expect(b.totals.cacheHits).toBe(4);
		expect(a.totals.cacheHits).toBe(0);
	});

	it('every model call of a run (lead and members) counts in the process metrics and, with the Redis credential, in the cluster-wide metrics', async () => {
		sim.addScript({ match: /^JUDGE THE DEBATE/, reply: 'THE VERDICT' });
		processMetrics().reset();
		const workflow = withParameters(example('orchestrator-debate'), 'Debate', { options: { debateRounds: 1 } });
		const node = workflow.nodes.find((n) => n.name === 'Debate')!;
		node.credentials = { ...node.credentials, agentTeamRedisApi: { id: 'redis1', name: 'Agent Team Redis API' } };
		// One member on a model the backend does not have: its failed call counts as an error.
		(node.parameters.members as any).member[2].model = 'missing-model:1b';
		const redisCredential = { host: redis.config.host, port: redis.config.port, keyPrefix: `orchestrator-metrics-${Date.now()}:` };
		const result = await runWorkflow(workflow, { credentials: { ...credentials(), agentTeamRedisApi: redisCredential } });
		expect(result.output('Debate')[0].json).toMatchObject({ status: 'partial', totals: { leadCalls: 1 } });

		// 2 members answered, 1 failed (404), the judge answered: 4 calls, 1 error.
		const local = processMetrics().snapshot();
		expect(local.byBackend.sim).toMatchObject({ calls: 4, errors: 1 });
		expect(local.byModel['llama3.1:8b']).toMatchObject({ calls: 1, errors: 0 });
		expect(local.byModel['missing-model:1b']).toMatchObject({ calls: 1, errors: 1 });
		const reader = createRedisClient(redisCredential);
		try {
			await new Promise((resolve) => setTimeout(resolve, 50)); // metrics are written without blocking the item
			const shared = await new RedisMetricsStore(reader).snapshot();
			expect(shared.byBackend.sim).toMatchObject({ calls: 4, errors: 1 });
			expect(shared.byModel['llama3.2:3b']).toMatchObject({ calls: 2, errors: 0 });
		} finally {
			await reader.quit();
		}
	});

	it('fails with an error naming the item and the field for a team without members, or continues on fail', async () => {
		const workflow = withParameters(example('orchestrator-debate'), 'Debate', { members: {} });
		const failed = await runWorkflow(workflow, { credentials: credentials() });
		expect(failed.run.status).toBe('error');
		expect(failed.error('Debate')!.message).toMatch(/Item 0: The team has no members/);
		expect((failed.error('Debate') as any).description).toMatch(/Check the "Members" parameter/);

		const continued = await runWorkflow(withParameters(example('orchestrator-debate'), 'Debate', { members: {} }, { onError: 'continueRegularOutput' }), { credentials: credentials() });
		expect(continued.run.status).toBe('success');
		expect(continued.output('Debate')[0].json.error).toMatch(/Item 0: The team has no members/);
		expect(sim.stats.requests).toBe(0);
	});

	it.each([
		['duplicate member names', { members: { member: [{ name: 'a', model: 'llama3.2:3b' }, { name: 'A', model: 'llama3.2:3b' }] } }, /Item 0: Two members are named "A"/],
		['an unknown fallback', { members: { member: [{ name: 'a', model: 'llama3.2:3b', fallback: 'ghost' }] } }, /Item 0: Member "a" names an unknown fallback member "ghost"/],
		['an empty task', { task: '   ' }, /Item 0: the "Task" parameter is empty/],
		['a bad budget', { options: { maxAttempts: 0 } }, /Item 0: the "Max Attempts" parameter must be a whole number of at least 1/],
	])('rejects %s with a clear error', async (_what, parameters, message) => {
		const result = await runWorkflow(withParameters(example('orchestrator-debate'), 'Debate', parameters as INodeParameters), { credentials: credentials() });
		expect(result.run.status).toBe('error');
		expect(result.error('Debate')!.message).toMatch(message);
	});

	it('cancelling the execution stops the running steps and the queued ones', async () => {
		sim.addScript({ match: /^PLAN THE TASK/, reply: researchPlan });
		const controller = new AbortController();
		const started = Date.now();
		const promise = runWorkflow(example('orchestrator-daily-report'), { credentials: credentials(), signal: controller.signal });
		// Let the plan through, then make the first step hang and cancel. The simulator runs on this
		// event loop: polled every turn (setImmediate), the fault is set before the next request is
		// read; polled every 5 ms, a loaded machine let the first step answer and the second start.
		while (!chatBodies().length) await new Promise((r) => setImmediate(r));
		sim.setFaults({ firstTokenDelayMs: 20_000 });
		while (sim.stats.active + sim.stats.queued === 0) await new Promise((r) => setTimeout(r, 5));
		controller.abort();
		await promise.catch(() => undefined);
		expect(Date.now() - started).toBeLessThan(5000);
		await new Promise((r) => setTimeout(r, 100));
		expect(sim.stats.aborted).toBeGreaterThanOrEqual(1);
		// Only the planner and the first step ever reached the backend.
		expect(chatBodies().map((b) => b.messages.at(-1)!.content.split('\n')[0])).toEqual(['PLAN THE TASK', 'Find the facts']);
	});
});
