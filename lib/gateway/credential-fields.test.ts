import { clusterConfigFromCredential } from './cluster-config';
import { credentialGroupValues, LOAD_BALANCING_FIELDS, TIMEOUT_FIELDS } from './credential-fields';

const backends = { backend: [{ name: 'gpu-1', baseUrl: 'http://gpu-1:11434', weight: 1, parallel: 4 }] };
/** What n8n hands a node: every declared field, with its default filled in. */
const withDefaults = (over: Record<string, unknown> = {}) => ({
	backends,
	...Object.fromEntries([...TIMEOUT_FIELDS.fields, ...LOAD_BALANCING_FIELDS.fields].map((f) => [f.name, f.default])),
	...over,
});

describe('credential fields (timeouts, load balancing) over the 0.1 collections', () => {
	it('reads the form fields in seconds', () => {
		const config = clusterConfigFromCredential(withDefaults({ connectTimeout: 3, idleTimeout: 0, balancingStrategy: 'leastLatency', healthInterval: 2 }));
		expect(config.timeouts).toEqual({ connectMs: 3000, firstTokenMs: 600_000, idleMs: 0, totalMs: 3_600_000 });
		expect(config.balancer).toMatchObject({ strategy: 'leastLatency', healthIntervalMs: 2000 });
	});

	it('keeps values a 0.1 credential saved in its collections', () => {
		const config = clusterConfigFromCredential(withDefaults({ timeouts: { firstToken: 900, idle: 0 }, loadBalancing: { retries: 1 } }));
		expect(config.timeouts).toEqual({ connectMs: 10_000, firstTokenMs: 900_000, idleMs: 0, totalMs: 3_600_000 });
		expect(config.balancer?.retries).toBe(1);
	});

	it('lets a changed form field win over the 0.1 value', () => {
		expect(credentialGroupValues(withDefaults({ firstOutputTimeout: 30, timeouts: { firstToken: 900 } }), TIMEOUT_FIELDS)).toMatchObject({ firstToken: 30 });
	});

	it('defaults the fields to the transport and balancer defaults', () => {
		expect(clusterConfigFromCredential({ backends }).timeouts).toEqual({ connectMs: 10_000, firstTokenMs: 600_000, idleMs: 120_000, totalMs: 3_600_000 });
	});
});
