import type { AgentTool } from '../agent';
import { Gateway } from '../gateway';
import { defaultCalibrator } from '../tokens';
import { startSimulator, type Simulator } from '../../test/simulator';
import {
	createModelMember,
	DEFAULT_BUDGETS,
	runOrchestrator,
	TeamError,
	type Member,
	type OrchestratorInput,
	type PlanStep,
	type ProgressEvent,
} from '.';

let sim: Simulator;
let gateway: Gateway;

beforeAll(async () => {
	sim = await startSimulator({ parallel: 4, timeScale: 1, loadMs: 0, decodeTokensPerSec: 2000, prefillTokensPerSec: 200_000 });
});
beforeEach(() => {
	gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 4 }] });
});
afterEach(async () => {
	await gateway.close();
	sim.clearScripts();
	sim.setFaults({ firstTokenDelayMs: 0 });
	sim.resetStats();
});
afterAll(async () => sim.close());

const member = (name: string, extra: Partial<{ model: string; fallback: string; skills: string }> = {}): Member =>
	createModelMember(
		{ name, description: extra.skills ?? `${name} work`, model: extra.model ?? 'llama3.2:3b', system: `You are the ${name}.`, fallback: extra.fallback },
		{ gateway, calibrator: defaultCalibrator },
	);

const input = (over: Partial<OrchestratorInput> = {}): OrchestratorInput => ({
	task: 'Write a short report on solar panels',
	strategy: 'supervisor',
	leadModel: 'llama3.1:8b',
	budgets: { ...DEFAULT_BUDGETS },
	review: true,
	debateRounds: 1,
	useMembers: [],
	maxParallel: 0,
	planRetries: 1,
	...over,
	...(over.budgets ? { budgets: { ...DEFAULT_BUDGETS, ...over.budgets } } : {}),
});

const step = (id: string, memberName: string, task: string, dependsOn: string[] = []): PlanStep => ({ id, task, member: memberName, dependsOn, expectedOutput: `${task} result` });
const scriptPlan = (steps: PlanStep[], match: RegExp = /^PLAN THE TASK/, times?: number) => sim.addScript({ match, reply: JSON.stringify({ steps }), times });
const scriptReview = (satisfied = true, steps: Array<{ id: string; ok: boolean; feedback?: string }> = [], times?: number) =>
	sim.addScript({ match: /^REVIEW THE RESULTS/, reply: JSON.stringify({ satisfied, feedback: satisfied ? 'good' : 'not yet', steps }), times });
const chatBodies = () => sim.stats.lastRequests.filter((r) => r.path === '/api/chat').map((r) => r.body as { model: string; messages: Array<{ role: string; content: string }> });
const lastUser = (body: { messages: Array<{ role: string; content: string }> }) => body.messages.filter((m) => m.role === 'user').at(-1)!.content;
const team = () => [member('researcher'), member('analyst'), member('writer')];

describe('supervisor strategy', () => {
	it('runs independent steps in parallel, feeds dependencies, reviews the results and answers with the last step', async () => {
		scriptPlan([step('s1', 'researcher', 'Collect facts about cost'), step('s2', 'analyst', 'Collect facts about efficiency'), step('s3', 'writer', 'Write the report', ['s1', 's2'])]);
		sim.addScript({ match: /^Collect facts about cost/, reply: 'COST-FACTS: panels cost less every year.' });
		sim.addScript({ match: /^Collect facts about efficiency/, reply: 'EFFICIENCY-FACTS: about 20 percent.' });
		sim.addScript({ match: /^Write the report/, reply: 'FINAL REPORT built on both.' });
		scriptReview(true, [{ id: 's1', ok: true }, { id: 's2', ok: true }, { id: 's3', ok: true }]);
		const events: ProgressEvent[] = [];
		const chunks: string[] = [];

		const result = await runOrchestrator(input(), { gateway, members: team(), onProgress: (e) => events.push(e), onAnswerChunk: (t) => chunks.push(t) });

		expect(result.status).toBe('completed');
		expect(result.response).toBe('FINAL REPORT built on both.');
		expect(chunks.join('')).toBe(result.response);
		expect(result.steps.map((s) => [s.id, s.member, s.status, s.verdict?.ok])).toEqual([
			['s1', 'researcher', 'ok', true],
			['s2', 'analyst', 'ok', true],
			['s3', 'writer', 'ok', true],
		]);
		const [s1, s2, s3] = result.steps;
		// s1 and s2 overlap; s3 starts after both end.
		expect(s2.timings.startMs).toBeLessThan(s1.timings.endMs);
		expect(s3.timings.startMs).toBeGreaterThanOrEqual(Math.max(s1.timings.endMs, s2.timings.endMs));
		const writerCall = chatBodies().find((b) => lastUser(b).startsWith('Write the report'))!;
		expect(lastUser(writerCall)).toContain('COST-FACTS');
		expect(lastUser(writerCall)).toContain('EFFICIENCY-FACTS');
		expect(writerCall.messages[0]).toEqual({ role: 'system', content: 'You are the writer.' });
		// The lead only planned and reviewed, on its own model; members ran on theirs.
		expect(result.lead.map((l) => l.role)).toEqual(['planner', 'reviewer']);
		expect(chatBodies().filter((b) => b.model === 'llama3.1:8b')).toHaveLength(2);
		expect(chatBodies().filter((b) => b.model === 'llama3.2:3b')).toHaveLength(3);
		// Totals are what the backend reported (prompt_eval_count may leave out a cached prefix), and
		// add up to the steps' and the lead's calls.
		expect(result.totals.tokens.completionTokens).toBe(sim.stats.evalTokens);
		const sum = (key: 'promptTokens' | 'completionTokens') => [...result.steps, ...result.lead].reduce((n, c) => n + c.tokens[key], 0);
		expect(result.totals.tokens.promptTokens).toBe(sum('promptTokens'));
		expect(result.totals.tokens.completionTokens).toBe(sum('completionTokens'));
		expect(result.totals.tokens.promptTokens).toBeGreaterThan(0);
		expect(result.totals.backendCalls).toBe(5);
		expect(result.totals.steps).toBe(3);
		expect(events.filter((e) => e.type === 'stepStart').map((e) => (e as { id: string }).id).sort()).toEqual(['s1', 's2', 's3']);
		expect(result.steps.every((s) => s.backend === 'sim' && s.tokens.totalTokens > 0)).toBe(true);
	});

	it('replans after a failed step, keeping the steps that passed and redoing the rest', async () => {
		const members = [member('researcher'), member('broken', { model: 'missing-model:1b' }), member('writer')];
		scriptPlan([step('s1', 'researcher', 'Find sources'), step('s2', 'broken', 'Summarise sources', ['s1']), step('s3', 'writer', 'Draft intro')]);
		scriptPlan([step('s1', 'researcher', 'Find sources'), step('s2', 'writer', 'Summarise sources', ['s1']), step('s3', 'writer', 'Draft intro')], /^REPLAN THE TASK/);
		scriptReview(true, [], 1);

		const result = await runOrchestrator(input({ review: false }), { gateway, members });

		expect(result.status).toBe('completed');
		expect(result.attempts).toBe(2);
		expect(result.steps.map((s) => [s.id, s.member, s.status, s.attempt])).toEqual([
			['s1', 'researcher', 'ok', 1],
			['s2', 'broken', 'failed', 1],
			['s3', 'writer', 'ok', 1],
			['s2', 'writer', 'ok', 2],
		]);
		expect(result.steps[1].error).toMatch(/missing-model:1b/);
		// The replanner was told what failed; s1 and s3 passed and were not run again.
		const replan = chatBodies().find((b) => lastUser(b).startsWith('REPLAN THE TASK'))!;
		expect(lastUser(replan)).toMatch(/s1 \[researcher\].*PASSED/);
		expect(lastUser(replan)).toMatch(/s2 \[broken\].*NEEDS WORK \(failed/);
		expect(chatBodies().filter((b) => lastUser(b).startsWith('Find sources'))).toHaveLength(1);
		expect(result.plan!.map((s) => s.member)).toEqual(['researcher', 'writer', 'writer']);
	});

	it('replans when a step returns an empty output, and the reviewer\'s rejection also drives a replan', async () => {
		scriptPlan([step('a', 'researcher', 'Gather data'), step('b', 'analyst', 'Check data'), step('c', 'writer', 'Summarise data', ['a', 'b'])]);
		sim.addScript({ match: /^Check data/, reply: '   ', times: 1 });
		sim.addScript({ match: /^Gather data/, reply: 'DATA' });
		// Attempt 2: redo b; the reviewer then rejects c once; attempt 3 rewrites c.
		scriptReview(false, [{ id: 'a', ok: true }], 1);
		scriptPlan([step('a', 'researcher', 'Gather data'), step('b', 'analyst', 'Check data again'), step('c', 'writer', 'Summarise data', ['a', 'b'])], /^REPLAN THE TASK/, 1);
		scriptReview(false, [{ id: 'c', ok: false, feedback: 'too vague' }], 1);
		scriptPlan([step('a', 'researcher', 'Gather data'), step('b', 'analyst', 'Check data again'), step('c2', 'writer', 'Summarise data precisely', ['a', 'b'])], /^REPLAN THE TASK/, 1);
		scriptReview(true);

		const result = await runOrchestrator(input(), { gateway, members: team() });

		expect(result.status).toBe('completed');
		expect(result.attempts).toBe(3);
		const first = result.steps.filter((s) => s.attempt === 1);
		expect(first.find((s) => s.id === 'b')).toMatchObject({ status: 'empty', verdict: { ok: false, by: 'checks' } });
		expect(first.find((s) => s.id === 'c')).toMatchObject({ status: 'skipped' });
		expect(result.steps.find((s) => s.id === 'c' && s.attempt === 2)!.verdict).toMatchObject({ ok: false, by: 'reviewer', feedback: 'too vague' });
		expect(result.steps.filter((s) => s.attempt === 3).map((s) => s.id)).toEqual(['c2']);
		expect(result.lead.map((l) => l.role)).toEqual(['planner', 'reviewer', 'planner', 'reviewer', 'planner', 'reviewer']);
	});

	it('retries a failed step on the member\'s fallback', async () => {
		const members = [member('primary', { model: 'missing-model:1b', fallback: 'backup' }), member('backup')];
		scriptPlan([step('s1', 'primary', 'Answer the question')]);
		scriptReview(true);
		const result = await runOrchestrator(input(), { gateway, members });
		expect(result.status).toBe('completed');
		expect(result.steps).toHaveLength(1);
		expect(result.steps[0]).toMatchObject({ id: 's1', member: 'backup', fallbackFrom: 'primary', status: 'ok' });
		expect(result.totals.steps).toBe(2);
	});

	it('the loop guard stops a replan that repeats a failed step, ending with the best result so far', async () => {
		const members = [member('researcher'), member('broken', { model: 'missing-model:1b' }), member('writer')];
		const plan = [step('s1', 'researcher', 'Find sources'), step('s2', 'broken', 'Use the sources', ['s1']), step('s3', 'writer', 'Write it up')];
		scriptPlan(plan);
		scriptPlan(plan, /^REPLAN THE TASK/);
		const result = await runOrchestrator(input({ review: false }), { gateway, members });
		expect(result.status).toBe('partial');
		expect(result.stoppedBy).toBe('loopGuard');
		expect(result.reason).toMatch(/loop guard/);
		const looped = result.steps.find((s) => s.attempt === 2)!;
		expect(looped).toMatchObject({ id: 's2', status: 'loop' });
		expect(looped.error).toMatch(/already ran this task with the same inputs as step s2 \(attempt 1\)/);
		// The failed step hit the backend once, not once per attempt.
		expect(chatBodies().filter((b) => b.model === 'missing-model:1b')).toHaveLength(1);
		expect(result.attempts).toBe(2);
		expect(result.response).toContain('s1 (researcher)');
		expect(result.response).toContain('s3 (writer)');
	});

	it('the loop guard stops a member\'s repeated tool call (same tool, same arguments) within the run and feeds back the earlier result', async () => {
		let runs = 0;
		const priceSearch: AgentTool = {
			name: 'price_search',
			description: 'Finds prices',
			parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
			invoke: async () => `PRICES: 300 per panel (search ${++runs})`,
		};
		const researcher = createModelMember({ name: 'researcher', description: 'finds prices', model: 'llama3.2:3b', system: 'You are the researcher.', tools: [priceSearch] }, { gateway, calibrator: defaultCalibrator });
		scriptPlan([step('s1', 'researcher', 'Look up panel prices'), step('s2', 'researcher', 'Check the panel prices again', ['s1'])]);
		scriptReview(true);
		// The model obeys the guard's feedback, but repeats the call once after the real result,
		// and the second step asks for the same search again.
		sim.addScript({ match: /^Loop guard: price_search/, on: 'lastMessage', reply: 'PRICES ANSWER from the earlier result.' });
		sim.addScript({ match: /^PRICES: /, on: 'lastMessage', toolCalls: [{ name: 'price_search', arguments: { q: 'solar panel prices' } }] });
		sim.addScript({ match: /panel prices/, toolCalls: [{ name: 'price_search', arguments: { q: 'solar panel prices' } }] });

		const result = await runOrchestrator(input(), { gateway, members: [researcher, member('writer')] });

		expect(result.status).toBe('completed');
		expect(runs).toBe(1); // one real search in the whole run
		expect(result.steps.map((s) => [s.id, s.status, s.toolRepeats, s.output])).toEqual([
			['s1', 'ok', 1, 'PRICES ANSWER from the earlier result.'],
			['s2', 'ok', 1, 'PRICES ANSWER from the earlier result.'],
		]);
		const toolMessages = chatBodies().flatMap((b) => b.messages.filter((m) => m.role === 'tool').map((m) => m.content));
		expect(toolMessages.some((m) => m.includes('its result was:\nPRICES: 300 per panel (search 1)'))).toBe(true);
		// The reviewer is told the guard stepped in.
		const review = chatBodies().find((b) => lastUser(b).startsWith('REVIEW THE RESULTS'))!;
		expect(lastUser(review)).toContain('Note: the loop guard stopped 1 repeated tool call(s) of this step');
	});

	it('stops early when more than half of the steps fail', async () => {
		const members = [member('researcher'), member('broken', { model: 'missing-model:1b' })];
		scriptPlan([step('s1', 'broken', 'Task one'), step('s2', 'broken', 'Task two'), step('s3', 'researcher', 'Task three', ['s1'])]);
		const result = await runOrchestrator(input({ maxParallel: 1 }), { gateway, members });
		expect(result.stoppedBy).toBe('failures');
		expect(result.status).toBe('failed');
		expect(result.attempts).toBe(1);
		expect(result.steps.map((s) => s.status)).toEqual(['failed', 'failed', 'skipped']);
	});

	it('gives up with a clear reason when the planner never returns valid JSON', async () => {
		sim.addScript({ match: /^PLAN THE TASK|cannot be used/, reply: 'Sure! First we research, then we write.' });
		const result = await runOrchestrator(input({ planRetries: 2 }), { gateway, members: team() });
		expect(result.status).toBe('failed');
		expect(result.stoppedBy).toBe('invalidPlan');
		expect(result.reason).toMatch(/invalid 3 time\(s\): the reply is not JSON/);
		expect(result.lead.filter((l) => l.role === 'planner')).toHaveLength(3);
		expect(result.steps).toHaveLength(0);
	});

	it.each([
		['an unknown member', [step('s1', 'astronaut', 'Fly')], /unknown member "astronaut"/],
		['an unknown step', [step('s1', 'writer', 'Write', ['s9'])], /depends on an unknown step "s9"/],
		['a cycle', [step('s1', 'writer', 'A', ['s2']), step('s2', 'analyst', 'B', ['s1'])], /cycle: s\d → s\d → s\d/],
	])('asks again for a plan that names %s, then fails naming the problem', async (_what, steps, problem) => {
		sim.addScript({ match: /^PLAN THE TASK|cannot be used/, reply: JSON.stringify({ steps }) });
		const result = await runOrchestrator(input(), { gateway, members: team() });
		expect(result.status).toBe('failed');
		expect(result.reason).toMatch(problem);
		const retry = chatBodies().filter((b) => b.model === 'llama3.1:8b').at(-1)!;
		expect(lastUser(retry)).toMatch(problem);
	});

	it('repairs what is unambiguous in a plan (string dependsOn, member case, missing ids)', async () => {
		sim.addScript({ match: /^PLAN THE TASK/, reply: '```json\n{"steps":[{"task":"Look up","member":"Researcher","dependsOn":[]},{"id":"w","task":"Write","member":"writer","dependsOn":"s1"}]}\n```' });
		scriptReview(true);
		const result = await runOrchestrator(input(), { gateway, members: team() });
		expect(result.status).toBe('completed');
		expect(result.plan).toEqual([
			{ id: 's1', task: 'Look up', member: 'researcher', dependsOn: [], expectedOutput: '' },
			{ id: 'w', task: 'Write', member: 'writer', dependsOn: ['s1'], expectedOutput: '' },
		]);
		expect(result.warnings.join(' ')).toMatch(/repaired: step 1 had no id.*member "Researcher" read as "researcher".*dependsOn was a string/);
	});
});

describe('cache', () => {
	it('a repeated run answers every lead and member call from the gateway cache', async () => {
		const cache = { mode: 'exact' as const, namespace: 'orchestrator-test' };
		const seeded = (name: string) =>
			createModelMember({ name, description: name, model: 'llama3.2:3b', system: `You are the ${name}.`, options: { seed: 1 }, cache }, { gateway, calibrator: defaultCalibrator });
		scriptPlan([step('s1', 'researcher', 'Look it up'), step('s2', 'writer', 'Write it', ['s1'])]);
		scriptReview(true);
		const run = () => runOrchestrator(input({ leadOptions: { seed: 7 }, cache }), { gateway, members: [seeded('researcher'), seeded('writer')] });
		const first = await run();
		const chatsAfterFirst = chatBodies().length;
		const second = await run();
		expect(first.status).toBe('completed');
		expect(first.totals.cacheHits).toBe(0);
		expect(second.status).toBe('completed');
		expect(chatBodies()).toHaveLength(chatsAfterFirst);
		expect(second.totals.cacheHits).toBe(first.totals.backendCalls);
		expect(second.steps.every((s) => s.cacheHit)).toBe(true);
		expect(second.response).toBe(first.response);
	});
});

describe('call hooks (the node\'s metrics)', () => {
	it('onCall sees every model call of the run, the lead\'s and the members\', and onCallFailed the failed ones', async () => {
		scriptPlan([step('s1', 'researcher', 'Find sources'), step('s2', 'broken', 'Check sources'), step('s3', 'writer', 'Write it up', ['s1'])]);
		scriptReview(true, [], 1);
		const seen: string[] = [];
		const failed: string[] = [];
		const result = await runOrchestrator(input({ planRetries: 0, budgets: { ...DEFAULT_BUDGETS, maxAttempts: 1 } }), {
			gateway,
			members: [member('researcher'), member('broken', { model: 'missing-model:1b' }), member('writer')],
			onCall: (call) => seen.push(`${call.model}@${call.backend}`),
			onCallFailed: (_error, call) => failed.push(call.model),
		});
		// One attempt: the planner, s1, s3 and the reviewer answered; s2's member failed (404).
		expect(seen.sort()).toEqual(['llama3.1:8b@sim', 'llama3.1:8b@sim', 'llama3.2:3b@sim', 'llama3.2:3b@sim']);
		expect(failed).toEqual(['missing-model:1b']);
		expect(result.totals.backendCalls).toBe(seen.length);
	});
});

describe('budgets and cancellation', () => {
	const threeSteps = [step('s1', 'researcher', 'One'), step('s2', 'analyst', 'Two', ['s1']), step('s3', 'writer', 'Three', ['s2'])];

	it('ends at the step budget (fallback retries count) with the best result so far and says so', async () => {
		const members = [member('researcher'), member('broken', { model: 'missing-model:1b', fallback: 'writer' }), member('writer')];
		scriptPlan([step('s1', 'researcher', 'One'), step('s2', 'broken', 'Two', ['s1']), step('s3', 'writer', 'Three', ['s2'])]);
		const result = await runOrchestrator(input({ budgets: { ...DEFAULT_BUDGETS, maxSteps: 3 } }), { gateway, members });
		expect(result.stoppedBy).toBe('steps');
		expect(result.status).toBe('partial');
		expect(result.reason).toMatch(/step budget \(Max Steps\)/);
		expect(result.steps.map((s) => [s.id, s.member, s.status])).toEqual([['s1', 'researcher', 'ok'], ['s2', 'writer', 'ok'], ['s3', 'writer', 'skipped']]);
		expect(result.totals.steps).toBe(3);
		expect(result.response).toBe(result.steps[1].output);
	});

	it('ends at the token budget', async () => {
		scriptPlan(threeSteps);
		const result = await runOrchestrator(input({ budgets: { ...DEFAULT_BUDGETS, maxTokens: 1 } }), { gateway, members: team() });
		expect(result.stoppedBy).toBe('tokens');
		expect(result.reason).toMatch(/token budget/);
		// The planner's call alone spends the budget: no step starts.
		expect(result.totals.steps).toBe(0);
		expect(result.status).toBe('failed');
	});

	it('fails a step past the step timeout and ends the run at its deadline, without hanging', async () => {
		scriptPlan([step('s1', 'researcher', 'Slow one')]);
		sim.addScript({ match: /^Slow one/, reply: 'late' });
		sim.setFaults({ firstTokenDelayMs: 10_000 });
		const started = Date.now();
		// The planner's own call is slow too: the run deadline stops it.
		const result = await runOrchestrator(input({ budgets: { ...DEFAULT_BUDGETS, runTimeoutMs: 300 } }), { gateway, members: team() });
		expect(Date.now() - started).toBeLessThan(3000);
		expect(result.stoppedBy).toBe('deadline');
		expect(result.status).toBe('failed');
		expect(result.reason).toMatch(/run deadline/);
	});

	it('a step past the step timeout fails, and the run goes on with the others', async () => {
		scriptPlan([step('s1', 'researcher', 'Quick'), step('s2', 'analyst', 'Slow one'), step('s3', 'writer', 'Also quick')]);
		// In-process members, so only the hanging one can reach the 200 ms step timeout on a loaded machine.
		const quick = (name: string): Member => ({ name, description: name, kind: 'model', run: async () => ({ output: `${name} done`, tokens: { promptTokens: 1, completionTokens: 1, totalTokens: 2 }, backendCalls: 1, cacheHits: 0, queueMs: 0 }) });
		const hanging: Member = { ...quick('analyst'), run: (_prompt, signal) => new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))) };
		const result = await runOrchestrator(input({ review: false, budgets: { ...DEFAULT_BUDGETS, stepTimeoutMs: 200, maxAttempts: 1 } }), { gateway, members: [quick('researcher'), hanging, quick('writer')] });
		expect(result.steps.map((s) => s.status)).toEqual(['ok', 'failed', 'ok']);
		expect(result.steps[1].error).toBe('the step timed out after 0.2 s (Step Timeout)');
		expect(result.stoppedBy).toBe('attempts');
		expect(result.status).toBe('partial');
	});

	it('cancelling stops running and queued steps', async () => {
		scriptPlan([step('s1', 'researcher', 'First'), step('s2', 'analyst', 'Second'), step('s3', 'writer', 'Third', ['s1', 's2'])]);
		sim.addScript({ match: /^(First|Second)/, reply: 'slow' });
		const controller = new AbortController();
		const events: ProgressEvent[] = [];
		const promise = runOrchestrator(input(), {
			gateway,
			members: team(),
			signal: controller.signal,
			onProgress: (e) => {
				events.push(e);
				if (e.type === 'stepStart' && events.filter((x) => x.type === 'stepStart').length === 2) {
					sim.setFaults({ firstTokenDelayMs: 5000 });
					setTimeout(() => controller.abort(), 50);
				}
			},
		});
		sim.setFaults({ firstTokenDelayMs: 0 });
		const started = Date.now();
		const result = await promise;
		expect(Date.now() - started).toBeLessThan(3000);
		expect(result.stoppedBy).toBe('cancelled');
		expect(result.steps.find((s) => s.id === 's3')).toMatchObject({ status: 'cancelled' });
		expect(events.filter((e) => e.type === 'stepStart').map((e) => (e as { id: string }).id).sort()).toEqual(['s1', 's2']);
		expect(chatBodies().some((b) => lastUser(b).startsWith('Third'))).toBe(false);
	});
});

describe('other strategies', () => {
	it('sequential: members in order, each output feeding the next', async () => {
		sim.addScript({ match: /^Explain tides$/, reply: 'FIRST-DRAFT about tides' });
		const result = await runOrchestrator(input({ strategy: 'sequential', task: 'Explain tides', useMembers: ['writer', 'analyst'] }), { gateway, members: team() });
		expect(result.status).toBe('completed');
		expect(result.steps.map((s) => s.member)).toEqual(['writer', 'analyst']);
		const second = chatBodies()[1];
		expect(second.messages[0].content).toBe('You are the analyst.');
		expect(lastUser(second)).toContain('FIRST-DRAFT about tides');
		expect(result.response).toBe(result.steps[1].output);
		expect(result.lead).toHaveLength(0);
	});

	it('parallel: every member at once, the synthesiser merges the answers', async () => {
		sim.addScript({ match: /^SYNTHESISE THE ANSWER/, reply: 'MERGED' });
		const chunks: string[] = [];
		const result = await runOrchestrator(input({ strategy: 'parallel', task: 'Name a colour' }), { gateway, members: team(), onAnswerChunk: (t) => chunks.push(t) });
		expect(result.status).toBe('completed');
		expect(result.response).toBe('MERGED');
		expect(chunks.join('')).toBe('MERGED');
		const synth = chatBodies().find((b) => lastUser(b).startsWith('SYNTHESISE'))!;
		for (const s of result.steps) expect(lastUser(synth)).toContain(s.output);
		expect(new Set(result.steps.map((s) => s.member))).toEqual(new Set(['researcher', 'analyst', 'writer']));
		expect(sim.stats.maxActive).toBeGreaterThanOrEqual(2);
	});

	it('parallel: a member that fails makes the result partial, not an error', async () => {
		const members = [member('researcher'), member('broken', { model: 'missing-model:1b' })];
		const result = await runOrchestrator(input({ strategy: 'parallel', task: 'Name a colour' }), { gateway, members });
		expect(result.status).toBe('partial');
		expect(result.reason).toMatch(/1 of 2 members did not answer: broken failed/);
		expect(result.response).toBe(result.steps.find((s) => s.member === 'researcher')!.output);
	});

	it('router: the lead picks the one member that answers', async () => {
		sim.addScript({ match: /^ROUTE THE TASK/, reply: '{"member":"analyst","reason":"numbers"}' });
		const result = await runOrchestrator(input({ strategy: 'router', task: 'What is 20% of 80?' }), { gateway, members: team() });
		expect(result.status).toBe('completed');
		expect(result.steps.map((s) => s.member)).toEqual(['analyst']);
		expect(chatBodies().filter((b) => b.model === 'llama3.2:3b')).toHaveLength(1);
		expect(result.lead.map((l) => l.role)).toEqual(['router']);
	});

	it('debate: members answer, revise having seen each other, and the judge decides', async () => {
		sim.addScript({ match: /^Is Pluto a planet\?$/, reply: 'ROUND-ONE answer' });
		sim.addScript({ match: /^JUDGE THE DEBATE/, reply: 'VERDICT' });
		const result = await runOrchestrator(input({ strategy: 'debate', task: 'Is Pluto a planet?', debateRounds: 2, useMembers: ['researcher', 'analyst'] }), { gateway, members: team() });
		expect(result.status).toBe('completed');
		expect(result.response).toBe('VERDICT');
		expect(result.steps.map((s) => s.id)).toEqual(['r1-researcher', 'r1-analyst', 'r2-researcher', 'r2-analyst']);
		const roundTwo = chatBodies().filter((b) => lastUser(b).includes('Other members answered'));
		expect(roundTwo).toHaveLength(2);
		expect(lastUser(roundTwo[0])).toContain('ROUND-ONE answer');
		const judge = chatBodies().find((b) => lastUser(b).startsWith('JUDGE'))!;
		expect(lastUser(judge)).toContain(result.steps[2].output);
		expect(result.attempts).toBe(2);
	});
});

describe('bad teams', () => {
	it.each([
		['no members', () => [], /no members/],
		['duplicate names', () => [member('writer'), member('Writer')], /Two members are named "Writer"/],
		['a fallback naming an unknown member', () => [member('writer', { fallback: 'ghost' })], /unknown fallback member "ghost"/],
	])('rejects %s before any model call', async (_what, members, message) => {
		await expect(runOrchestrator(input(), { gateway, members: members() })).rejects.toThrow(TeamError);
		await expect(runOrchestrator(input(), { gateway, members: members() })).rejects.toThrow(message);
		expect(sim.stats.requests).toBe(0);
	});

	it('rejects an unknown name in Members to Use', async () => {
		await expect(runOrchestrator(input({ strategy: 'parallel', useMembers: ['nobody'] }), { gateway, members: team() })).rejects.toThrow(/unknown member "nobody"/);
	});

	it('a member that always fails ends as failed with the reason, never a throw', async () => {
		const members = [member('broken', { model: 'missing-model:1b' })];
		for (const strategy of ['sequential', 'router', 'debate'] as const) {
			sim.addScript({ match: /^ROUTE THE TASK/, reply: '{"member":"broken"}' });
			const result = await runOrchestrator(input({ strategy }), { gateway, members });
			expect(result.status).toBe('failed');
			expect(result.reason).toMatch(/missing-model:1b/);
		}
	});
});
