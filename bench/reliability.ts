/**
 * Issue 21's reliability cases at their real sizes, each simulator its own process:
 *   cold   one backend, 4 slots, a model whose load takes 10 s (OLLAMA_MAX_QUEUE 2) and 60 s
 *          (OLLAMA_MAX_QUEUE 1), 20 calls at once: failed calls and server refusals (503), through
 *          the gateway and, side by side, as 20 bare requests (no gateway) against the same server
 *   hang   three backends (4 slots), 60 calls; one backend hangs (accepts connections, answers
 *          nothing) once 15 are answered: failed calls, time from the hang to the last answer,
 *          calls moved, answers delivered twice; baseline: the same 60 calls without the hang
 *   npm run bench -- reliability [--part cold,hang] [--loads 10:2,60:1] [--calls 20] [--hang-calls 60]
 * The machine is shared: the figures that matter are counts (failures, refusals, duplicates) and
 * the hang-to-last-answer time against the probe interval (5 s) and timeout (3 s).
 */
import { Gateway } from '../lib/gateway';
import { preloadSimulatorTokenizer } from '../lib/balancer/simulators.fixture';
import { spawnSimulator, type SimulatorProcess } from '../test/helpers/spawn-simulator';
import type { SimStats } from '../test/simulator';
import type { BenchArgs } from './run';

const MODEL = 'llama3.2:3b';

/** One chat per simulator process first: its tokenizer (seconds, holding its event loop) loads before anything is timed or probed. */
async function warm(sim: { url: string }) {
	const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'warm up' }], stream: false, options: { num_predict: 1 } });
	await (await fetch(`${sim.url}/api/chat`, { method: 'POST', body })).text();
}
async function stats(sim: { url: string }): Promise<SimStats> {
	return (await (await fetch(`${sim.url}/_sim/stats`)).json()) as SimStats;
}
async function setFaults(sim: { url: string }, faults: Record<string, number>) {
	await (await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify(faults) })).text();
}
const ask = (gw: Gateway, i: number) => gw.chat({ model: MODEL, messages: [{ role: 'user', content: `question ${i}` }] });

async function bareBurst(url: string, calls: number): Promise<{ failed: number }> {
	const statuses = await Promise.all(
		Array.from({ length: calls }, async (_, i) => {
			const res = await fetch(`${url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: `question ${i}` }], stream: false }) });
			await res.text();
			return res.status;
		}),
	);
	return { failed: statuses.filter((s) => s !== 200).length };
}

async function cold(loadSeconds: number, maxQueue: number, calls: number) {
	const models = JSON.stringify([{ name: MODEL, loadMs: loadSeconds * 1000 }]);
	const args = ['--parallel', '4', '--max-queue', String(maxQueue), '--models', models];
	// baseline: bare requests, no gateway
	const bare = await spawnSimulator(args);
	let baseline;
	try {
		const started = performance.now();
		const { failed } = await bareBurst(bare.url, calls);
		baseline = { failed, refusals: (await stats(bare)).rejected503, seconds: (performance.now() - started) / 1000 };
	} finally {
		await bare.stop();
	}
	const sim = await spawnSimulator(args);
	const gw = new Gateway({ backends: [{ name: 'gpu-1', baseUrl: sim.url, weight: 1, parallel: 4 }], embedBatching: false, balancer: { healthIntervalMs: 0 } });
	try {
		const started = performance.now();
		const outcomes = await Promise.allSettled(Array.from({ length: calls }, (_, i) => ask(gw, i)));
		const seconds = (performance.now() - started) / 1000;
		const s = await stats(sim);
		const gateway = {
			failed: outcomes.filter((o) => o.status === 'rejected').length,
			refusals: s.rejected503,
			maxRefusalsPerCall: Math.max(0, ...outcomes.map((o) => (o.status === 'fulfilled' ? o.value.retries : 0))),
			loads: s.loads,
			seconds,
		};
		console.log(
			`cold ${loadSeconds} s load, OLLAMA_MAX_QUEUE ${maxQueue}, ${calls} calls: gateway ${gateway.failed} failed, ${gateway.refusals} refusals (≤ ${gateway.maxRefusalsPerCall} per call), ${seconds.toFixed(1)} s` +
				` | bare requests ${baseline.failed} failed, ${baseline.refusals} refusals`,
		);
		return { loadSeconds, maxQueue, calls, gateway, baseline };
	} finally {
		await gw.close();
		await sim.stop();
	}
}

async function hangRun(calls: number, hang: boolean) {
	const sims: SimulatorProcess[] = await Promise.all([0, 1, 2].map(() => spawnSimulator(['--parallel', '4'])));
	await Promise.all(sims.map(warm));
	const gw = new Gateway({ backends: sims.map((s, i) => ({ name: `gpu-${i + 1}`, baseUrl: s.url, weight: 1, parallel: 4 })), embedBatching: false });
	try {
		await gw.warmUp({ model: MODEL });
		let answered = 0;
		let hungAt: number | undefined;
		let lastAt = 0;
		let fromHungAfterHang = 0;
		const started = performance.now();
		const outcomes = await Promise.allSettled(
			Array.from({ length: calls }, (_, i) =>
				ask(gw, i).then((r) => {
					answered++;
					lastAt = performance.now();
					if (hungAt !== undefined && r.backend === 'gpu-2') fromHungAfterHang++;
					if (hang && answered === 15) {
						hungAt = performance.now();
						void setFaults(sims[1], { hang: 1 });
					}
					return r;
				}),
			),
		);
		const results = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
		const completed = (await Promise.all(sims.map((s, i) => (hang && i === 1 ? Promise.resolve(undefined) : stats(s))))).map((s) => s?.completed);
		return {
			failed: outcomes.filter((o) => o.status === 'rejected').length,
			seconds: (lastAt - started) / 1000,
			hangToLastAnswerSeconds: hungAt === undefined ? undefined : (lastAt - hungAt) / 1000,
			moved: results.filter((r) => r.movedFrom?.length).length,
			hedged: results.filter((r) => r.hedged).length,
			// answers from the hung server after it hung (a copy that should have been cancelled): 0
			fromHungAfterHang,
			completedPerBackend: completed,
		};
	} finally {
		await gw.close();
		await Promise.all(sims.map((s) => s.stop()));
	}
}

export async function run(args: BenchArgs) {
	preloadSimulatorTokenizer();
	const parts = String(args.part ?? 'cold,hang').split(',');
	const out: Record<string, unknown> = { machine: 'shared (2 cores, other engineers running tests)' };
	if (parts.includes('cold')) {
		const calls = Number(args.calls ?? 20);
		const loads = String(args.loads ?? '10:2,60:1')
			.split(',')
			.map((p) => p.split(':').map(Number) as [number, number]);
		out.cold = [];
		for (const [seconds, maxQueue] of loads) (out.cold as unknown[]).push(await cold(seconds, maxQueue, calls));
	}
	if (parts.includes('hang')) {
		const calls = Number(args['hang-calls'] ?? 60);
		const baseline = await hangRun(calls, false);
		const hung = await hangRun(calls, true);
		console.log(
			`hang: ${calls} calls, gpu-2 hangs after 15 answers: ${hung.failed} failed, last answer ${hung.hangToLastAnswerSeconds?.toFixed(1)} s after the hang, ${hung.moved} moved, ${hung.hedged} hedged` +
				` | run ${hung.seconds.toFixed(1)} s vs ${baseline.seconds.toFixed(1)} s without the hang (${(hung.seconds / baseline.seconds).toFixed(2)}x)`,
		);
		out.hang = { calls, hung, baseline, ratio: hung.seconds / baseline.seconds };
	}
	return out;
}
