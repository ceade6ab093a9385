import { createBalancerStage } from '.';
import type { Call } from '../gateway';
import type { OllamaTransport } from '../ollama';

const fakeBackend = (name: string, weight: number) => ({ name, backend: { name, baseUrl: '', weight, parallel: 1 } }) as unknown as OllamaTransport;

describe('balancer stage (weighted round-robin)', () => {
	it('spreads calls by weight, interleaved', async () => {
		const stage = createBalancerStage([fakeBackend('a', 3), fakeBackend('b', 1)]);
		const picks: string[] = [];
		for (let i = 0; i < 8; i++) {
			const call = { kind: 'chat', request: { model: 'm' }, options: {}, trace: { queueMs: 0, cacheHit: false, retries: 0, warnings: [] } } as Call;
			await stage.handle(call, async (c) => picks.push(c.target!.name));
		}
		expect(picks.filter((p) => p === 'a')).toHaveLength(6);
		expect(picks.filter((p) => p === 'b')).toHaveLength(2);
		expect(picks.slice(0, 4).sort()).toEqual(['a', 'a', 'a', 'b']);
	});

	it('refuses an empty cluster', () => {
		expect(() => createBalancerStage([])).toThrow(/at least one backend/);
	});
});
