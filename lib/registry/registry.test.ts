import { closeAllGateways, clusterKey, gatewayCount, getGateway } from '.';
import type { ClusterConfig } from '../gateway';

const config = (apiKey: string): ClusterConfig => ({
	backends: [{ name: 'a', baseUrl: 'http://127.0.0.1:1', weight: 1, parallel: 2 }],
	apiKey,
});

afterEach(closeAllGateways);

describe('gateway registry', () => {
	it('shares one gateway per credential values, whatever the key order', () => {
		const a = getGateway(config('k1'));
		const reordered = { apiKey: 'k1', backends: [{ parallel: 2, weight: 1, baseUrl: 'http://127.0.0.1:1', name: 'a' }] };
		expect(getGateway(reordered)).toBe(a);
		expect(getGateway(config('k2'))).not.toBe(a);
		expect(gatewayCount()).toBe(2);
	});

	it('keys by a hash that does not contain the secret', () => {
		const key = clusterKey(config('super-secret-key'));
		expect(key).toMatch(/^[0-9a-f]{64}$/);
		expect(key).not.toContain('super-secret-key');
	});

	it('closes every gateway on closeAllGateways', async () => {
		const gateway = getGateway(config('k3'));
		await closeAllGateways();
		expect(gatewayCount()).toBe(0);
		await expect(gateway.backends[0].listModels()).rejects.toThrow(/closed/);
	});

	it('runs every call through the stages in the documented order', () => {
		expect(getGateway(config('k4')).stageNames).toEqual(['cache', 'single-flight', 'batching', 'scheduler', 'runner-options', 'transport']);
	});
});
