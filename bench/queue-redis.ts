/**
 * The gateway's own Redis cost in queue mode, without n8n and Bull around it: N workers (gateways in
 * this process, each with its own Redis connection, as n8n workers would have) share their balancer
 * state through one private redis-server and send chat calls to three simulated backends (2 slots each).
 * Reports, from INFO commandstats and INFO cpu: Redis commands and lease scripts per call under load,
 * Redis CPU per call, and the background cost of an idle worker per second. The n8n-level figure (with
 * Bull, cache, memory and metrics) is bench/n8n/queue.sh's.
 *   npm run bench -- queue-redis [--workers 2] [--calls 600] [--concurrency 12]
 */
import { createHash } from 'node:crypto';

import { Gateway } from '../lib/gateway';
import { closeRedisClient, createRedisClient, RESERVE_SLOTS_LUA } from '../lib/redis';
import { startTestRedis } from '../test/helpers/redis-server';
import { startSimulator } from '../test/simulator';
import { preloadSimulatorTokenizer } from '../lib/balancer/simulators.fixture';
import type { BenchArgs } from './run';

const MODEL = 'llama3.2:3b';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function run(args: BenchArgs): Promise<unknown> {
	const workers = Number(args.workers ?? 2);
	const calls = Number(args.calls ?? 600);
	const concurrency = Number(args.concurrency ?? 12);
	preloadSimulatorTokenizer();
	const redis = await startTestRedis();
	const sims = await Promise.all([0, 1, 2].map(() => startSimulator({ parallel: 2, timeScale: 1, loadMs: 0, decodeTokensPerSec: 1000, prefillTokensPerSec: 100_000, replyTokensMin: 20, replyTokensMax: 20 })));
	const raw = createRedisClient({ ...redis.config, keyPrefix: '' }, { lazyConnect: false });
	const clients = Array.from({ length: workers }, () => createRedisClient(redis.config, { lazyConnect: false }));
	const config = { backends: sims.map((s, i) => ({ name: `gpu-${i + 1}`, baseUrl: s.url, weight: 1, parallel: 2 })), embedBatching: false as const, balancer: { healthIntervalMs: 0 } };
	const gateways = clients.map((c) => {
		const g = new Gateway(config);
		g.shareState(c);
		return g;
	});
	// every gateway has loaded the model on every backend before anything is counted
	for (const g of gateways) await g.warmUp({ model: MODEL });
	await sleep(500);
	const leaseSha = createHash('sha1').update(RESERVE_SLOTS_LUA).digest('hex');
	const stats = async () => {
		const text = `${await raw.info('commandstats')}\n${await raw.info('cpu')}`;
		const commands: Record<string, number> = {};
		for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) commands[m[1]] = Number(m[2]);
		delete commands.info;
		const cpu = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
		return { commands, cpuS: cpu('used_cpu_sys') + cpu('used_cpu_user') };
	};
	const delta = (a: Awaited<ReturnType<typeof stats>>, b: Awaited<ReturnType<typeof stats>>) => {
		const d: Record<string, number> = {};
		for (const [k, v] of Object.entries(b.commands)) if (v - (a.commands[k] ?? 0) > 0) d[k] = v - (a.commands[k] ?? 0);
		return { commands: d, total: Object.values(d).reduce((s, n) => s + n, 0), cpuMs: (b.cpuS - a.cpuS) * 1000 };
	};

	// idle: what a worker costs Redis per second with nothing to do
	const idle0 = await stats();
	const idleS = 5;
	await sleep(idleS * 1000);
	const idle = delta(idle0, await stats());

	// load: calls spread over the workers
	for (const s of sims) s.resetStats();
	const before = await stats();
	const t0 = Date.now();
	let next = 0;
	await Promise.all(
		Array.from({ length: concurrency }, async (_, lane) => {
			while (next < calls) {
				const i = next++;
				await gateways[lane % workers].chat({ model: MODEL, messages: [{ role: 'user', content: `call ${i}` }] });
			}
		}),
	);
	const wallS = (Date.now() - t0) / 1000;
	const load = delta(before, await stats());
	const scripts = (await raw.info('commandstats')).includes('evalsha') ? load.commands.evalsha ?? 0 : 0;
	const result = {
		workers,
		calls,
		concurrency,
		callsPerS: calls / wallS,
		maxInFlight: sims.map((s) => s.stats.maxInFlight),
		redisCommandsPerCall: load.total / calls,
		leaseScriptsPerCall: scripts / calls,
		commandsPerCall: Object.fromEntries(Object.entries(load.commands).map(([k, n]) => [k, Math.round((n / calls) * 100) / 100])),
		redisCpuMsPerCall: load.cpuMs / calls,
		idleCommandsPerWorkerPerS: idle.total / idleS / workers,
		idleCommands: idle.commands,
		leaseScriptSha: leaseSha,
	};
	console.log(`queue-redis: ${workers} workers, ${calls} calls at ${concurrency} in flight, ${result.callsPerS.toFixed(0)} calls/s; max in flight per backend ${result.maxInFlight.join('/')} (2 slots + 1 look-ahead = 3)`);
	console.log(`  under load: ${result.redisCommandsPerCall.toFixed(2)} Redis commands per call (lease scripts ${result.leaseScriptsPerCall.toFixed(2)}), ${result.redisCpuMsPerCall.toFixed(3)} ms Redis CPU per call: ${JSON.stringify(result.commandsPerCall)}`);
	console.log(`  idle: ${result.idleCommandsPerWorkerPerS.toFixed(1)} commands per worker per second: ${JSON.stringify(idle.commands)}`);

	await Promise.all(gateways.map((g) => g.close()));
	await Promise.all([...clients, raw].map(closeRedisClient));
	await Promise.all(sims.map((s) => s.close()));
	await redis.stop();
	return result;
}
