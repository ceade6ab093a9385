import { join } from 'node:path';

import type { IDataObject, INodeParameters, IWorkflowBase } from 'n8n-workflow';
import type Redis from 'ioredis';

import { preloadSimulatorTokenizer } from '../../lib/balancer/simulators.fixture';
import { closeSharedRedis, createRedisClient } from '../../lib/redis';
import { closeAllGateways } from '../../lib/registry';
import { readWorkflow, runWorkflow, type WorkflowRunResult } from '../../test/harness/run-workflow';
import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server';
import { startSimulator, type Simulator } from '../../test/simulator';

/**
 * Issue 21 (security): two Ollama Cluster credentials and two workflows on ONE real Redis (one
 * Redis credential, same key prefix, same session key, same prompts). Neither reads the other's
 * cache entries, conversation memory or single-flight results; the canary API keys and the Redis
 * password never appear in output items, errors or Redis keys and values.
 */
const CANARY = { clusterA: 'sk-CANARY-A-7d1e', clusterB: 'sk-CANARY-B-33f0', redis: 'CANARY-redis-iso-9a2c' };

let sim: Simulator;
let redis: TestRedis;

beforeAll(async () => {
	preloadSimulatorTokenizer();
	sim = await startSimulator({ parallel: 4, timeScale: 0 });
	redis = await startTestRedis();
	const admin = createRedisClient({ ...redis.config, keyPrefix: '' });
	await admin.config('SET', 'requirepass', CANARY.redis);
	admin.disconnect();
});
afterEach(async () => {
	await closeAllGateways();
	await closeSharedRedis();
	sim.setFaults({ firstTokenDelayMs: 0 });
	sim.resetStats();
});
afterAll(async () => {
	await sim.close();
	await redis.stop();
});

const cluster = (name: string, apiKey: string) => ({ backends: { backend: [{ name, baseUrl: sim.url, weight: 1, parallel: 4 }] }, apiKey });
const redisCredential = () => ({ host: redis.config.host, port: redis.config.port, password: CANARY.redis, keyPrefix: 'iso:' });

/** A workflow `id` whose Team Agent caches (exact, in Redis) and, with a session key, remembers the conversation in Redis. */
function workflow(id: string, sessionKey = ''): IWorkflowBase {
	const wf = readWorkflow(join(__dirname, '..', '..', 'examples', 'cache-agent-option.json'));
	const agent = wf.nodes.find((n) => n.name === 'Team Agent')!;
	const options = agent.parameters.options as IDataObject;
	const settings = { ...((options.cache as IDataObject).settings as IDataObject), mode: 'exact' };
	agent.parameters = { ...agent.parameters, sessionKey, options: { ...options, cache: { settings } } } as unknown as INodeParameters;
	agent.credentials = { ...agent.credentials, agentTeamRedisApi: { id: 'redis1', name: 'Agent Team Redis API' } };
	return { ...wf, id };
}

const run = (wf: IWorkflowBase, ollama: ReturnType<typeof cluster>, prompt: string) =>
	runWorkflow(wf, { credentials: { ollamaClusterApi: ollama, agentTeamRedisApi: redisCredential() }, input: [{ prompt }] });
const item = (result: WorkflowRunResult) => result.output('Team Agent')[0].json as Record<string, any>;
const chatBodies = () => sim.stats.lastRequests.filter((r) => r.path === '/api/chat').map((r) => JSON.stringify(r.body));

async function redisContents(): Promise<{ keys: string[]; values: string }> {
	const reader: Redis = createRedisClient({ ...redis.config, keyPrefix: '', password: CANARY.redis });
	try {
		const keys = await reader.keys('*');
		const values = await Promise.all(
			keys.map(async (key) => {
				const type = await reader.type(key);
				if (type === 'string') return (await reader.getBuffer(key))?.toString('latin1') ?? '';
				if (type === 'hash') return JSON.stringify(await reader.hgetall(key));
				if (type === 'list') return JSON.stringify(await reader.lrange(key, 0, -1));
				if (type === 'set') return JSON.stringify(await reader.smembers(key));
				if (type === 'zset') return JSON.stringify(await reader.zrange(key, 0, -1));
				return type;
			}),
		);
		return { keys, values: values.join('\n') };
	} finally {
		await reader.quit();
	}
}

describe('two credentials and two workflows on one Redis', () => {
	const A = () => cluster('gpu-a', CANARY.clusterA);
	const B = () => cluster('gpu-b', CANARY.clusterB);

	it('the cache: an answer cached by one credential or workflow is never served to the other', async () => {
		const first = await run(workflow('wf-A'), A(), 'What is the capital of Norway?');
		expect(item(first).cacheHit).toBe(false);
		// the same workflow and credential again: a hit (the cache works, so the misses below mean something)
		expect(item(await run(workflow('wf-A'), A(), 'What is the capital of Norway?')).cacheHit).toBe(true);
		// the other workflow, same credential: a miss
		expect(item(await run(workflow('wf-B'), A(), 'What is the capital of Norway?')).cacheHit).toBe(false);
		// the same workflow id, the other credential (another cluster): a miss
		expect(item(await run(workflow('wf-A'), B(), 'What is the capital of Norway?')).cacheHit).toBe(false);
	});

	it('memory: the same session key in the other workflow starts empty', async () => {
		await run(workflow('wf-A', 'same-user'), A(), 'My PIN is 4711.');
		// the same workflow remembers it (so the empty history below means something)
		await run(workflow('wf-A', 'same-user'), A(), 'Do you remember?');
		expect(chatBodies().at(-1)).toContain('4711');
		const other = await run(workflow('wf-B', 'same-user'), B(), 'What is my PIN?');
		expect(item(other).memory).toMatchObject({ store: 'redis', historyMessages: 0 });
		expect(chatBodies().at(-1)).not.toContain('4711');
	});

	it('single-flight: identical calls in flight at once from the two workflows are not joined', async () => {
		sim.setFaults({ firstTokenDelayMs: 300 });
		// within one workflow and credential they are (one request, the other joins it)
		const same = await Promise.all([run(workflow('wf-A'), A(), 'Joined question in flight'), run(workflow('wf-A'), A(), 'Joined question in flight')]);
		expect(sim.stats.requestsByEndpoint['/api/chat']).toBe(1);
		expect(same.map((r) => item(r).cacheLayer).sort()).toEqual(['single-flight', undefined]);
		sim.resetStats();
		const [a, b] = await Promise.all([run(workflow('wf-A'), A(), 'Identical question in flight'), run(workflow('wf-B'), B(), 'Identical question in flight')]);
		expect(item(a).cacheHit).toBe(false);
		expect(item(b).cacheHit).toBe(false);
		expect(item(a).cacheLayer).toBeUndefined();
		expect(item(b).cacheLayer).toBeUndefined();
		expect(sim.stats.requestsByEndpoint['/api/chat']).toBe(2);
	});

	it('no canary API key or Redis password in output items, errors, Redis keys or values', async () => {
		const results = [await run(workflow('wf-A'), A(), 'Tell me a secret.'), await run(workflow('wf-B'), B(), 'Tell me a secret.')];
		const { keys, values } = await redisContents();
		expect(keys.length).toBeGreaterThan(0);
		const places: Record<string, string> = { 'run data': JSON.stringify(results.map((r) => r.run)), 'Redis keys': keys.join('\n'), 'Redis values': values };
		const leaks = Object.entries(places).flatMap(([where, text]) => Object.values(CANARY).filter((c) => text.includes(c)).map((c) => `${c} in ${where}`));
		expect(leaks).toEqual([]);
	});
});
