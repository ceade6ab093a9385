/**
 * The standalone CLI: prints exactly one "listening" line, serves the API, honours flags, and exits
 * cleanly on SIGTERM / SIGINT.
 */
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { FLAGS, parseCliArgs, usage } from './cli';
import { DEFAULT_COST_MODEL, DEFAULT_FAULTS } from './index';

const CLI = join(__dirname, 'cli.ts');
const LINE = /^Ollama simulator listening on (http:\/\/127\.0\.0\.1:(\d+))$/;

function startCli(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; url: string; stdout: () => string }> {
	const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: 'pipe' });
	let out = '';
	let err = '';
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no listening line; stderr: ${err}`)), 15000);
		child.stderr.on('data', (d) => (err += d));
		child.stdout.on('data', (d) => {
			out += d;
			const line = out.split('\n')[0];
			const m = out.includes('\n') ? line.match(LINE) : null;
			if (m) {
				clearTimeout(timer);
				resolve({ child, url: m[1], stdout: () => out });
			}
		});
		child.on('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`exited ${code}; stderr: ${err}`));
		});
	});
}

function exitOf(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
	return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

test('flag parsing covers cost model, faults and scripts', () => {
	const o = parseCliArgs([
		'--port', '0', '--parallel', '2', '--max-queue', '7', '--prefill-tps', '1000', '--decode-tps=50', '--load-ms', '5',
		'--keep-alive', '30s', '--max-loaded-models', '2', '--time-scale', '0.5', '--version', '0.12.3', '--api-key', 'K',
		'--num-ctx', '8192', '--embedding-parallel', '2', '--error-rate', '0.1', '--hang-rate', '0.2', '--drop-mid-stream-rate', '0.3',
		'--first-token-delay-ms', '40', '--fail-next', '3', '--seed', '9', '--script', '{"match":"hi","reply":"yo"}',
	]);
	expect(o).toMatchObject({
		port: 0, parallel: 2, maxQueue: 7, prefillTokensPerSec: 1000, decodeTokensPerSec: 50, loadMs: 5, defaultKeepAlive: '30s',
		maxLoadedModels: 2, timeScale: 0.5, version: '0.12.3', apiKey: 'K', defaultNumCtx: 8192, embeddingParallel: 2,
		faults: { errorRate: 0.1, hangRate: 0.2, dropMidStreamRate: 0.3, firstTokenDelayMs: 40, failNext: 3, seed: 9 },
		scripts: [{ match: 'hi', reply: 'yo' }],
	});
	expect(parseCliArgs([]).port).toBe(11434);
	expect(parseCliArgs(['--keep-alive', '-1']).defaultKeepAlive).toBe(-1);
	expect(() => parseCliArgs(['--bogus', '1'])).toThrow(/unknown flag --bogus/);
	expect(() => parseCliArgs(['--parallel', 'x'])).toThrow(/needs a number/);
});

test('every option of the cost model and every fault has a switch, and --help lists them all', () => {
	const help = usage();
	const keyed = parseCliArgs([
		'--queue-rule', 'legacy', '--step-ms', '5', '--decode-token-ms', '2', '--prefill-token-ms', '0.5', '--num-batch', '256',
		'--vram-gib', '24', '--system-memory-gib', '0', '--unload-delay-ms', '10', '--embed-baseline', '0.4', '--reply-tokens-min', '3',
		'--reply-tokens-max', '4', '--models', '[{"name":"m:1b"}]', '--crash-rate', '0.5', '--crash-next', '2', '--crash-after-tokens', '0',
		'--load-fail-next', '1',
	]);
	expect(keyed).toMatchObject({
		queueRule: 'legacy', stepMs: 5, decodeTokenMs: 2, prefillTokenMs: 0.5, numBatch: 256, vramGiB: 24, systemMemoryGiB: 0,
		unloadDelayMs: 10, embedBaseline: 0.4, replyTokensMin: 3, replyTokensMax: 4, models: [{ name: 'm:1b' }],
		faults: { crashRate: 0.5, crashNext: 2, crashAfterTokens: 0, loadFailNext: 1 },
	});
	// every option and fault has a flag that --help names (apiKey aside, all are in DEFAULT_*)
	for (const key of [...Object.keys(DEFAULT_COST_MODEL), 'apiKey', ...Object.keys(DEFAULT_FAULTS)]) {
		const flag = FLAGS.find((f) => f.key === key);
		expect({ key, flag: flag?.names[0] }).toEqual({ key, flag: expect.any(String) });
		expect(help).toContain(`--${flag!.names[0]}`);
	}
	for (const name of ['--queue-rule', '--step-ms', '--decode-token-ms', '--prefill-token-ms', '--num-batch', '--vram-gib', '--system-memory-gib', '--unload-delay-ms', '--embed-baseline', '--crash-rate', '--crash-next', '--crash-after-tokens', '--load-fail-next', '--time-scale', '--version']) {
		expect(help).toContain(name);
	}
});

test('standalone process: one line, serves chat, exits 0 on SIGTERM', async () => {
	const { child, url, stdout } = await startCli(['--port', '0', '--time-scale', '0', '--version', '0.12.9', '--script', '{"match":"ping","reply":"pong"}']);
	try {
		expect(await (await fetch(`${url}/api/version`)).json()).toEqual({ version: '0.12.9' });
		const r = await fetch(`${url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'ping' }], stream: false }) });
		expect(((await r.json()) as { message: { content: string } }).message.content).toBe('pong');
		const exited = exitOf(child);
		child.kill('SIGTERM');
		expect(await exited).toEqual({ code: 0, signal: null });
		expect(stdout().trim().split('\n')).toHaveLength(1);
	} finally {
		if (child.exitCode === null) child.kill('SIGKILL');
	}
}, 60000); // spawning tsx takes long on a busy machine

test('SIGINT with an open stream still exits promptly', async () => {
	const { child, url } = await startCli(['--port', '0', '--decode-tps', '5', '--load-ms', '0']);
	try {
		const res = await fetch(`${url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'slow' }] }) });
		const reader = res.body!.getReader();
		await reader.read();
		const exited = exitOf(child);
		const t0 = Date.now();
		child.kill('SIGINT');
		expect((await exited).code).toBe(0);
		expect(Date.now() - t0).toBeLessThan(3000);
		await reader.read().catch(() => undefined);
	} finally {
		if (child.exitCode === null) child.kill('SIGKILL');
	}
}, 60000);

test('an /api/embed request with many inputs queues them without a MaxListenersExceededWarning', async () => {
	const { child, url } = await startCli(['--port', '0', '--parallel', '4', '--time-scale', '1', '--load-ms', '0']);
	let err = '';
	child.stderr.on('data', (d) => (err += d));
	try {
		const input = Array.from({ length: 40 }, (_, i) => `document ${i}`);
		const res = await fetch(`${url}/api/embed`, { method: 'POST', body: JSON.stringify({ model: 'nomic-embed-text', input }) });
		expect(((await res.json()) as { embeddings: number[][] }).embeddings).toHaveLength(40);
		await new Promise((resolve) => setTimeout(resolve, 200)); // stderr arrives a little later
		expect(err).not.toMatch(/MaxListenersExceededWarning/);
	} finally {
		child.kill('SIGKILL');
	}
}, 60000);
