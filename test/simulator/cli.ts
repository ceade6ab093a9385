/**
 * Standalone Ollama simulator:
 *   npx tsx test/simulator/cli.ts --port 11434 --parallel 4 --max-queue 512 --queue-rule modern \
 *     --step-ms 6.857 --decode-token-ms 1.143 --prefill-token-ms 0.25 --load-ms 500 --vram-gib 80 --api-key X
 * Prints exactly one line on stdout once listening:
 *   Ollama simulator listening on http://127.0.0.1:PORT
 * and shuts down cleanly on SIGINT/SIGTERM. `--help` lists every flag.
 */
import { readFileSync } from 'node:fs';
import { startSimulator } from './index';
import type { CostModel, ScriptRule, SimFaults, SimulatorOptions } from './types';

type Kind = 'number' | 'string' | 'duration' | 'json' | 'boolean';
interface Flag {
	names: string[];
	target: 'server' | 'cost' | 'fault' | 'scripts';
	key: string;
	kind: Kind;
	help: string;
}

export const FLAGS: Flag[] = [
	{ names: ['host'], target: 'server', key: 'host', kind: 'string', help: 'listen address (default 127.0.0.1)' },
	{ names: ['port', 'p'], target: 'server', key: 'port', kind: 'number', help: 'listen port, 0 = a free port (default 11434)' },
	{ names: ['parallel', 'num-parallel'], target: 'cost', key: 'parallel', kind: 'number', help: 'OLLAMA_NUM_PARALLEL: slots per loaded chat model (default 1, as Ollama)' },
	{ names: ['embedding-parallel'], target: 'cost', key: 'embeddingParallel', kind: 'number', help: 'slots per loaded embedding model (default 1, as Ollama)' },
	{ names: ['max-queue'], target: 'cost', key: 'maxQueue', kind: 'number', help: 'OLLAMA_MAX_QUEUE: pending requests before 503 (default 512)' },
	{ names: ['queue-rule'], target: 'cost', key: 'queueRule', kind: 'string', help: 'modern: only loads/reloads count against --max-queue; legacy: every waiting request counts (default modern)' },
	{ names: ['step-ms'], target: 'cost', key: 'stepMs', kind: 'number', help: 'fixed cost of one forward step of a model, ms (default 6.857)' },
	{ names: ['decode-token-ms'], target: 'cost', key: 'decodeTokenMs', kind: 'number', help: 'cost per decoding sequence in a step, ms (default 1.143)' },
	{ names: ['prefill-token-ms'], target: 'cost', key: 'prefillTokenMs', kind: 'number', help: 'cost per prompt token in a step, ms (default 0.25)' },
	{ names: ['multiuser-cache', 'multi-user-cache'], target: 'cost', key: 'multiUserCache', kind: 'boolean', help: 'OLLAMA_MULTIUSER_CACHE: true = findBestCacheSlot, false = longest prefix (default false)' },
	{ names: ['num-batch'], target: 'cost', key: 'numBatch', kind: 'number', help: 'tokens per step when a request sets no num_batch (default 512)' },
	{ names: ['prefill-tps', 'prefill-tokens-per-sec'], target: 'cost', key: 'prefillTokensPerSec', kind: 'number', help: 'sets --prefill-token-ms to 1000/N (default 4000)' },
	{ names: ['decode-tps', 'decode-tokens-per-sec'], target: 'cost', key: 'decodeTokensPerSec', kind: 'number', help: 'single-stream decode rate; scales --step-ms and --decode-token-ms (default 125)' },
	{ names: ['load-ms'], target: 'cost', key: 'loadMs', kind: 'number', help: 'cold model load time in ms (default 300)' },
	{ names: ['vram-gib'], target: 'cost', key: 'vramGiB', kind: 'number', help: 'GPU memory for weights + KV cache, GiB (default 80)' },
	{ names: ['system-memory-gib'], target: 'cost', key: 'systemMemoryGiB', kind: 'number', help: 'RAM a model too big for the GPU alone may spill into, GiB (default 64)' },
	{ names: ['unload-delay-ms'], target: 'cost', key: 'unloadDelayMs', kind: 'number', help: 'time until an unloaded model\'s memory is free, ms (default 250)' },
	{ names: ['embed-baseline'], target: 'cost', key: 'embedBaseline', kind: 'number', help: 'cosine similarity of unrelated texts\' embeddings, 0..1 (default 0.3)' },
	{ names: ['keep-alive', 'default-keep-alive'], target: 'cost', key: 'defaultKeepAlive', kind: 'duration', help: 'OLLAMA_KEEP_ALIVE: "5m", "30s", seconds, negative = forever (default 5m)' },
	{ names: ['max-loaded-models'], target: 'cost', key: 'maxLoadedModels', kind: 'number', help: 'OLLAMA_MAX_LOADED_MODELS (default 3)' },
	{ names: ['num-ctx', 'context-length', 'default-num-ctx'], target: 'cost', key: 'defaultNumCtx', kind: 'number', help: 'OLLAMA_CONTEXT_LENGTH: default num_ctx (default 4096)' },
	{ names: ['time-scale'], target: 'cost', key: 'timeScale', kind: 'number', help: 'multiplies load/prefill/decode times; 0 = instant (default 1)' },
	{ names: ['reply-tokens-min'], target: 'cost', key: 'replyTokensMin', kind: 'number', help: 'shortest generated reply in tokens (default 20)' },
	{ names: ['reply-tokens-max'], target: 'cost', key: 'replyTokensMax', kind: 'number', help: 'longest generated reply in tokens (default 80)' },
	{ names: ['version'], target: 'cost', key: 'version', kind: 'string', help: '/api/version; 0.30.0 reports prompt_eval_count without the cached prefix (default 0.32.15)' },
	{ names: ['api-key'], target: 'cost', key: 'apiKey', kind: 'string', help: 'require "Authorization: Bearer <key>" (default none)' },
	{ names: ['models'], target: 'cost', key: 'models', kind: 'json', help: 'model catalogue: JSON array or path to a JSON file' },
	{ names: ['error-rate'], target: 'fault', key: 'errorRate', kind: 'number', help: 'fraction of inference requests answered 500' },
	{ names: ['hang-rate'], target: 'fault', key: 'hangRate', kind: 'number', help: 'fraction of inference requests never answered' },
	{ names: ['drop-mid-stream-rate', 'drop-rate'], target: 'fault', key: 'dropMidStreamRate', kind: 'number', help: 'fraction of streams cut after a few chunks' },
	{ names: ['first-token-delay-ms'], target: 'fault', key: 'firstTokenDelayMs', kind: 'number', help: 'extra delay before the first token (not scaled)' },
	{ names: ['fail-next'], target: 'fault', key: 'failNext', kind: 'number', help: 'the next N inference requests get 500' },
	{ names: ['seed', 'fault-seed'], target: 'fault', key: 'seed', kind: 'number', help: 'seed of the fault RNG (default 1)' },
	{ names: ['crash-rate'], target: 'fault', key: 'crashRate', kind: 'number', help: 'fraction of chat/generate requests whose runner crashes (500, or an error line mid-stream)' },
	{ names: ['crash-next'], target: 'fault', key: 'crashNext', kind: 'number', help: 'the next N chat/generate requests crash their runner' },
	{ names: ['crash-after-tokens'], target: 'fault', key: 'crashAfterTokens', kind: 'number', help: 'a crash happens after this many tokens (default 3)' },
	{ names: ['load-fail-next'], target: 'fault', key: 'loadFailNext', kind: 'number', help: 'the next N model loads fail (500)' },
	{ names: ['hang'], target: 'fault', key: 'hang', kind: 'number', help: '1 = the whole server hangs (accepts connections, answers nothing, probes included); 0 thaws it' },
	{ names: ['script'], target: 'scripts', key: 'scripts', kind: 'json', help: 'a script rule as JSON {"match":"re","reply":"..."} (repeatable) or a file with an array' },
];

export function usage(): string {
	const lines = ['usage: tsx test/simulator/cli.ts [--flag value ...]', ''];
	for (const f of FLAGS) lines.push(`  ${f.names.map((n) => `--${n}`).join(', ').padEnd(48)} ${f.help}`);
	return lines.join('\n');
}

function readJsonArg(v: string): unknown {
	const t = v.trim();
	if (t.startsWith('[') || t.startsWith('{')) return JSON.parse(t);
	return JSON.parse(readFileSync(t, 'utf8'));
}

export function parseCliArgs(argv: string[]): SimulatorOptions {
	const cost: Record<string, unknown> = {};
	const faults: Record<string, unknown> = {};
	const scripts: ScriptRule[] = [];
	const server: Record<string, unknown> = { port: 11434 };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '--help' || arg === '-h') {
			process.stdout.write(usage() + '\n');
			process.exit(0);
		}
		const m = arg.match(/^--?([A-Za-z][\w-]*)(?:=(.*))?$/s);
		if (!m) throw new Error(`unexpected argument ${JSON.stringify(arg)}\n${usage()}`);
		const name = m[1].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
		const flag = FLAGS.find((f) => f.names.includes(name) || f.key.toLowerCase() === m[1].toLowerCase());
		if (!flag) throw new Error(`unknown flag --${m[1]}\n${usage()}`);
		let value = m[2];
		if (value === undefined) {
			value = argv[++i];
			if (value === undefined) throw new Error(`--${m[1]} needs a value`);
		}
		let parsed: unknown;
		switch (flag.kind) {
			case 'number':
				parsed = Number(value);
				if (!Number.isFinite(parsed as number)) throw new Error(`--${m[1]} needs a number, got ${JSON.stringify(value)}`);
				break;
			case 'boolean':
				if (value !== 'true' && value !== 'false') throw new Error(`--${m[1]} needs true or false, got ${JSON.stringify(value)}`);
				parsed = value === 'true';
				break;
			case 'duration':
				parsed = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
				break;
			case 'json':
				parsed = readJsonArg(value);
				break;
			default:
				parsed = value;
		}
		if (flag.target === 'server') server[flag.key] = parsed;
		else if (flag.target === 'cost') cost[flag.key] = parsed;
		else if (flag.target === 'fault') faults[flag.key] = parsed;
		else scripts.push(...((Array.isArray(parsed) ? parsed : [parsed]) as ScriptRule[]));
	}
	return {
		...(cost as Partial<CostModel>),
		host: server.host as string | undefined,
		port: server.port as number,
		faults: faults as Partial<SimFaults>,
		scripts,
	};
}

async function main(): Promise<void> {
	let opts: SimulatorOptions;
	try {
		opts = parseCliArgs(process.argv.slice(2));
	} catch (e) {
		process.stderr.write(`${(e as Error).message}\n`);
		process.exit(2);
	}
	const sim = await startSimulator(opts);
	process.stdout.write(`Ollama simulator listening on ${sim.url}\n`);
	let stopping = false;
	const stop = (signal: string) => {
		if (stopping) return;
		stopping = true;
		sim.close().then(
			() => process.exit(0),
			(e) => {
				process.stderr.write(`close failed after ${signal}: ${String(e)}\n`);
				process.exit(1);
			},
		);
	};
	process.on('SIGINT', () => stop('SIGINT'));
	process.on('SIGTERM', () => stop('SIGTERM'));
	process.on('SIGHUP', () => stop('SIGHUP'));
}

if (require.main === module) {
	main().catch((e) => {
		process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
		process.exit(1);
	});
}
