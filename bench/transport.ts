/**
 * Transport overhead: the same chat requests through the gateway (pool, watchdog, stages),
 * through a plain `new Ollama()` client and through a raw keep-alive `node:http` request (the
 * floor), side by side against one simulator process with zero compute time, so what is
 * measured is the client side alone. Once at concurrency 32 (throughput) and once at
 * concurrency 1 (added latency per call).
 *   npm run bench -- transport [--requests 3000] [--serial 1000] [--concurrency 32] [--rounds 2]
 */
import { Agent, request as httpRequest } from 'node:http';

import { Ollama } from 'ollama';

import { Gateway } from '../lib/gateway';
import { spawnSimulator } from '../test/helpers/spawn-simulator';
import { goal } from './goals';
import type { BenchArgs } from './run';
import { fmt, runConcurrent, summarise } from './stats';

const MODEL = 'llama3.2:3b';
const request = (i: number) => ({ model: MODEL, messages: [{ role: 'user', content: `Benchmark question ${i % 200}` }] });

/**
 * The floor: one keep-alive node:http POST, body read whole and parsed; nothing else. With
 * `stream`, the reply is Ollama's NDJSON stream (what the gateway reads, for its timeouts),
 * parsed line by line at the end.
 */
function rawClient(url: string, sockets: number, stream = false) {
	const { hostname, port } = new URL(url);
	const agent = new Agent({ keepAlive: true, maxSockets: sockets });
	return (i: number) =>
		new Promise<unknown>((resolve, reject) => {
			const body = JSON.stringify({ ...request(i), stream });
			const req = httpRequest({ hostname, port, path: '/api/chat', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
				let text = '';
				res.setEncoding('utf8');
				res.on('data', (c: string) => (text += c));
				res.on('end', () => resolve(stream ? text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown) : JSON.parse(text)));
				res.on('error', reject);
			});
			req.on('error', reject);
			req.end(body);
		});
}

type Measured = { latencies: number[]; wallMs: number; cpuUs: number };

/** Each contender `rounds` times, alternating the order so none always runs on a warmer process. */
async function compare<N extends string>(contenders: Record<N, (i: number) => Promise<unknown>>, total: number, concurrency: number, rounds: number) {
	const names = Object.keys(contenders) as N[];
	const measured = Object.fromEntries(names.map((n) => [n, [] as Measured[]])) as Record<N, Measured[]>;
	for (const name of names) await runConcurrent(Math.min(500, total), concurrency, contenders[name]); // warm-up
	for (let round = 0; round < rounds; round++) {
		const order = round % 2 === 0 ? names : [...names].reverse();
		for (const name of order) {
			// Client CPU per call: the simulator runs in its own process, so this is the client's cost alone.
			const cpu0 = process.cpuUsage();
			const run = await runConcurrent(total, concurrency, contenders[name]);
			const cpu = process.cpuUsage(cpu0);
			measured[name].push({ ...run, cpuUs: cpu.user + cpu.system });
		}
	}
	return Object.fromEntries(
		names.map((name) => {
			const latencies = measured[name].flatMap((m) => m.latencies);
			const wallMs = measured[name].reduce((sum, m) => sum + m.wallMs, 0);
			const cpuUs = measured[name].reduce((sum, m) => sum + m.cpuUs, 0);
			return [name, { ...summarise(latencies), throughputRps: (latencies.length / wallMs) * 1000, cpuUsPerCall: cpuUs / latencies.length }];
		}),
	) as Record<N, ReturnType<typeof summarise> & { throughputRps: number; cpuUsPerCall: number }>;
}

export async function run(args: BenchArgs) {
	const total = Number(args.requests ?? 3000);
	const serial = Number(args.serial ?? 1000);
	const concurrency = Number(args.concurrency ?? 32);
	const rounds = Number(args.rounds ?? 2);
	const simArgs = ['--time-scale', '0', '--load-ms', '0', '--parallel', String(concurrency * 2), '--max-queue', '4096'];
	const sim = await spawnSimulator(simArgs);
	const gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: concurrency }] });
	const plain = new Ollama({ host: sim.url });
	const contenders = {
		raw: rawClient(sim.url, concurrency),
		rawStream: rawClient(sim.url, concurrency, true),
		plain: (i: number) => plain.chat(request(i)),
		// The gateway always streams on the wire (for its first-token/idle timeouts): this
		// separates the cost of streaming from the cost of the gateway itself.
		plainStream: async (i: number) => {
			let text = '';
			for await (const part of await plain.chat({ ...request(i), stream: true })) text += part.message.content;
			return text;
		},
		gateway: (i: number) => gateway.chat(request(i)),
	};
	let parallel;
	let single;
	try {
		parallel = await compare(contenders, total, concurrency, rounds);
		single = await compare({ raw: contenders.raw, rawStream: contenders.rawStream, plain: contenders.plain, gateway: contenders.gateway }, serial, 1, rounds);
	} finally {
		await gateway.close();
		await sim.stop();
	}
	const result = {
		simulator: simArgs.join(' '),
		requests: total,
		serialRequests: serial,
		concurrency,
		rounds,
		parallel,
		single,
		gatewayVsRawThroughput: parallel.gateway.throughputRps / parallel.raw.throughputRps,
		gatewayVsRawCpuPerCall: parallel.gateway.cpuUsPerCall / parallel.raw.cpuUsPerCall,
		gatewayVsRawStreamThroughput: parallel.gateway.throughputRps / parallel.rawStream.throughputRps,
		gatewayVsPlainThroughput: parallel.gateway.throughputRps / parallel.plain.throughputRps,
		addedP50MsAtConcurrency1: single.gateway.p50 - single.raw.p50,
		addedP50MsVsRawStreamAtConcurrency1: single.gateway.p50 - single.rawStream.p50,
		addedP50MsVsPlainAtConcurrency1: single.gateway.p50 - single.plain.p50,
	};
	const row = (label: string, r: { p50: number; p99: number; throughputRps: number; cpuUsPerCall: number }) =>
		console.log(`${label.padEnd(16)} ${fmt(r.p50, 3).padStart(8)} ${fmt(r.p99, 3).padStart(8)} ${fmt(r.throughputRps, 0).padStart(7)} ${fmt(r.cpuUsPerCall, 0).padStart(10)}`);
	console.log(`transport: simulator \`${result.simulator}\` (zero compute time), ${rounds} rounds each`);
	console.log(`\nconcurrency ${concurrency}, ${total} chat requests   p50 ms   p99 ms   req/s  client CPU µs/call`);
	row('raw node:http', parallel.raw);
	row('raw, stream', parallel.rawStream);
	row('plain Ollama', parallel.plain);
	row('plain, stream', parallel.plainStream);
	row('gateway', parallel.gateway);
	console.log(`\nconcurrency 1, ${serial} chat requests`);
	row('raw node:http', single.raw);
	row('raw, stream', single.rawStream);
	row('plain Ollama', single.plain);
	row('gateway', single.gateway);
	console.log(
		`\ngateway/raw throughput at concurrency ${concurrency}: ${fmt(result.gatewayVsRawThroughput, 3)} (goal >= 0.7); gateway/raw stream ${fmt(result.gatewayVsRawStreamThroughput, 3)}; gateway/plain ${fmt(result.gatewayVsPlainThroughput, 3)}`,
	);
	goal(`transport: gateway / raw node:http throughput at concurrency ${concurrency}`, result.gatewayVsRawThroughput, '>=', 0.7, '×');
	goal('transport: added p50 at concurrency 1 vs raw', result.addedP50MsAtConcurrency1, '<=', 0.1, ' ms');
	console.log(`client CPU per call at concurrency ${concurrency}: gateway/raw ${fmt(result.gatewayVsRawCpuPerCall, 3)} (the simulator's CPU is not counted)`);
	console.log(
		`added p50 at concurrency 1: ${fmt(result.addedP50MsAtConcurrency1, 3)} ms vs raw (goal <= 0.1), ${fmt(result.addedP50MsVsRawStreamAtConcurrency1, 3)} ms vs raw streaming, ${fmt(result.addedP50MsVsPlainAtConcurrency1, 3)} ms vs plain Ollama`,
	);
	return result;
}
