import { clusterConfigFromCredential, ClusterConfigError } from './cluster-config';

const backend = (over: Record<string, unknown> = {}) => ({ name: 'gpu-1', baseUrl: 'http://gpu-1:11434/', weight: 2, parallel: 4, ...over });

describe('clusterConfigFromCredential', () => {
	it('reads backends, headers, secrets and timeouts (seconds → ms)', () => {
		const config = clusterConfigFromCredential({
			backends: { backend: [backend(), backend({ name: 'gpu-2', baseUrl: 'https://gpu-2', parallel: 0 })] },
			apiKey: 'sk-secret',
			headers: { header: [{ name: 'X-Team', value: 'ops' }, { name: ' ', value: 'ignored' }] },
			allowSelfSigned: true,
			timeouts: { firstToken: 900, idle: 0 },
		});
		expect(config.backends).toEqual([
			{ name: 'gpu-1', baseUrl: 'http://gpu-1:11434', weight: 2, parallel: 4 },
			{ name: 'gpu-2', baseUrl: 'https://gpu-2', weight: 2, parallel: 0 }, // 0 = learned by the balancer
		]);
		expect(config.apiKey).toBe('sk-secret');
		expect(config.headers).toEqual({ 'X-Team': 'ops' });
		expect(config.allowSelfSigned).toBe(true);
		expect(config.timeouts).toEqual({ connectMs: 10_000, firstTokenMs: 900_000, idleMs: 0, totalMs: 3_600_000 });
	});

	it('reads the Queue Wait Timeout (seconds → ms) into the scheduler; 0 (the default) waits as long as needed', () => {
		expect(clusterConfigFromCredential({ backends: { backend: [backend()] }, queueWaitTimeout: 2.5 }).scheduler).toEqual({ queueTimeoutMs: 2500 });
		expect(clusterConfigFromCredential({ backends: { backend: [backend()] }, queueWaitTimeout: 0 }).scheduler).toEqual({ queueTimeoutMs: 0 });
		expect(clusterConfigFromCredential({ backends: { backend: [backend()] } }).scheduler).toEqual({ queueTimeoutMs: 0 });
	});

	it('reads the Load Balancing options (seconds → ms) and rejects an unknown strategy', () => {
		const config = clusterConfigFromCredential({
			backends: { backend: [backend()] },
			loadBalancing: { strategy: 'leastConnections', healthInterval: 2, cooldown: 10, failureThreshold: 4, retries: 1, pullMissing: true, lookAhead: 0 },
		});
		expect(config.balancer).toEqual({ strategy: 'leastConnections', healthIntervalMs: 2000, cooldownMs: 10_000, failureThreshold: 4, retries: 1, pullMissing: true, lookAhead: 0 });
		expect(clusterConfigFromCredential({ backends: { backend: [backend()] } }).balancer).toEqual({});
		expect(() => clusterConfigFromCredential({ backends: { backend: [backend()] }, loadBalancing: { strategy: 'random' } })).toThrow(/"Strategy" field of the Ollama Cluster API credential/);
	});

	it('reads Hedge Slow Calls; a credential saved before it existed keeps the balancer default (on)', () => {
		expect(clusterConfigFromCredential({ backends: { backend: [backend()] }, hedging: false }).balancer).toEqual({ hedging: false });
		expect(clusterConfigFromCredential({ backends: { backend: [backend()] }, hedging: true }).balancer).toEqual({ hedging: true });
		expect(clusterConfigFromCredential({ backends: { backend: [backend()] } }).balancer?.hedging).toBeUndefined();
	});

	it.each([
		[{ backends: { backend: [] } }, /lists no backend/],
		[{ backends: { backend: [backend(), backend()] } }, /Two backends are named "gpu-1"/],
		[{ backends: { backend: [backend({ baseUrl: 'not a url' })] } }, /Backend "gpu-1" has an invalid Base URL/],
		[{ backends: { backend: [backend({ baseUrl: 'ftp://gpu' })] } }, /must start with http/],
		[{ backends: { backend: [backend({ weight: 0 })] } }, /weight 0/],
	])('rejects a bad credential with a message naming the field (%#)', (data, message) => {
		expect(() => clusterConfigFromCredential(data)).toThrow(ClusterConfigError);
		expect(() => clusterConfigFromCredential(data)).toThrow(message);
	});

	it('never puts a URL secret in its error messages', () => {
		const data = { backends: { backend: [backend({ baseUrl: 'http://user:hunter2@gpu-1:11434' }), backend({ baseUrl: 'x' })] } };
		expect(() => clusterConfigFromCredential(data)).toThrow(/Two backends/);
		try {
			clusterConfigFromCredential(data);
		} catch (error) {
			expect((error as Error).message).not.toContain('hunter2');
		}
	});

	it('moves user:password out of a Base URL into an Authorization: Basic header', () => {
		const config = clusterConfigFromCredential({
			backends: { backend: [backend({ baseUrl: 'http://ops:p%40ss%3Aword@gpu-1:11434/' }), backend({ name: 'gpu-2', baseUrl: 'http://ops:p%40ss%3Aword@gpu-2:11434' })] },
		});
		expect(config.backends.map((b) => b.baseUrl)).toEqual(['http://gpu-1:11434', 'http://gpu-2:11434']);
		expect(config.headers).toEqual({ Authorization: `Basic ${Buffer.from('ops:p@ss:word').toString('base64')}` });
		expect(JSON.stringify(config.backends)).not.toContain('word');
	});

	it.each([
		[[backend({ baseUrl: 'http://ops:pw-x1@gpu-1' }), backend({ name: 'gpu-2', baseUrl: 'http://ops:pw-x2@gpu-2' })], /Backends "gpu-1" and "gpu-2" have different user:password/],
		[[backend({ baseUrl: 'http://ops:pw-x1@gpu-1' }), backend({ name: 'gpu-2', baseUrl: 'http://gpu-2' })], /Backend "gpu-2" has no user:password in its Base URL but "gpu-1" has/],
	])('refuses basic-auth credentials it would send to the wrong backend (%#)', (rows, message) => {
		expect(() => clusterConfigFromCredential({ backends: { backend: rows } })).toThrow(message);
		try {
			clusterConfigFromCredential({ backends: { backend: rows } });
		} catch (error) {
			expect((error as Error).message).not.toMatch(/pw-x1|pw-x2|http/);
		}
	});

	it('refuses an API key together with a user:password (both would be the Authorization header)', () => {
		expect(() => clusterConfigFromCredential({ apiKey: 'sk-1', backends: { backend: [backend({ baseUrl: 'http://ops:pw@gpu-1' })] } })).toThrow(
			/"API Key" and a user:password in Backend "gpu-1"'s Base URL/,
		);
	});
});
