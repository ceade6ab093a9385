/**
 * Transport overhead: the same chat requests through the gateway (pool, watchdog, stages)
 * and through a plain `new Ollama()` client, side by side against one simulator process with
 * zero compute time, so what is measured is the client side alone.
 *   npm run bench -- transport [--requests 5000] [--concurrency 32] [--rounds 2]
 */
import { Ollama } from 'ollama';

import { Gateway } from '../lib/gateway';
import { spawnSimulator } from '../test/helpers/spawn-simulator';
import type { BenchArgs } from './run';
import { fmt, runConcurrent, summarise } from './stats';

const MODEL = 'llama3.2:3b';
const request = (i: number) => ({ model: MODEL, messages: [{ role: 'user', content: `Benchmark question ${i % 200}` }] });

export async function run(args: BenchArgs) {
	const total = Number(args.requests ?? 5000);
	const concurrency = Number(args.concurrency ?? 32);
	const rounds = Number(args.rounds ?? 2);
	const sim = await spawnSimulator(['--time-scale', '0', '--load-ms', '0', '--parallel', String(concurrency * 2), '--max-queue', '4096']);
	const gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: concurrency }] });
	const plain = new Ollama({ host: sim.url });
	const contenders = {
		baseline: (i: number) => plain.chat(request(i)),
		// The gateway always streams on the wire (for its first-token/idle timeouts): this
		// separates the cost of streaming from the cost of the gateway itself.
		plainStream: async (i: number) => {
			let text = '';
			for await (const part of await plain.chat({ ...request(i), stream: true })) text += part.message.content;
			return text;
		},
		gateway: (i: number) => gateway.chat(request(i)),
	};
	type Name = keyof typeof contenders;
	const names = Object.keys(contenders) as Name[];
	const measured = Object.fromEntries(names.map((n) => [n, []])) as unknown as Record<Name, { latencies: number[]; wallMs: number }[]>;
	try {
		for (const name of names) await runConcurrent(500, concurrency, contenders[name]); // warm-up
		for (let round = 0; round < rounds; round++) {
			// Alternate the order so no contender always runs on a warmer process.
			const order = round % 2 === 0 ? names : [...names].reverse();
			for (const name of order) measured[name].push(await runConcurrent(total, concurrency, contenders[name]));
		}
	} finally {
		await gateway.close();
		await sim.stop();
	}
	const report = (name: Name) => {
		const latencies = measured[name].flatMap((m) => m.latencies);
		const wallMs = measured[name].reduce((s, m) => s + m.wallMs, 0);
		return { ...summarise(latencies), throughputRps: (latencies.length / wallMs) * 1000 };
	};
	const baseline = report('baseline');
	const plainStream = report('plainStream');
	const gw = report('gateway');
	const result = {
		requests: total,
		concurrency,
		rounds,
		baseline,
		plainStream,
		gateway: gw,
		addedLatencyMs: { p50: gw.p50 - baseline.p50, p99: gw.p99 - baseline.p99 },
		throughputRatio: gw.throughputRps / baseline.throughputRps,
		throughputRatioVsPlainStream: gw.throughputRps / plainStream.throughputRps,
	};
	console.log(`transport: ${total} chat requests x ${rounds} rounds, concurrency ${concurrency}, simulator with zero compute time`);
	console.log(`                 p50 ms   p99 ms   req/s`);
	console.log(`plain Ollama   ${fmt(baseline.p50).padStart(8)} ${fmt(baseline.p99).padStart(8)} ${fmt(baseline.throughputRps, 0).padStart(7)}`);
	console.log(`plain, stream  ${fmt(plainStream.p50).padStart(8)} ${fmt(plainStream.p99).padStart(8)} ${fmt(plainStream.throughputRps, 0).padStart(7)}`);
	console.log(`gateway        ${fmt(gw.p50).padStart(8)} ${fmt(gw.p99).padStart(8)} ${fmt(gw.throughputRps, 0).padStart(7)}`);
	console.log(`added latency: p50 ${fmt(result.addedLatencyMs.p50)} ms, p99 ${fmt(result.addedLatencyMs.p99)} ms; throughput ratio gateway/plain ${fmt(result.throughputRatio, 3)} (vs plain streaming ${fmt(result.throughputRatioVsPlainStream, 3)})`);
	return result;
}
