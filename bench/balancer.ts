/**
 * Load balancing over several simulated Ollama servers (each its own process), strategy against
 * strategy in the same run:
 *   strategies  3 backends × 4 slots, one 3× slower, mixed reply lengths: makespan, p50/p99, spread, vs the capacity bound (work ÷ speed)
 *   prefix      multi-turn sessions: total prefill time and p50 TTFT, prefix-aware (default) vs least connections
 *   eviction    two models, three backends with VRAM for one model each: cold loads and evictions per strategy
 *   learned     backends of 1, 2 and 4 slots configured as 0 = learn vs the true slots: throughput
 *   failover    one backend killed at 30 % of the run, restarted at 70 %: failures, duplicates, p99, recovery time
 *   shared      two gateways on the same backends, with and without shared state in Redis: in flight per backend
 *   npm run bench -- balancer [--part strategies,prefix,...] [--requests 600] [--strategies default,leastConnections] [--sessions 60] [--turns 10] [--concurrency 8]
 */
import { Gateway } from '../lib/gateway';
import { STRATEGIES, type BalancerSettings, type Strategy } from '../lib/balancer';
import { closeRedisClient, createRedisClient } from '../lib/redis';
import type { ChatRequest } from '../lib/ollama';
import { startTestRedis } from '../test/helpers/redis-server';
import { spawnSimulator, type SimulatorProcess } from '../test/helpers/spawn-simulator';
import { DEFAULT_COST_MODEL, startSimulator, type SimStats } from '../test/simulator';
import { preloadSimulatorTokenizer } from '../lib/balancer/simulators.fixture';
import { goal } from './goals';
import type { BenchArgs } from './run';
import { fmt, summarise } from './stats';

const MODEL = 'llama3.2:3b';
const BIG = 'llama3.1:8b';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sim extends SimulatorProcess {
	args: string[];
}

/** Simulator processes, each warmed with one chat so its tokenizer (seconds to load) is ready before anything is timed. */
async function startSims(argsList: string[][]): Promise<Sim[]> {
	return await Promise.all(
		argsList.map(async (args) => {
			const sim = { ...(await spawnSimulator(args)), args };
			await warm(sim);
			return sim;
		}),
	);
}
async function warm(sim: { url: string }) {
	const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'warm up' }], stream: false, options: { num_predict: 1 } });
	await (await fetch(`${sim.url}/api/chat`, { method: 'POST', body })).text();
}
async function stats(sim: { url: string }): Promise<SimStats> {
	return (await (await fetch(`${sim.url}/_sim/stats`)).json()) as SimStats;
}
async function reset(sims: Array<{ url: string }>) {
	await Promise.all(sims.map((s) => fetch(`${s.url}/_sim/reset`, { method: 'POST', body: '{}' }).then((r) => r.text())));
}
async function unloadAll(sims: Array<{ url: string }>) {
	await Promise.all(sims.map((s) => fetch(`${s.url}/_sim/unload`, { method: 'POST', body: '{}' }).then((r) => r.text())));
}

function gatewayFor(sims: Array<{ url: string }>, slots: number[], balancer: BalancerSettings, weights?: number[]) {
	return new Gateway({
		backends: sims.map((s, i) => ({ name: `gpu-${i + 1}`, baseUrl: s.url, weight: weights?.[i] ?? 1, parallel: slots[i] })),
		embedBatching: false,
		balancer: { healthIntervalMs: 0, ...balancer },
	});
}

const prompt = (i: number): ChatRequest => ({ model: MODEL, messages: [{ role: 'user', content: `Request ${i}: summarise item ${i * 7919}` }] });

/**
 * Aggregate decode rate (tokens per ms) of one backend with `slots` sequences decoding, from the
 * simulator's step model (a step costs stepMs + decodeTokenMs per sequence; --decode-tps scales both).
 */
function decodeRate(decodeTps: number, slots: number): number {
	const { stepMs, decodeTokenMs } = DEFAULT_COST_MODEL;
	const scale = 1000 / decodeTps / (stepMs + decodeTokenMs);
	return slots / (scale * (stepMs + slots * decodeTokenMs));
}
/** How much slower than the default single-stream rate a backend's steps are (--decode-tps scales stepMs and decodeTokenMs). */
const stepScale = (decodeTps: number) => 1000 / decodeTps / (DEFAULT_COST_MODEL.stepMs + DEFAULT_COST_MODEL.decodeTokenMs);

/**
 * The capacity bound under the simulator's shared-compute model (test/simulator/compute.ts), what
 * no routing can beat. A request holds its slot for its prompt's step (no token comes out of it),
 * one step per reply token, and the step during which it was admitted: a slot freed at the end of
 * a step is refilled only after the next step was planned, so it stays empty for that step. A
 * backend with `slots` slots therefore runs at least Σ(reply + 2) ÷ slots steps (the first request
 * of each slot skips the admission step), each costing stepMs plus decodeTokenMs per token decoded
 * in it, plus prefillTokenMs per prompt token. Splitting that work over backends of different speed
 * (fluid, so it is a lower bound) gives total work ÷ total speed.
 */
function workBound(replies: number[], promptTokens: number, tps: number[], slots: number, prefillTps: number): number {
	const { stepMs, decodeTokenMs } = DEFAULT_COST_MODEL;
	const slotSteps = replies.reduce((sum, e) => sum + e + 2, 0) - slots * tps.length;
	const tokens = replies.reduce((sum, e) => sum + e, 0);
	// in ms at the default speed; a backend at stepScale k does it k times slower
	const work = (slotSteps / slots) * stepMs + tokens * decodeTokenMs;
	const speed = tps.reduce((sum, t) => sum + 1 / stepScale(t), 0);
	return work / speed + (promptTokens * (1000 / prefillTps)) / tps.length;
}

async function strategies(args: BenchArgs) {
	// Slow enough that the simulated GPU time, not this machine's CPU, dominates (the bound is simulated time).
	const total = Number(args.requests ?? 600);
	const prefillTps = 50000;
	const common = ['--parallel', '4', '--prefill-tps', String(prefillTps), '--load-ms', '0', '--reply-tokens-min', '4', '--reply-tokens-max', '16'];
	const tps = [100, 100, 100 / 3];
	const sims = await startSims(tps.map((t) => [...common, '--decode-tps', String(t)]));
	const weights = [3, 3, 1];
	console.log(`strategies: ${total} requests, 3 backends × 4 slots, decode ${tps.map((t) => fmt(t, 0)).join('/')} tok/s single-stream (gpu-3 3× slower), weights ${weights.join(':')}, replies 4-16 tokens`);
	console.log('  bound (a MODEL, computed, not measured) = the work under the simulator\'s step model (each request: its prompt step, one step per reply token, the step it waits to be admitted) ÷ the three backends\' speed; decode-only bound = reply tokens ÷ the 4-slot decode rate (no prompt or admission steps), for comparison');
	const out: Record<string, unknown> = {};
	const { stepMs, decodeTokenMs } = DEFAULT_COST_MODEL;
	try {
		const chosen = typeof args.strategies === 'string' ? (args.strategies.split(',') as Strategy[]) : (['roundRobin', 'weightedRoundRobin', 'leastConnections', 'leastLatency', 'default'] as Strategy[]);
		// and the default without its end-of-burst rule, side by side
		if (!args.strategies) chosen.push('default-no-hold' as Strategy);
		for (const strategy of chosen) {
			const settings: BalancerSettings = strategy === ('default-no-hold' as Strategy) ? { strategy: 'default', holdForFaster: false } : { strategy };
			const gateway = gatewayFor(sims, [4, 4, 4], settings, weights);
			await gateway.warmUp({ model: MODEL });
			const before = await Promise.all(sims.map(stats));
			const t0 = performance.now();
			const latencies: number[] = [];
			const replies: number[] = [];
			let promptTokens = 0;
			const perBackend: Record<string, number> = {};
			const lastDone: Record<string, number> = {};
			await Promise.all(
				Array.from({ length: total }, async (_, i) => {
					const r = await gateway.chat(prompt(i));
					const at = performance.now() - t0;
					latencies.push(at);
					replies.push(r.evalCount);
					promptTokens += r.promptEvalCount;
					perBackend[r.backend] = (perBackend[r.backend] ?? 0) + 1;
					lastDone[r.backend] = Math.max(lastDone[r.backend] ?? 0, at);
				}),
			);
			const makespan = performance.now() - t0;
			const after = await Promise.all(sims.map(stats));
			const tokens = replies.reduce((sum, e) => sum + e, 0);
			const decodeBound = tokens / tps.reduce((sum, t) => sum + decodeRate(t, 4), 0);
			const bound = workBound(replies, promptTokens, tps, 4, prefillTps);
			// Where each backend's time went: its engine's compute (steps × their cost, from the
			// simulator's counters) against the makespan, and how full its steps were against the
			// unavoidable prompt and admission steps (1 = only those).
			const backends = sims.map((_, b) => {
				const k = stepScale(tps[b]);
				const steps = after[b].steps - before[b].steps;
				const evalTokens = after[b].evalTokens - before[b].evalTokens;
				const completed = after[b].completed - before[b].completed;
				const busyMs = k * (steps * stepMs + evalTokens * decodeTokenMs) + (after[b].promptTokens - before[b].promptTokens) * (1000 / prefillTps);
				return { busyShare: busyMs / makespan, slotFill: (evalTokens + 2 * completed) / (4 * Math.max(1, steps)), lastMs: lastDone[`gpu-${b + 1}`] ?? 0 };
			});
			const s = summarise(latencies);
			out[strategy] = { makespanMs: makespan, boundMs: bound, vsBound: makespan / bound, decodeBoundMs: decodeBound, vsDecodeBound: makespan / decodeBound, p50Ms: s.p50, p99Ms: s.p99, perBackend, backends };
			console.log(`  ${strategy.padEnd(18)} makespan ${fmt(makespan / 1000)} s = ${fmt(makespan / bound)}× bound (${fmt(bound / 1000)} s), ${fmt(makespan / decodeBound)}× decode-only (${fmt(decodeBound / 1000)} s)  p50 ${fmt(s.p50 / 1000)} s  p99 ${fmt(s.p99 / 1000)} s  per backend ${JSON.stringify(perBackend)}`);
			console.log(`  ${''.padEnd(18)} engine busy ${backends.map((b) => `${fmt(100 * b.busyShare, 0)} %`).join('/')} of the makespan, slot fill ${backends.map((b) => fmt(b.slotFill)).join('/')}, last reply at ${backends.map((b) => fmt(b.lastMs / 1000)).join('/')} s`);
			await gateway.close();
		}
		const rr = out.roundRobin as { p99Ms: number } | undefined;
		const def = out.default as { p99Ms: number; makespanMs: number; vsBound: number; vsDecodeBound: number } | undefined;
		// The bound is a model of the simulator; the best strategy actually measured in this run stands beside it.
		const [bestName, best] = Object.entries(out as Record<string, { makespanMs: number }>).sort(([, a], [, b]) => a.makespanMs - b.makespanMs)[0] ?? [];
		if (best) console.log(`  best measured: ${bestName} ${fmt(best.makespanMs / 1000)} s (the model's bound: ${fmt(best.makespanMs / (best as unknown as { vsBound: number }).vsBound / 1000)} s)`);
		if (rr && def) {
			console.log(`  default: ${fmt(def.vsBound)}× the model's bound (goal ≤ 1.1; ${fmt(def.vsDecodeBound)}× the decode-only bound), ${fmt(def.makespanMs / best!.makespanMs)}× the best measured strategy, p99 ${fmt(def.p99Ms / rr.p99Ms)}× round robin's (goal ≤ 0.5)`);
			goal('strategies: default makespan / the model\'s bound', def.vsBound, '<=', 1.1, '×');
			goal('strategies: default p99 / round robin p99', def.p99Ms / rr.p99Ms, '<=', 0.5, '×');
		}
	} finally {
		await Promise.all(sims.map((s) => s.stop()));
	}
	return out;
}

async function prefix(args: BenchArgs) {
	const sessions = Number(args.sessions ?? 60);
	const turns = Number(args.turns ?? 10);
	const concurrency = Number(args.concurrency ?? 8);
	const timeScale = Number(args['time-scale'] ?? 0.05);
	const sims = await startSims([0, 1, 2].map(() => ['--parallel', '4', '--load-ms', '0', '--decode-tps', '25', '--prefill-tps', '4000', '--reply-tokens-min', '8', '--reply-tokens-max', '16', '--time-scale', String(timeScale)]));
	const system = 'You are a support agent for a hardware shop. Answer briefly and cite the manual. '.repeat(6);
	const document = (s: number) => `Manual of product ${s}: ` + Array.from({ length: 120 }, (_, k) => `section ${k} of product ${s} says step ${(k * 31 + s) % 97} matters.`).join(' ');
	console.log(`prefix: ${sessions} sessions × ${turns} turns, ${concurrency} sessions at a time (12 slots), 3 backends × 4 slots, prefill 4000 tok/s, time scale ${timeScale}; prefill = Ollama's prompt_eval_duration summed, TTFT measured by the client (at the time scale)`);
	const out: Record<string, unknown> = {};
	try {
		for (const strategy of ['leastConnections', 'default'] as Strategy[]) {
			await unloadAll(sims);
			await reset(sims);
			const gateway = gatewayFor(sims, [4, 4, 4], { strategy });
			await gateway.warmUp({ model: MODEL });
			let prefillMs = 0;
			let promptTokens = 0;
			const ttft: number[] = [];
			let next = 0;
			const t0 = performance.now();
			const worker = async () => {
				while (next < sessions) {
					const s = next++;
					const messages: ChatRequest['messages'] = [{ role: 'system', content: system }];
					for (let turn = 0; turn < turns; turn++) {
						messages!.push({ role: 'user', content: turn === 0 ? `${document(s)}\nQuestion 1: what matters first?` : `Question ${turn + 1}: and then?` });
						const sent = performance.now();
						let first = 0;
						const r = await gateway.chat({ model: MODEL, messages: [...messages!] }, { onChunk: () => (first ||= performance.now()) });
						prefillMs += r.promptEvalMs;
						promptTokens += r.promptEvalCount;
						ttft.push((first || performance.now()) - sent);
						messages!.push(r.message);
					}
				}
			};
			await Promise.all(Array.from({ length: concurrency }, worker));
			const wall = performance.now() - t0;
			const cached = (await Promise.all(sims.map(stats))).reduce((sum, st) => sum + st.cachedPromptTokens, 0);
			const s = summarise(ttft);
			out[strategy] = { prefillMs, promptTokens, cachedPromptTokens: cached, p50TtftMs: s.p50, wallMs: wall };
			console.log(`  ${strategy.padEnd(18)} prefill ${fmt(prefillMs / 1000)} s total, prompt tokens from cache ${fmt((100 * cached) / promptTokens, 1)} %, p50 TTFT ${fmt(s.p50)} ms, wall ${fmt(wall / 1000)} s`);
			await gateway.close();
		}
		const lc = out.leastConnections as { prefillMs: number };
		const def = out.default as { prefillMs: number };
		goal('prefix: least-connections prefill / default prefill', lc.prefillMs / def.prefillMs, '>=', 2, '×');
		console.log(`  prefix-aware: ${fmt(lc.prefillMs / def.prefillMs)}× less prefill time than least connections (goal ≥ 2), p50 TTFT ${fmt((out.default as { p50TtftMs: number }).p50TtftMs / (out.leastConnections as { p50TtftMs: number }).p50TtftMs)}× theirs`);
	} finally {
		await Promise.all(sims.map((s) => s.stop()));
	}
	return out;
}

async function eviction(args: BenchArgs) {
	const total = Number(args['eviction-requests'] ?? 300);
	// Each model fits alone in 7 GiB (3b: ~2.9 GB, 8b: ~6 GB with 2 slots × 4096 context); both do not.
	const sims = await startSims([0, 1, 2].map(() => ['--parallel', '2', '--vram-gib', '7', '--system-memory-gib', '0', '--load-ms', '400', '--decode-tps', '500', '--prefill-tps', '50000', '--reply-tokens-min', '4', '--reply-tokens-max', '24']));
	console.log(`eviction: ${total} requests, models ${MODEL} and ${BIG} interleaved, 3 backends × 2 slots, VRAM for one model each, load 400 ms`);
	const out: Record<string, unknown> = {};
	try {
		for (const strategy of ['roundRobin', 'leastConnections', 'leastLatency', 'default'] as Strategy[]) {
			await unloadAll(sims);
			await sleep(300);
			await reset(sims);
			const gateway = gatewayFor(sims, [2, 2, 2], { strategy, healthIntervalMs: 500 });
			const t0 = performance.now();
			let failed = 0;
			await Promise.all(
				Array.from({ length: total }, (_, i) => gateway.chat({ ...prompt(i), model: i % 2 ? BIG : MODEL }).catch(() => failed++)),
			);
			const wall = performance.now() - t0;
			const st = await Promise.all(sims.map(stats));
			const loads = st.reduce((sum, x) => sum + x.loads, 0);
			const unloads = st.reduce((sum, x) => sum + x.unloads, 0);
			out[strategy] = { loads, evictions: unloads, wallMs: wall, failed };
			console.log(`  ${strategy.padEnd(18)} cold loads ${loads}, evictions ${unloads}, wall ${fmt(wall / 1000)} s, failed ${failed}`);
			await gateway.close();
		}
	} finally {
		await Promise.all(sims.map((s) => s.stop()));
	}
	return out;
}

async function learned(args: BenchArgs) {
	const total = Number(args['learned-requests'] ?? 1200);
	const slots = [1, 2, 4];
	const sims = await startSims(slots.map((p) => ['--parallel', String(p), '--load-ms', '0', '--decode-tps', '500', '--prefill-tps', '50000', '--reply-tokens-min', '8', '--reply-tokens-max', '24']));
	console.log(`learned slots: ${total} requests, backends of ${slots.join(', ')} slots, configured as 0 = learn vs the true slots`);
	const out: Record<string, unknown> = {};
	try {
		// true, learned, learned, true: neither always runs on warmer processes
		const runs = [['true slots', slots], ['learned (0)', [0, 0, 0]], ['learned (0)', [0, 0, 0]], ['true slots', slots]] as const;
		const walls: Record<string, number> = {};
		for (const [name, configured] of runs) {
			const gateway = gatewayFor(sims, [...configured], {});
			await gateway.warmUp({ model: MODEL });
			const t0 = performance.now();
			await Promise.all(Array.from({ length: total }, (_, i) => gateway.chat(prompt(i))));
			const wall = performance.now() - t0;
			walls[name] = (walls[name] ?? 0) + wall;
			const learnedSlots = ['gpu-1', 'gpu-2', 'gpu-3'].map((b) => gateway.balancer.slots(b, MODEL));
			out[name] = { rps: (2 * total * 1000) / walls[name], slots: learnedSlots };
			console.log(`  ${name.padEnd(12)} ${fmt((total / wall) * 1000, 1)} req/s, slots used at the end ${learnedSlots.join('/')}`);
			await gateway.close();
		}
		const ratio = (out['learned (0)'] as { rps: number }).rps / (out['true slots'] as { rps: number }).rps;
		console.log(`  learned / true: ${fmt(100 * ratio, 1)} % of the throughput (goal ≥ 95 %)`);
		goal('learned slots: throughput / true slots', 100 * ratio, '>=', 95, ' %');
		out.ratio = ratio;
	} finally {
		await Promise.all(sims.map((s) => s.stop()));
	}
	return out;
}

async function failover(args: BenchArgs) {
	const total = Number(args['failover-requests'] ?? 1500);
	// In this process, so a restart is a listen on the same port (a spawned process would take
	// seconds to start and load its tokenizer, longer than the rest of the run).
	const options = { parallel: 4, loadMs: 100, decodeTokensPerSec: 500, prefillTokensPerSec: 50_000, replyTokensMin: 8, replyTokensMax: 24 };
	const sims = await Promise.all([0, 1, 2].map(() => startSimulator(options)));
	const settings: BalancerSettings = { healthIntervalMs: 200, cooldownMs: 500, failureThreshold: 3 };
	console.log(`failover: ${total} requests, 3 in-process backends × 4 slots, gpu-2 killed at 30 % and restarted at 70 % of the completions; probes every 200 ms, cooldown 500 ms`);
	const gateway = gatewayFor(sims, [4, 4, 4], settings);
	try {
		await gateway.warmUp({ model: MODEL });
		const answered = new Map<number, number>();
		const latencies: number[] = [];
		let failed = 0;
		let done = 0;
		let killedAt = 0;
		let restartedAt = 0;
		let backAt = 0;
		const served: Record<string, number> = {};
		let restarting: Promise<void> | undefined;
		const t0 = performance.now();
		await Promise.all(
			Array.from({ length: total }, async (_, i) => {
				try {
					const r = await gateway.chat(prompt(i));
					latencies.push(performance.now() - t0);
					answered.set(i, (answered.get(i) ?? 0) + 1);
					served[r.backend] = (served[r.backend] ?? 0) + 1;
					if (r.backend === 'gpu-2' && restartedAt && !backAt) backAt = performance.now();
				} catch {
					failed++;
				}
				done++;
				if (done >= 0.3 * total && !killedAt) {
					killedAt = performance.now();
					void sims[1].close();
				}
				if (done >= 0.7 * total && !restarting) {
					restarting = (async () => {
						sims[1] = await startSimulator({ ...options, port: sims[1].port });
						restartedAt = performance.now();
					})();
				}
			}),
		);
		await restarting;
		const duplicates = [...answered.values()].filter((n) => n > 1).length;
		const s = summarise(latencies);
		const out = {
			failed,
			duplicates,
			answered: answered.size,
			p50Ms: s.p50,
			p99Ms: s.p99,
			recoveryMs: backAt ? backAt - restartedAt : null,
			errorsOnKilled: gateway.balancer.health()[1].errors,
			perBackend: served,
		};
		goal('failover: failed calls', failed, '==', 0);
		goal('failover: duplicate replies', duplicates, '==', 0);
		console.log(`  failed ${failed} (goal 0), duplicate replies ${duplicates} (goal 0), answered ${answered.size}/${total}, p50 ${fmt(s.p50 / 1000)} s, p99 ${fmt(s.p99 / 1000)} s, per backend ${JSON.stringify(served)}`);
		console.log(`  restarted gpu-2 answered again ${backAt ? `${fmt(backAt - restartedAt, 0)} ms after it listened` : 'never (the run ended first)'}; failed attempts on gpu-2 (retried elsewhere) ${out.errorsOnKilled}`);
		return out;
	} finally {
		await gateway.close();
		await Promise.all(sims.map((s) => s.close()));
	}
}

async function shared(args: BenchArgs) {
	const total = Number(args['shared-requests'] ?? 300);
	// Calls of a few hundred ms (real LLM calls last seconds): state is exchanged every 50 ms.
	const sims = await startSims([0, 1, 2].map(() => ['--parallel', '4', '--load-ms', '0', '--decode-tps', '100', '--prefill-tps', '50000', '--reply-tokens-min', '20', '--reply-tokens-max', '60']));
	const redis = await startTestRedis();
	console.log(`shared: two gateways (one process, each its own Redis client), ${total} requests each at once, 3 backends × 4 slots (+1 look-ahead)`);
	const out: Record<string, unknown> = {};
	try {
		for (const withRedis of [false, true]) {
			const clients = withRedis ? [createRedisClient(redis.config, { lazyConnect: false }), createRedisClient(redis.config, { lazyConnect: false })] : [];
			const gateways = [0, 1].map(() => gatewayFor(sims, [4, 4, 4], { syncMs: 50 }));
			clients.forEach((c, i) => gateways[i].shareState(c));
			await Promise.all(gateways.map((g) => g.warmUp({ model: MODEL })));
			await sleep(200);
			await reset(sims);
			const samples: number[][] = [];
			let running = true;
			const sampler = (async () => {
				while (running) {
					const st = await Promise.all(sims.map(stats));
					samples.push(st.map((x) => x.active + x.queued));
					await sleep(50);
				}
			})();
			const t0 = performance.now();
			await Promise.all(gateways.flatMap((g, w) => Array.from({ length: total }, (_, i) => g.chat(prompt(w * total + i)))));
			const wall = performance.now() - t0;
			running = false;
			await sampler;
			const st = await Promise.all(sims.map(stats));
			const busy = samples.filter((row) => row.some((n) => n > 0));
			const mean = [0, 1, 2].map((b) => busy.reduce((sum, row) => sum + row[b], 0) / (busy.length || 1));
			const spread = busy.reduce((sum, row) => sum + (Math.max(...row) - Math.min(...row)), 0) / (busy.length || 1);
			const name = withRedis ? 'shared state' : 'no shared state';
			out[name] = { maxInFlightPerBackend: st.map((x) => x.maxActive + x.maxQueued), maxQueuedAtServer: st.map((x) => x.maxQueued), meanInFlight: mean, meanSpread: spread, wallMs: wall };
			console.log(`  ${name.padEnd(16)} max in flight per backend ${st.map((x) => x.maxActive + x.maxQueued).join('/')} (slots 4 + look-ahead 1), queued at the servers max ${st.map((x) => x.maxQueued).join('/')}, mean in flight ${mean.map((m) => fmt(m, 1)).join('/')}, mean spread ${fmt(spread, 1)}, wall ${fmt(wall / 1000)} s`);
			await Promise.all(gateways.map((g) => g.close()));
			await Promise.all(clients.map(closeRedisClient));
		}
	} finally {
		await redis.stop();
		await Promise.all(sims.map((s) => s.stop()));
	}
	return out;
}

const PARTS = { strategies, prefix, eviction, learned, failover, shared } as const;

export async function run(args: BenchArgs) {
	const wanted = typeof args.part === 'string' ? args.part.split(',') : Object.keys(PARTS);
	preloadSimulatorTokenizer(); // for the in-process simulators
	const result: Record<string, unknown> = { strategiesKnown: STRATEGIES };
	for (const name of wanted) {
		const part = PARTS[name as keyof typeof PARTS];
		if (!part) throw new Error(`unknown part "${name}"; parts: ${Object.keys(PARTS).join(', ')}`);
		const started = performance.now();
		result[name] = await part(args);
		console.log(`  (${name}: ${fmt((performance.now() - started) / 1000, 1)} s)\n`);
	}
	return result;
}
