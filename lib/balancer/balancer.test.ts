import { createRouter } from '.';
import { BackendBusyError } from '../ollama';
import { newTrace, type Backend, type Call } from '../pipeline';

const fakeBackend = (name: string, weight: number, parallel = 1) => ({ name, backend: { name, baseUrl: '', weight, parallel } }) as unknown as Backend;
const call = (): Call => ({ kind: 'chat', request: { model: 'm', messages: [] }, options: {}, trace: newTrace() });

describe('router (weighted round-robin over free slots)', () => {
	it('spreads calls by weight, interleaved', () => {
		const router = createRouter([fakeBackend('a', 3), fakeBackend('b', 1)]);
		const picks: string[] = [];
		for (let i = 0; i < 8; i++) {
			const lease = router.tryAcquire(call())!;
			picks.push(lease.backend.name);
			lease.release({ ok: true, durationMs: 1 });
		}
		expect(picks.filter((p) => p === 'a')).toHaveLength(6);
		expect(picks.filter((p) => p === 'b')).toHaveLength(2);
		expect(picks.slice(0, 4).sort()).toEqual(['a', 'a', 'a', 'b']);
	});

	it('never hands a backend more than its slots plus look-ahead, and says when one frees', () => {
		const router = createRouter([fakeBackend('one', 1, 1), fakeBackend('three', 1, 3)], { lookAhead: 1 });
		const leases = Array.from({ length: 6 }, () => router.tryAcquire(call())!);
		expect(leases.every(Boolean)).toBe(true);
		expect(router.inFlight('one')).toBe(2);
		expect(router.inFlight('three')).toBe(4);
		expect(router.tryAcquire(call())).toBeUndefined();
		let told = 0;
		router.onCapacity(() => told++);
		leases[0].release({ ok: true, durationMs: 1 });
		expect(told).toBe(1);
		expect(router.tryAcquire(call())).toBeDefined();
	});

	it('keeps a pinned call on its backend', () => {
		const [a, b] = [fakeBackend('a', 1), fakeBackend('b', 1)];
		const router = createRouter([a, b]);
		expect(router.tryAcquire({ ...call(), target: b })!.backend).toBe(b);
		expect(() => router.tryAcquire({ ...call(), target: fakeBackend('x', 1) })).toThrow(/not part of this cluster/);
	});

	it('retries a busy backend with growing backoff, then gives up; other errors are not retried', () => {
		const router = createRouter([fakeBackend('a', 1)], { busyRetries: 2 });
		const busy = new BackendBusyError('a', 'server busy');
		expect(router.retryDelay(call(), busy, 1)).toBe(50);
		expect(router.retryDelay(call(), busy, 2)).toBe(100);
		expect(router.retryDelay(call(), busy, 3)).toBeUndefined();
		expect(router.retryDelay(call(), new Error('boom'), 1)).toBeUndefined();
	});

	it('refuses an empty cluster', () => {
		expect(() => createRouter([])).toThrow(/at least one backend/);
	});
});
