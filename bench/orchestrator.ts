/**
 * Orchestrator: an 8-step plan with 3 independent branches under the supervisor strategy.
 *   npm run bench -- orchestrator [--rounds 3] [--runs 400] [--setups shared,packed,spread] [--part overhead|repeat]
 *
 * 1. Makespan against the simulator (4 slots per server, real decode time) on three clusters
 *    (--setups): the plan run as a dependency graph, against the same plan one step at a time
 *    (Max Parallel Steps = 1) and against the critical-path lower bound: the longest dependency
 *    chain of each step's uncontended duration, i.e. its duration in the one-at-a-time run on the
 *    same cluster. `shared` (one server) cannot reach that bound: three branches decoding at once
 *    on one GPU each run slower than alone. `packed` (three servers, the balancer's default
 *    strategy) shows where the steps went (it used to keep them on one backend with free slots).
 *    `spread` (three servers, Least Connections) gives each branch a backend: the fair setup for
 *    the goal. Each setup loads the models on every backend and runs once untimed first.
 * 2. Orchestration overhead per step with model time excluded: the same plan with an in-process
 *    lead and members that answer at once, so all that is timed is planning checks, the graph,
 *    the loop guard, budgets, review checks and traces.
 * 3. The same run repeated through one gateway with the response cache on (exact, every call seeded):
 *    backend calls and cache hits of the second run.
 */
import os from 'node:os';

import { Gateway } from '../lib/gateway';
import { createModelMember, DEFAULT_BUDGETS, runOrchestrator, type ChatGateway, type Member, type OrchestratorInput, type OrchestratorResult, type PlanStep } from '../lib/orchestrator';
import { defaultCalibrator } from '../lib/tokens';
import { spawnSimulator } from '../test/helpers/spawn-simulator';
import { goal } from './goals';
import type { BenchArgs } from './run';
import { fmt, summarise } from './stats';

const s = (id: string, member: string, dependsOn: string[] = []): PlanStep => ({ id, member, task: `Step ${id}: work on part ${id} of the report`, dependsOn, expectedOutput: `notes for ${id}` });
/** Branch A: a1 → a2 → a3; branch B: b1 → b2; branch C: c1 → c2; then the join j. */
const PLAN: PlanStep[] = [
	s('a1', 'researcher'), s('a2', 'analyst', ['a1']), s('a3', 'writer', ['a2']),
	s('b1', 'researcher'), s('b2', 'analyst', ['b1']),
	s('c1', 'researcher'), s('c2', 'analyst', ['c1']),
	s('j', 'writer', ['a3', 'b2', 'c2']),
];
const PLAN_REPLY = JSON.stringify({ steps: PLAN });
const REVIEW_REPLY = JSON.stringify({ satisfied: true, feedback: 'ok', steps: [] });

/**
 * Each round's task is new (the round in it), so a graph run finds no step's prompt in a slot's KV
 * cache from an earlier round. The one-at-a-time run after it has the same prompts (the simulator's
 * reply lengths follow the prompt, so both runs do the same work) and may find some cached: that
 * can only shorten the bound, never the graph run.
 */
const input = (maxParallel: number, round?: string): OrchestratorInput => ({
	task: `Write the quarterly report on our local LLM cluster${round ? ` (${round})` : ''}`,
	strategy: 'supervisor',
	leadModel: 'llama3.1:8b',
	leadOptions: { temperature: 0, seed: 7 },
	budgets: { ...DEFAULT_BUDGETS },
	review: true,
	debateRounds: 1,
	useMembers: [],
	maxParallel,
	planRetries: 0,
});

/** Longest dependency chain of the steps' durations. */
function criticalPath(durations: Map<string, number>): number {
	const finish = new Map<string, number>();
	for (const step of PLAN) finish.set(step.id, Math.max(0, ...step.dependsOn.map((d) => finish.get(d)!)) + durations.get(step.id)!);
	return Math.max(...finish.values());
}

/** From the first step's start to the last step's end: the execution phase. */
const makespan = (r: OrchestratorResult) => Math.max(...r.steps.map((t) => t.timings.endMs)) - Math.min(...r.steps.map((t) => t.timings.startMs));
const durationsOf = (r: OrchestratorResult) => new Map(r.steps.map((t) => [t.id, t.timings.durationMs]));

function check(result: OrchestratorResult) {
	if (result.status !== 'completed' || result.steps.length !== PLAN.length) throw new Error(`run did not complete: ${result.status} ${result.reason ?? ''}`);
}

/**
 * A cluster to run the makespan on. The bound is always measured on the same cluster: the
 * one-at-a-time run gives every step's uncontended duration there.
 */
interface Setup {
	name: string;
	what: string;
	servers: number;
	strategy: 'default' | 'leastConnections';
}
const SETUPS: Setup[] = [
	{ name: 'shared', what: '1 server, 4 slots: the 3 branches decode together on one simulated GPU (each stream slower than alone)', servers: 1, strategy: 'default' },
	{ name: 'packed', what: '3 servers, balancer default strategy: it spreads the branches when a stream beside others would finish later', servers: 3, strategy: 'default' },
	{ name: 'spread', what: '3 servers (one per branch), balancer Least Connections: each branch gets a backend of its own', servers: 3, strategy: 'leastConnections' },
];

/**
 * Decode rate of one stream alone: 40-60 tokens take about 0.5 s, a short model call. Much shorter
 * steps would mostly time HTTP and event loops that three simulator processes and the client
 * share on the bench machine's CPUs, which a real cluster does not.
 */
const DECODE_TPS = 100;

async function makespanBench(rounds: number, setup: Setup) {
	const sims = await Promise.all(
		Array.from({ length: setup.servers }, () =>
			spawnSimulator([
				'--parallel', '4', '--load-ms', '0', '--decode-tps', String(DECODE_TPS), '--reply-tokens-min', '40', '--reply-tokens-max', '60',
				'--script', JSON.stringify({ match: '^PLAN THE TASK', reply: PLAN_REPLY }),
				'--script', JSON.stringify({ match: '^REVIEW THE RESULTS', reply: REVIEW_REPLY }),
			]),
		),
	);
	const gateway = new Gateway({ backends: sims.map((sim, i) => ({ name: `sim-${i + 1}`, baseUrl: sim.url, weight: 1, parallel: 4 })), balancer: { strategy: setup.strategy } });
	const members = ['researcher', 'analyst', 'writer'].map((name) =>
		createModelMember({ name, description: `${name} work`, model: 'llama3.2:3b', system: `You are the ${name}.`, options: { temperature: 0, seed: 1 } }, { gateway, calibrator: defaultCalibrator }),
	);
	const rows: Array<{ graph: number; oneAtATime: number; cpSameRun: number; cpUncontended: number; runMs: number }> = [];
	/** Each step's duration when it ran beside others and when it ran alone: what sharing the server costs. */
	const perStep: Record<string, { graph: number; oneAtATime: number; queueMs: number; backends: string[] }> = {};
	try {
		// Every model loaded on every backend, then one whole run (connections, first generations): no cold start is timed.
		await gateway.warmUp({ model: 'llama3.2:3b' });
		await gateway.warmUp({ model: 'llama3.1:8b' });
		await runOrchestrator(input(0), { gateway, members });
		for (let round = 0; round < rounds; round++) {
			const graph = await runOrchestrator(input(0, `${setup.name} round ${round + 1}`), { gateway, members });
			const serial = await runOrchestrator(input(1, `${setup.name} round ${round + 1}`), { gateway, members });
			check(graph);
			check(serial);
			rows.push({ graph: makespan(graph), oneAtATime: makespan(serial), cpSameRun: criticalPath(durationsOf(graph)), cpUncontended: criticalPath(durationsOf(serial)), runMs: graph.totals.latencyMs });
			for (const t of graph.steps) {
				const row = (perStep[t.id] ??= { graph: 0, oneAtATime: 0, queueMs: 0, backends: [] });
				row.graph += t.timings.durationMs / rounds;
				row.queueMs += t.timings.queueMs / rounds;
				row.backends.push(t.backend ?? '?');
			}
			for (const t of serial.steps) perStep[t.id].oneAtATime += t.timings.durationMs / rounds;
		}
	} finally {
		await gateway.close();
		await Promise.all(sims.map((sim) => sim.stop()));
	}
	const mean = (key: keyof (typeof rows)[number]) => rows.reduce((sum, r) => sum + r[key], 0) / rows.length;
	// The first steps of the three branches start together: on how many backends did they run, round by round?
	const branchBackends = Array.from({ length: rounds }, (_, r) => new Set(['a1', 'b1', 'c1'].map((id) => perStep[id].backends[r])).size);
	return {
		setup: setup.name,
		what: setup.what,
		servers: setup.servers,
		strategy: setup.strategy,
		rounds,
		makespanMs: { graph: mean('graph'), oneAtATime: mean('oneAtATime') },
		criticalPathMs: { sameRun: mean('cpSameRun'), uncontended: mean('cpUncontended') },
		speedupVsOneAtATime: mean('oneAtATime') / mean('graph'),
		ratioToCriticalPath: mean('graph') / mean('cpSameRun'),
		ratioToUncontendedCriticalPath: mean('graph') / mean('cpUncontended'),
		wholeRunMs: mean('runMs'),
		branchBackends,
		perStepMs: perStep,
		loadAverage: os.loadavg()[0],
	};
}

/** A lead whose every call answers at once (plan or review), counted. */
function instantLead(): ChatGateway & { calls: number } {
	const lead = {
		calls: 0,
		async chat(request: { messages?: Array<{ content: string }> }) {
			lead.calls++;
			const content = request.messages!.at(-1)!.content.startsWith('PLAN') ? PLAN_REPLY : REVIEW_REPLY;
			return { model: 'lead', message: { role: 'assistant', content }, backend: 'none', latencyMs: 0, promptEvalCount: 1, evalCount: 1, totalMs: 0, loadMs: 0, promptEvalMs: 0, evalMs: 0, doneReason: 'stop', queueMs: 0, cacheHit: false, retries: 0, warnings: [] };
		},
	};
	return lead as never;
}

const instantMember = (name: string): Member => ({
	name,
	description: `${name} work`,
	kind: 'model',
	run: async (prompt) => ({ output: `${name} did: ${prompt.slice(0, 40)}`, tokens: { promptTokens: 1, completionTokens: 1, totalTokens: 2 }, backendCalls: 1, cacheHits: 0, queueMs: 0 }),
});

async function overheadBench(runs: number) {
	const members = ['researcher', 'analyst', 'writer'].map(instantMember);
	const lead = instantLead();
	for (let i = 0; i < 50; i++) check(await runOrchestrator(input(0), { gateway: lead, members })); // JIT warm-up
	const perRun: number[] = [];
	const cpu = process.cpuUsage();
	const started = performance.now();
	for (let i = 0; i < runs; i++) {
		const t0 = performance.now();
		check(await runOrchestrator(input(0), { gateway: lead, members }));
		perRun.push(performance.now() - t0);
	}
	const wallMs = performance.now() - started;
	const used = process.cpuUsage(cpu);
	const steps = runs * PLAN.length;
	const stats = summarise(perRun.map((ms) => ms / PLAN.length));
	// On a loaded machine wall time includes time the process waited for a CPU: CPU time does not.
	return {
		runs,
		steps,
		leadCalls: lead.calls,
		perStepMs: { p50: stats.p50, p99: stats.p99, meanWall: wallMs / steps, meanCpu: (used.user + used.system) / 1000 / steps },
		perRunMs: summarise(perRun),
		loadAverage: os.loadavg()[0],
	};
}

async function repeatBench() {
	const cache = { mode: 'exact' as const, namespace: 'bench-orchestrator' };
	const sim = await spawnSimulator([
		'--parallel', '4', '--load-ms', '0', '--time-scale', '0',
		'--script', JSON.stringify({ match: '^PLAN THE TASK', reply: PLAN_REPLY }),
		'--script', JSON.stringify({ match: '^REVIEW THE RESULTS', reply: REVIEW_REPLY }),
	]);
	const gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 4 }] });
	const members = ['researcher', 'analyst', 'writer'].map((name) =>
		createModelMember({ name, description: `${name} work`, model: 'llama3.2:3b', system: `You are the ${name}.`, options: { temperature: 0, seed: 1 }, cache }, { gateway, calibrator: defaultCalibrator }),
	);
	const requests = async () => ((await (await fetch(`${sim.url}/_sim/stats`)).json()) as { requests: number }).requests;
	try {
		const before = await requests();
		const first = await runOrchestrator({ ...input(0), cache }, { gateway, members });
		const middle = await requests();
		const second = await runOrchestrator({ ...input(0), cache }, { gateway, members });
		const after = await requests();
		return {
			first: { backendRequests: middle - before, cacheHits: first.totals.cacheHits, latencyMs: first.totals.latencyMs },
			second: { backendRequests: after - middle, cacheHits: second.totals.cacheHits, latencyMs: second.totals.latencyMs },
			cacheActive: second.totals.cacheHits > 0,
		};
	} finally {
		await gateway.close();
		await sim.stop();
	}
}

function printOverhead(o: Awaited<ReturnType<typeof overheadBench>>) {
	goal('orchestrator: overhead per step, p99 wall', o.perStepMs.p99, '<', 2, ' ms');
	console.log(
		`overhead per step, model time excluded (instant lead and members), ${o.runs} runs x 8 steps: p50 ${fmt(o.perStepMs.p50, 3)} ms, ` +
			`mean CPU ${fmt(o.perStepMs.meanCpu, 3)} ms, mean wall ${fmt(o.perStepMs.meanWall, 3)} ms, p99 wall ${fmt(o.perStepMs.p99, 3)} ms (goal < 2 ms; load average ${fmt(o.loadAverage, 1)})`,
	);
}

export async function run(args: BenchArgs) {
	const rounds = Number(args.rounds ?? 3);
	const runs = Number(args.runs ?? 400);
	if (args.part === 'repeat') return { repeat: await repeatBench() };
	if (args.part === 'overhead') {
		const overhead = await overheadBench(runs);
		printOverhead(overhead);
		return { overhead };
	}
	const wanted = typeof args.setups === 'string' ? args.setups.split(',') : SETUPS.map((x) => x.name);
	const unknown = wanted.filter((name) => !SETUPS.some((x) => x.name === name));
	if (unknown.length) throw new Error(`unknown setup(s) ${unknown.join(', ')}; known: ${SETUPS.map((x) => x.name).join(', ')}`);
	const makespans = [];
	for (const setup of SETUPS.filter((x) => wanted.includes(x.name))) makespans.push(await makespanBench(rounds, setup));
	const overhead = await overheadBench(runs);
	const repeat = await repeatBench();

	console.log(`orchestrator: supervisor, 8-step plan with 3 independent branches (a1→a2→a3, b1→b2, c1→c2, then j), ${rounds} rounds per setup`);
	console.log('makespan: first step start → last step end; bound: the longest dependency chain of each step\'s duration when it ran alone');
	console.log('(the one-step-at-a-time run on the same cluster, right after the graph run), goal graph / bound <= 1.1 on a cluster as wide as the graph');
	for (const m of makespans) {
		console.log(`\n[${m.setup}] ${m.what}; simulator ${DECODE_TPS} tokens/s per stream alone, 40-60 tokens per reply (load average ${fmt(m.loadAverage, 1)})`);
		console.log(`  dependency graph      ${fmt(m.makespanMs.graph, 0).padStart(6)} ms`);
		console.log(`  one step at a time    ${fmt(m.makespanMs.oneAtATime, 0).padStart(6)} ms   speed-up ${fmt(m.speedupVsOneAtATime)}x`);
		console.log(`  critical path, uncontended (one-at-a-time) durations  ${fmt(m.criticalPathMs.uncontended, 0).padStart(6)} ms   graph / bound ${fmt(m.ratioToUncontendedCriticalPath, 3)}`);
		console.log(`  critical path, the graph run's own step durations     ${fmt(m.criticalPathMs.sameRun, 0).padStart(6)} ms   graph / that ${fmt(m.ratioToCriticalPath, 3)} (scheduling alone)`);
		console.log(`  backends the first steps a1, b1, c1 ran on, per round: ${m.branchBackends.map((n) => `${n} of 3 distinct`).join(', ')} (${['a1', 'b1', 'c1'].map((id) => `${id} ${m.perStepMs[id].backends.join('/')}`).join(', ')})`);
		console.log(`  whole run (plan + steps + review)  ${fmt(m.wholeRunMs, 0).padStart(6)} ms`);
		// The goal holds where the cluster is as wide as the graph (three servers, one per branch).
		if (m.setup !== 'shared') goal(`orchestrator [${m.setup}]: graph makespan / critical-path bound`, m.ratioToUncontendedCriticalPath, '<=', 1.1, '×');
	}
	printOverhead(overhead);
	console.log(
		`repeated run, cache on (exact, lead and members seeded): backend requests ${repeat.first.backendRequests} → ${repeat.second.backendRequests}, ` +
			`cache hits ${repeat.first.cacheHits} → ${repeat.second.cacheHits}, run ${fmt(repeat.first.latencyMs, 1)} → ${fmt(repeat.second.latencyMs, 1)} ms (simulator with zero compute time)` +
			(repeat.cacheActive ? '' : ' — no cache hits: the gateway cache did not answer'),
	);
	return { plan: PLAN.map((p) => ({ id: p.id, dependsOn: p.dependsOn })), makespans, overhead, repeat };
}
