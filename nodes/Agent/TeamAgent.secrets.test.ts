import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';

import type { ICredentialDataDecryptedObject, INodeParameters, IWorkflowBase } from 'n8n-workflow';
import type Redis from 'ioredis';

import { processMetrics } from '../../lib/metrics';
import { closeSharedRedis, createRedisClient } from '../../lib/redis';
import { closeAllGateways } from '../../lib/registry';
import { readWorkflow, runWorkflow, type WorkflowRunResult } from '../../test/harness/run-workflow';
import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server';
import { startSimulator, type Simulator } from '../../test/simulator';

/**
 * Canary secrets: planted in every place a secret can be configured, then looked for in
 * everything a run leaves behind — output items, error messages (run data), log lines (console,
 * stdout/stderr, n8n AI events), metric names and Redis keys and values — for a run that
 * succeeds and for runs that fail every way the transport can fail, over real HTTP.
 */
const CANARY = {
	bearer: 'sk-CANARY-apikey-7f3a',
	header: 'CANARY-header-91bc',
	redis: 'CANARY-redispw-55d1',
	basic: 'CANARY-basicpw-2e8f',
};
const CANARIES = Object.values(CANARY);

let bearerSim: Simulator; // demands the API key
let basicSim: Simulator; // behind "basic auth" (the header is checked by our proxy below)
let redis: TestRedis;
let malformed: Server; // answers 200 with a body that is not Ollama's NDJSON
let busy: Server; // answers 503 with Ollama's "queue full" text
let closedPort: number;
const logs: string[] = [];
const restores: Array<() => void> = [];

async function fakeOllama(status: number, body: string): Promise<Server> {
	const server = createHttpServer((_req, res) => {
		res.writeHead(status, { 'content-type': status === 200 ? 'application/x-ndjson' : 'application/json' });
		res.end(body);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return server;
}
const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as { port: number }).port}`;

async function freePort(): Promise<number> {
	const server = createServer();
	const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
	await new Promise((resolve) => server.close(resolve));
	return port;
}

beforeAll(async () => {
	bearerSim = await startSimulator({ parallel: 1, timeScale: 0, apiKey: CANARY.bearer });
	basicSim = await startSimulator({ parallel: 1, timeScale: 0 });
	redis = await startTestRedis();
	const admin = createRedisClient({ ...redis.config, keyPrefix: '' });
	await admin.config('SET', 'requirepass', CANARY.redis);
	admin.disconnect();
	// Two replies the simulator has no switch for, from stand-ins on loopback (still real HTTP).
	malformed = await fakeOllama(200, '<html>this is no ndjson {{{\n');
	busy = await fakeOllama(503, '{"error":"server busy, please try again.  maximum pending requests exceeded"}');
	// The simulator loads its real tokenizers on the first request: not within a 1 s timeout.
	for (const sim of [bearerSim, basicSim]) {
		await fetch(`${sim.url}/api/chat`, {
			method: 'POST',
			headers: { authorization: `Bearer ${CANARY.bearer}` },
			body: JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'warm' }], stream: false }),
		});
	}
	closedPort = await freePort();
	// Everything written to the console, stdout or stderr during the runs is a log line to check.
	for (const stream of [process.stdout, process.stderr]) {
		const write = stream.write.bind(stream);
		stream.write = ((chunk: unknown, ...rest: unknown[]) => {
			logs.push(String(chunk));
			return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
		}) as typeof stream.write;
		restores.push(() => (stream.write = write));
	}
	for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
		const original = console[method];
		console[method] = (...args: unknown[]) => logs.push(args.map(String).join(' '));
		restores.push(() => (console[method] = original));
	}
});
afterEach(async () => {
	await closeAllGateways();
	await closeSharedRedis();
	for (const sim of [bearerSim, basicSim]) {
		sim.setFaults({ errorRate: 0, hangRate: 0, dropMidStreamRate: 0, crashNext: 0 });
		sim.clearScripts();
		sim.resetStats();
	}
});
afterAll(async () => {
	for (const restore of restores.reverse()) restore();
	await bearerSim.close();
	await basicSim.close();
	await new Promise((resolve) => malformed.close(resolve));
	await new Promise((resolve) => busy.close(resolve));
	await redis.stop();
});

const headers = { header: [{ name: 'X-Canary-Token', value: CANARY.header }] };
const timeouts = { connectTimeout: 2, firstOutputTimeout: 1, idleTimeout: 1, totalTimeout: 4, failoverRetries: 0 };
const backend = (baseUrl: string) => ({ backends: { backend: [{ name: 'gpu-canary', baseUrl, weight: 1, parallel: 1 }] } });
const withBasicAuth = (url: string) => url.replace('http://', `http://ops:${CANARY.basic}@`);

/** The two ways a secret reaches Ollama: an API key (+ header), or user:password in the Base URL (+ header). */
const variants: Array<[string, (url?: string) => ICredentialDataDecryptedObject, () => Simulator]> = [
	['API key', (url) => ({ ...backend(url ?? bearerSim.url), apiKey: CANARY.bearer, headers, ...timeouts }), () => bearerSim],
	['basic auth in the Base URL', (url) => ({ ...backend(withBasicAuth(url ?? basicSim.url)), headers, ...timeouts }), () => basicSim],
];

function agent(parameters: INodeParameters = {}, settings: Record<string, unknown> = {}): IWorkflowBase {
	const wf = readWorkflow(join(__dirname, '..', '..', 'examples', 'agent-basic.json'));
	const node = wf.nodes.find((n) => n.name === 'Team Agent')!;
	node.parameters = { ...node.parameters, prompt: '={{ $json.text }}', sessionKey: 'canary-user', ...parameters, options: { summaryItem: true, ...(parameters.options as object) } };
	node.credentials = { ...node.credentials, agentTeamRedisApi: { id: 'redis1', name: 'Agent Team Redis API' } };
	Object.assign(node, settings);
	return wf;
}

const redisCredential = (port = redis.config.port) => ({ host: redis.config.host, port, password: CANARY.redis, keyPrefix: 'canary:' });

async function everythingLeftBehind(result: WorkflowRunResult): Promise<Record<string, string>> {
	await new Promise((resolve) => setTimeout(resolve, 50)); // metrics are written without blocking the item
	const reader: Redis = createRedisClient({ ...redis.config, keyPrefix: '', password: CANARY.redis });
	try {
		const keys = await reader.keys('*');
		const values = await Promise.all(
			keys.map(async (key) => {
				const type = await reader.type(key);
				if (type === 'string') return await reader.get(key);
				if (type === 'hash') return JSON.stringify(await reader.hgetall(key));
				if (type === 'list') return JSON.stringify(await reader.lrange(key, 0, -1));
				if (type === 'set') return JSON.stringify(await reader.smembers(key));
				return type;
			}),
		);
		return {
			'output items and errors (run data)': JSON.stringify(result.run),
			'log lines': logs.join('\n'),
			'AI events': JSON.stringify(result.aiEvents),
			'process metrics': JSON.stringify(processMetrics().snapshot()),
			'Redis keys': keys.join('\n'),
			'Redis values': values.join('\n'),
		};
	} finally {
		await reader.quit();
	}
}

async function expectNoCanary(result: WorkflowRunResult): Promise<void> {
	const places = await everythingLeftBehind(result);
	const leaks = Object.entries(places).flatMap(([where, text]) => CANARIES.filter((c) => text.includes(c)).map((c) => `${c} in ${where}`));
	expect(leaks).toEqual([]);
}

const errorOf = (result: WorkflowRunResult) => result.error('Team Agent')?.message ?? '';

describe.each(variants)('no secret leaks (%s)', (_name, credential, sim) => {
	const run = (wf: IWorkflowBase, ollama: ICredentialDataDecryptedObject, extra: Partial<Parameters<typeof runWorkflow>[1]> = {}) =>
		runWorkflow(wf, { credentials: { ollamaClusterApi: ollama, agentTeamRedisApi: redisCredential() }, input: [{ text: 'Hello there' }], ...extra });

	it('a run that succeeds (memory and metrics in Redis, run summary)', async () => {
		const result = await run(agent(), credential());
		expect(result.run.status).toBe('success');
		expect((result.output('Team Agent')[0].json as { memory: { store: string } }).memory.store).toBe('redis');
		await expectNoCanary(result);
	});

	it.each([
		['unreachable', () => credential(`http://127.0.0.1:${closedPort}`), () => undefined, /is unreachable/],
		['timeout', () => credential(), () => sim().setFaults({ hangRate: 1 }), /timed out waiting for the first token/],
		['HTTP 500', () => credential(), () => sim().setFaults({ errorRate: 1 }), /HTTP 500/],
		['runner crash inside the stream', () => credential(), () => sim().setFaults({ crashNext: 1 }), /unexpectedly stopped|HTTP 500|malformed/],
		['connection dropped mid-stream', () => credential(), () => sim().setFaults({ dropMidStreamRate: 1 }), /connection lost|unreachable|malformed/],
		['malformed reply', () => credential(urlOf(malformed)), () => undefined, /malformed/],
		['busy (HTTP 503, Ollama\'s queue is full)', () => credential(urlOf(busy)), () => undefined, /is busy \(HTTP 503\)/],
	])('a run that fails: %s', async (_kind, ollama, fault, message) => {
		fault();
		const result = await run(agent(), ollama());
		expect(errorOf(result)).toMatch(message);
		await expectNoCanary(result);
	});

	it('a run that fails: model not found (404)', async () => {
		const result = await run(agent({ model: 'missing-model:1b' }), credential());
		expect(errorOf(result)).toMatch(/is not available on Ollama backend "gpu-canary"/);
		await expectNoCanary(result);
	});

	it('a run that is cancelled (abort)', async () => {
		sim().setFaults({ hangRate: 1 });
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 150);
		const result = await run(agent(), credential(), { signal: controller.signal });
		expect(result.run.status).not.toBe('success');
		await expectNoCanary(result);
	});

	it('a run whose Redis is unreachable', async () => {
		const result = await runWorkflow(agent(), { credentials: { ollamaClusterApi: credential(), agentTeamRedisApi: redisCredential(closedPort) }, input: [{ text: 'Hi' }] });
		expect(errorOf(result)).toMatch(/Conversation memory in Redis could not be read/);
		await expectNoCanary(result);
	});
});
