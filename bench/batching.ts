/**
 * Batching and scheduling against the Ollama simulator configured like a GPU Ollama (shared
 * per-model batch compute: a step of `stepMs` plus `decodeTokenMs` per decoding sequence;
 * times scaled by `--time-scale` so the whole run stays under a minute). Printed first.
 *   npm run bench -- batching [--texts 2000] [--requests 200] [--serial 40] [--executions 200] [--time-scale 0.25]
 * (the full sizes: --texts 10000 --requests 1000; they take longer than a minute)
 *
 * 1. embeddings: N texts, one call per text vs coalesced (wall time, backend calls)
 * 2. generation: N requests of mixed lengths on 4 slots: all at once into Ollama's queue,
 *    one at a time, and the gateway scheduler (throughput, p50/p99, slot utilisation while work
 *    waits, 503s, failures, the scheduler's own added latency)
 * 3. a cold model and a burst of N with OLLAMA_MAX_QUEUE 20: failures, plain vs gateway
 * 4. 200 concurrent single-text embed calls (as from 200 webhook executions): backend calls and
 *    p99 latency with and without cross-execution coalescing
 * 5. multi-bin vs FIFO: p50/p99 latency of the short requests
 */
import { Ollama } from 'ollama';

import { Gateway, type ClusterConfig } from '../lib/gateway';
import type { SchedulerOptions } from '../lib/scheduler';
import { startSimulator, type Simulator } from '../test/simulator';
import { goal } from './goals';
import type { BenchArgs } from './run';
import { fmt, summarise } from './stats';

const CHAT = 'llama3.2:3b';
const EMBED = 'nomic-embed-text';
const SLOTS = 4;

/** 70 % short (16 tokens), 20 % medium (128), 10 % long (512), interleaved deterministically. */
const lengthOf = (i: number) => (i % 10 < 7 ? 16 : i % 10 < 9 ? 128 : 512);
const chatRequest = (i: number) => ({
	model: CHAT,
	messages: [{ role: 'user' as const, content: `Request ${i}: summarise item ${i}` }],
	options: { num_predict: lengthOf(i) },
});

type Outcome = { ms: number; ok: boolean; busy: boolean; short: boolean; overheadMs?: number };

function report(name: string, outcomes: Outcome[], wallMs: number, extra: { slotUtilisation?: number; [key: string]: unknown } = {}) {
	const ok = outcomes.filter((o) => o.ok);
	const lat = summarise(ok.map((o) => o.ms));
	const short = summarise(ok.filter((o) => o.short).map((o) => o.ms));
	return {
		name,
		requests: outcomes.length,
		failed: outcomes.length - ok.length,
		busy503: outcomes.filter((o) => o.busy).length,
		throughputRps: (ok.length / wallMs) * 1000,
		p50: lat.p50,
		p99: lat.p99,
		shortP50: short.p50,
		shortP99: short.p99,
		...extra,
	};
}

/**
 * Samples the simulator's busy slots every ms while work waits: while more of the benchmark's
 * requests are unfinished than hold a slot (so a free slot could have been used).
 */
function utilisationSampler(sim: Simulator, unfinished: () => number) {
	let busy = 0;
	let samples = 0;
	const timer = setInterval(() => {
		if (unfinished() <= sim.stats.active) return;
		busy += Math.min(sim.stats.active, SLOTS);
		samples++;
	}, 1);
	return () => {
		clearInterval(timer);
		return samples === 0 ? NaN : busy / (samples * SLOTS);
	};
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
	const t0 = performance.now();
	try {
		const value = await fn();
		return { ms: performance.now() - t0, value };
	} catch (error) {
		return { ms: performance.now() - t0, error };
	}
}

const isBusy = (error: unknown) => /busy|503|maximum pending/i.test(String((error as Error)?.message ?? error));

async function generation(sim: Simulator, total: number, scheduler?: SchedulerOptions) {
	const config: ClusterConfig = { backends: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: SLOTS }], scheduler };
	const gateway = new Gateway(config);
	try {
		await gateway.warmUp({ model: CHAT });
		sim.resetStats();
		let unfinished = total;
		const stop = utilisationSampler(sim, () => unfinished);
		const t0 = performance.now();
		const outcomes = await Promise.all(
			Array.from({ length: total }, async (_, i): Promise<Outcome> => {
				const r = await timed(() => gateway.chat(chatRequest(i)));
				unfinished--;
				const v = r.value;
				// What the gateway added beyond waiting for a slot and the HTTP call itself.
				const overheadMs = v ? r.ms - v.latencyMs - v.queueMs : undefined;
				return { ms: r.ms, ok: !r.error, busy: isBusy(r.error), short: lengthOf(i) === 16, overheadMs };
			}),
		);
		const wallMs = performance.now() - t0;
		const utilisation = stop();
		const overhead = summarise(outcomes.flatMap((o) => (o.overheadMs === undefined ? [] : [o.overheadMs])));
		// The goal's measure: from a call being able to go (arrived with a slot free, or a slot freed
		// for it) to its hand-over towards the backend, as the scheduler stamps it; no slot wait, no backend time.
		const dispatch = gateway.queueStats().dispatchMs;
		return { outcomes, wallMs, utilisation, overheadP50: overhead.p50, overheadP99: overhead.p99, dispatch, maxAtOllama: sim.stats.maxActive + sim.stats.maxQueued };
	} finally {
		await gateway.close();
	}
}

/** The same requests as plainGeneration(sim, count, 1), one at a time through a gateway: each request's latency, in index order. */
async function gatewayOneAtATime(sim: Simulator, count: number): Promise<number[]> {
	const gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: SLOTS }] });
	try {
		await gateway.warmUp({ model: CHAT });
		const latencies: number[] = [];
		for (let i = 0; i < count; i++) latencies.push((await timed(() => gateway.chat(chatRequest(i)))).ms);
		return latencies;
	} finally {
		await gateway.close();
	}
}

async function plainGeneration(sim: Simulator, total: number, concurrency: number) {
	const client = new Ollama({ host: sim.url });
	await client.chat({ model: CHAT, messages: [] });
	sim.resetStats();
	const outcomes: Outcome[] = [];
	const stop = utilisationSampler(sim, () => total - outcomes.length);
	let next = 0;
	const t0 = performance.now();
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < total) {
				const i = next++;
				const r = await timed(() => client.chat(chatRequest(i)));
				outcomes.push({ ms: r.ms, ok: !r.error, busy: isBusy(r.error), short: lengthOf(i) === 16 });
			}
		}),
	);
	return { outcomes, wallMs: performance.now() - t0, utilisation: stop() };
}

/** One embed call per text, all at once, through a fresh gateway (coalescing on or off): wall time, backend calls, latencies. */
async function embedMany(sim: Simulator, embedBatching: ClusterConfig['embedBatching'], texts: string[]) {
	const gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: SLOTS }], embedBatching });
	try {
		await gateway.embed({ model: EMBED, input: 'warm up' });
		sim.resetStats();
		const t0 = performance.now();
		const runs = await Promise.all(texts.map((input) => timed(() => gateway.embed({ model: EMBED, input }))));
		return {
			wallMs: performance.now() - t0,
			calls: sim.stats.requestsByEndpoint['/api/embed'] ?? 0,
			failed: runs.filter((r) => r.error).length,
			latencies: runs.map((r) => r.ms),
		};
	} finally {
		await gateway.close();
	}
}

export async function run(args: BenchArgs) {
	const texts = Number(args.texts ?? 2000);
	const total = Number(args.requests ?? 200);
	const serial = Number(args.serial ?? 40);
	const executions = Number(args.executions ?? 200);
	const timeScale = Number(args['time-scale'] ?? 0.25);
	const simConfig = { parallel: SLOTS, embeddingParallel: 1, timeScale, loadMs: 300, replyTokensMin: 600, replyTokensMax: 600, maxQueue: 512 };
	const sim = await startSimulator(simConfig);
	const o = sim.options;
	const configLine =
		`simulator (in-process, Ollama ${o.version} rules, queue rule "${o.queueRule}"): parallel ${o.parallel}, embedding parallel ${o.embeddingParallel}, ` +
		`step ${fmt(o.stepMs)} ms + ${fmt(o.decodeTokenMs)} ms/decoding sequence + ${fmt(o.prefillTokenMs)} ms/prompt token (one stream alone ${fmt(o.decodeTokensPerSec, 0)} tok/s), ` +
		`load ${o.loadMs} ms (cold-burst case: ${1000 / timeScale} ms), OLLAMA_MAX_QUEUE ${o.maxQueue} (cold burst: 20), all times x${timeScale}; replies capped by num_predict 16 (70 %) / 128 (20 %) / 512 (10 %)`;
	console.log(configLine);
	const results: Record<string, unknown> = { simulator: { ...simConfig, stepMs: o.stepMs, decodeTokenMs: o.decodeTokenMs, prefillTokenMs: o.prefillTokenMs, queueRule: o.queueRule, version: o.version } };
	try {
		// 1. embeddings
		const textList = Array.from({ length: texts }, (_, i) => `passage ${i}: a short text about topic ${i % 97}`);
		const embedRun = async (embedBatching: ClusterConfig['embedBatching']) => {
			const run = await embedMany(sim, embedBatching, textList);
			return { wallMs: run.wallMs, calls: run.calls, failed: run.failed };
		};
		const perText = await embedRun(false);
		const coalesced = await embedRun({ maxDelayMs: 2, targetSize: 64, limit: 512 });
		results.embeddings = { texts, perText, coalesced, wallTimeRatio: perText.wallMs / coalesced.wallMs };
		console.log(`\n1. ${texts} texts embedded: one call per text ${fmt(perText.wallMs, 0)} ms in ${perText.calls} calls; coalesced ${fmt(coalesced.wallMs, 0)} ms in ${coalesced.calls} calls -> ${fmt(perText.wallMs / coalesced.wallMs)}x faster (failed: ${perText.failed} / ${coalesced.failed})`);

		// 2. generation, 3 ways
		const allAtOnce = await plainGeneration(sim, total, total);
		const oneAtATime = await plainGeneration(sim, serial, 1);
		// What the whole gateway adds to a request, end to end: the same requests one at a time
		// (no slot wait) through the gateway and through the plain client, compared request by request.
		const gatewaySerial = await gatewayOneAtATime(sim, serial);
		const added = summarise(gatewaySerial.map((ms, i) => ms - oneAtATime.outcomes[i].ms));
		const scheduled = await generation(sim, total);
		const gen = [
			report('all at once into Ollama', allAtOnce.outcomes, allAtOnce.wallMs, { slotUtilisation: allAtOnce.utilisation }),
			report(`one at a time (${serial} requests)`, oneAtATime.outcomes, oneAtATime.wallMs, { slotUtilisation: oneAtATime.utilisation }),
			report('gateway scheduler', scheduled.outcomes, scheduled.wallMs, {
				slotUtilisation: scheduled.utilisation,
				dispatchDelayMs: scheduled.dispatch,
				endToEndOverheadP50Ms: scheduled.overheadP50,
				endToEndOverheadP99Ms: scheduled.overheadP99,
				maxAtOllama: scheduled.maxAtOllama,
			}),
		];
		results.generation = gen;
		results.addedLatencyOneAtATimeMs = { p50: added.p50, p99: added.p99, requests: serial };
		console.log(`\n2. ${total} generation requests of mixed lengths on ${SLOTS} slots`);
		console.log('                                    req/s   p50 ms   p99 ms  slot use  503s  failed');
		for (const g of gen) {
			console.log(
				`${g.name.padEnd(34)} ${fmt(g.throughputRps, 1).padStart(7)} ${fmt(g.p50, 1).padStart(8)} ${fmt(g.p99, 1).padStart(8)} ${fmt(100 * (g.slotUtilisation ?? NaN), 1).padStart(8)}% ${String(g.busy503).padStart(5)} ${String(g.failed).padStart(7)}`,
			);
		}
		console.log(
			`added latency end to end, the same ${serial} requests one at a time through the gateway vs the plain client, request by request (goal p50 < 1 ms): p50 ${fmt(added.p50, 3)} ms, p99 ${fmt(added.p99, 3)} ms`,
		);
		goal('gateway: added latency per request, one at a time, p50', added.p50, '<', 1, ' ms');
		goal('gateway scheduler: failed requests', scheduled.outcomes.filter((o) => !o.ok).length, '==', 0);
		console.log(
			`  inside it, the scheduler's dispatch (slot free or call arrived -> handed over): p50 ${fmt(scheduled.dispatch.p50 ?? NaN, 3)} ms, p99 ${fmt(scheduled.dispatch.p99 ?? NaN, 3)} ms, max ${fmt(scheduled.dispatch.max ?? NaN, 3)} ms; at most ${scheduled.maxAtOllama} calls at Ollama`,
		);
		console.log(
			`  end to end, the whole gateway beyond its queue wait and the HTTP call (includes the in-process simulator's turns on the shared event loop and GC): p50 ${fmt(scheduled.overheadP50, 3)} ms, p99 ${fmt(scheduled.overheadP99, 3)} ms`,
		);

		// 3. cold burst
		// A load long enough (1 s after scaling) for the burst to pile up behind it, as a real cold load does.
		const coldSim = await startSimulator({ ...simConfig, maxQueue: 20, loadMs: 1000 / timeScale });
		try {
			const plainCold = await Promise.allSettled(Array.from({ length: total }, (_, i) => new Ollama({ host: coldSim.url }).chat({ ...chatRequest(i), options: { num_predict: 16 } })));
			const plain503 = coldSim.stats.rejected503;
			coldSim.unloadAll();
			await new Promise((resolve) => setTimeout(resolve, 50));
			coldSim.resetStats();
			const gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: coldSim.url, weight: 1, parallel: SLOTS }] });
			const gwCold = await Promise.allSettled(Array.from({ length: total }, (_, i) => gateway.chat({ ...chatRequest(i), options: { num_predict: 16 } })));
			await gateway.close();
			const cold = {
				plain: { failed: plainCold.filter((s) => s.status === 'rejected').length, http503: plain503 },
				gateway: { failed: gwCold.filter((s) => s.status === 'rejected').length, http503: coldSim.stats.rejected503 },
			};
			results.coldBurst = cold;
			goal('cold model burst through the gateway: failed requests', cold.gateway.failed, '==', 0);
			console.log(`\n3. cold model, burst of ${total}, OLLAMA_MAX_QUEUE 20: plain client ${cold.plain.failed} failed (${cold.plain.http503} x 503); gateway ${cold.gateway.failed} failed (${cold.gateway.http503} x 503 seen, requeued)`);
		} finally {
			await coldSim.close();
		}

		// 4. many small executions
		const webhookTexts = Array.from({ length: executions }, (_, i) => `webhook ${i} text`);
		const executionsRun = async (embedBatching: ClusterConfig['embedBatching']) => {
			const run = await embedMany(sim, embedBatching, webhookTexts);
			return { wallMs: run.wallMs, calls: run.calls, failed: run.failed, ...summarise(run.latencies) };
		};
		const without = await executionsRun(false);
		const withCoalescing = await executionsRun({ maxDelayMs: 2, targetSize: 64, limit: 512 });
		results.executions = { executions, without, with: withCoalescing };
		console.log(`\n4. ${executions} concurrent single-text executions: without coalescing ${without.calls} backend calls, p99 ${fmt(without.p99, 1)} ms; with ${withCoalescing.calls} calls, p99 ${fmt(withCoalescing.p99, 1)} ms`);

		// 5. multi-bin vs FIFO, side by side: the same requests, one run right after the other
		const fifoRun = await generation(sim, total);
		const fifo = report('FIFO', fifoRun.outcomes, fifoRun.wallMs);
		const binned = await generation(sim, total, { multiBin: true });
		const multi = report('multi-bin', binned.outcomes, binned.wallMs);
		results.multiBin = { fifo, multiBin: multi };
		console.log(`\n5. short requests (num_predict 16), ${total} mixed requests at once on ${SLOTS} slots`);
		console.log(`FIFO       p50 ${fmt(fifo.shortP50, 1)} ms  p99 ${fmt(fifo.shortP99, 1)} ms  (all: ${fmt(fifo.throughputRps, 1)} req/s, p99 ${fmt(fifo.p99, 1)} ms)`);
		console.log(`multi-bin  p50 ${fmt(multi.shortP50, 1)} ms  p99 ${fmt(multi.shortP99, 1)} ms  (all: ${fmt(multi.throughputRps, 1)} req/s, p99 ${fmt(multi.p99, 1)} ms)`);
	} finally {
		await sim.close();
	}
	return results;
}
