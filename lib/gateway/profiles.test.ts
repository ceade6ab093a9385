import { join } from 'node:path';

import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { preloadSimulatorTokenizer } from '../balancer/simulators.fixture';
import { DEFAULT_TIMEOUTS } from '../ollama/timeouts';
import { closeAllGateways } from '../registry';
import { readWorkflow, runWorkflow } from '../../test/harness/run-workflow';
import { startSimulator, type Simulator } from '../../test/simulator';
import { clusterConfigFromCredential } from './cluster-config';
import { PROFILE_ENV, PROFILES, resolveProfile } from './profiles';

const backends = { backend: [{ name: 'gpu-1', baseUrl: 'http://127.0.0.1:11434', weight: 1, parallel: 2 }] };

describe('resolveProfile', () => {
	it('the environment variable wins over the credential; no field = custom; unknown names are refused', () => {
		expect(resolveProfile('production', {})).toMatchObject({ name: 'production', source: 'credential' });
		expect(resolveProfile('production', { [PROFILE_ENV]: 'Development' })).toMatchObject({ name: 'development', source: 'environment' });
		expect(resolveProfile(undefined, {})).toMatchObject({ name: 'custom', source: 'default' });
		expect(() => resolveProfile('staging', {})).toThrow(/Profile must be one of development, production, custom/);
		expect(() => resolveProfile('custom', { [PROFILE_ENV]: 'prod' })).toThrow(/AGENT_TEAM_PROFILE must be one of/);
	});
});

describe('clusterConfigFromCredential with profiles', () => {
	const saved = process.env[PROFILE_ENV];
	afterEach(() => {
		if (saved === undefined) delete process.env[PROFILE_ENV];
		else process.env[PROFILE_ENV] = saved;
	});
	beforeEach(() => delete process.env[PROFILE_ENV]);

	it('a credential saved before profiles (no Profile field) gives exactly the config it gave before: Custom adds nothing', () => {
		const old = { backends, connectTimeout: 10, healthInterval: 5 };
		const config = clusterConfigFromCredential(old);
		expect(config).toEqual(clusterConfigFromCredential({ ...old, profile: 'custom' }));
		expect(config).not.toHaveProperty('profile');
		expect(config).not.toHaveProperty('cache');
		expect(config).not.toHaveProperty('defaultNumCtx');
		expect(config).not.toHaveProperty('embedBatching');
		expect(config.timeouts).toEqual({ connectMs: DEFAULT_TIMEOUTS.connectMs, firstTokenMs: DEFAULT_TIMEOUTS.firstTokenMs, idleMs: DEFAULT_TIMEOUTS.idleMs, totalMs: DEFAULT_TIMEOUTS.totalMs });
		expect(config.scheduler).toEqual({ queueTimeoutMs: 0 });
		expect(config.balancer).toEqual({ healthIntervalMs: 5000 });
	});

	it('Development and Production set timeouts, retries, batching, cache and context; a field the user changed wins', () => {
		const dev = clusterConfigFromCredential({ backends, profile: 'development', connectTimeout: 10, firstOutputTimeout: 600, failoverRetries: 3 });
		expect(dev.profile).toEqual({ name: 'development', source: 'credential' });
		expect(dev.timeouts).toEqual({ connectMs: 5000, firstTokenMs: 120_000, idleMs: 60_000, totalMs: 600_000 });
		expect(dev.scheduler).toEqual({ queueTimeoutMs: 60_000 });
		expect(dev.balancer).toMatchObject({ retries: 1, healthIntervalMs: 15_000 });
		expect(dev.embedBatching).toEqual(PROFILES.development.embedBatching);
		expect(dev.cache).toEqual({ defaultTtlSeconds: 300, maxEntries: 1000, compressAbove: Number.MAX_SAFE_INTEGER });
		expect(dev.defaultNumCtx).toBe(2048);

		const prod = clusterConfigFromCredential({ backends, profile: 'production', connectTimeout: 30, failoverRetries: 2 });
		expect(prod.timeouts).toMatchObject({ connectMs: 30_000, firstTokenMs: 600_000 }); // 30 s was set by hand: it wins
		expect(prod.balancer).toMatchObject({ retries: 2 }); // so does a changed retry count
		expect(prod.scheduler).toEqual({ queueTimeoutMs: 300_000 });
		expect(prod.cache).toEqual({ defaultTtlSeconds: 86_400, maxEntries: 50_000 });
		expect(prod.defaultNumCtx).toBe(8192);
	});

	it('AGENT_TEAM_PROFILE moves a credential between profiles without editing it', () => {
		process.env[PROFILE_ENV] = 'production';
		expect(clusterConfigFromCredential({ backends, profile: 'development' }).profile).toEqual({ name: 'production', source: 'environment' });
		process.env[PROFILE_ENV] = 'bogus';
		expect(() => clusterConfigFromCredential({ backends })).toThrow(/AGENT_TEAM_PROFILE must be one of/);
	});

	it('GPU Memory (GiB) per backend row becomes bytes by backend name; 0 = unknown', () => {
		const config = clusterConfigFromCredential({ backends: { backend: [{ name: 'a', baseUrl: 'http://h:1', gpuMemory: 24 }, { name: 'b', baseUrl: 'http://h:2', gpuMemory: 0 }] } });
		expect(config.gpuMemoryBytes).toEqual({ a: 24 * 1024 ** 3 });
	});
});

describe('the same workflow under Development and Production (examples/agent-basic.json)', () => {
	let sim: Simulator;
	beforeAll(async () => {
		preloadSimulatorTokenizer();
		sim = await startSimulator({ parallel: 2, timeScale: 0, loadMs: 0 });
	});
	afterAll(async () => {
		await closeAllGateways();
		await sim.close();
	});

	async function run(profile: string | undefined) {
		sim.unloadAll();
		const workflow = readWorkflow(join(__dirname, '..', '..', 'examples', 'agent-basic.json'));
		for (const node of workflow.nodes) if (node.name === 'Team Agent') node.parameters = { ...node.parameters, options: { ...(node.parameters.options as object), summaryItem: true } };
		const credential: ICredentialDataDecryptedObject = { backends: { backend: [{ name: 'gpu-1', baseUrl: sim.url, weight: 1, parallel: 2 }] }, healthInterval: 0 };
		if (profile) credential.profile = profile;
		const result = await runWorkflow(workflow, { credentials: { ollamaClusterApi: credential } });
		expect(result.run.status).toBe('success');
		const summary = result.run.data.resultData.runData['Team Agent'].at(-1)!.data!.main[1]![0].json.runSummary as { profile?: string; calls: number };
		const ps = (await (await fetch(`${sim.url}/api/ps`)).json()) as { models: Array<{ context_length: number }> };
		return { summary, numCtx: ps.models[0].context_length };
	}

	it('the run summary names the profile; the model runs at 2k in Development and 8k in Production; an old credential is Custom', async () => {
		const dev = await run('development');
		const prod = await run('production');
		const old = await run(undefined);
		expect(dev.summary).toMatchObject({ profile: 'development', calls: 1 });
		expect(prod.summary).toMatchObject({ profile: 'production', calls: 1 });
		expect(old.summary).toMatchObject({ profile: 'custom', calls: 1 });
		expect(dev.numCtx).toBe(2048);
		expect(prod.numCtx).toBe(8192);
		expect(old.numCtx).toBe(4096); // Custom sets none: Ollama's own default
	});
});
