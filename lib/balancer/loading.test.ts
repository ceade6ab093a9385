import { BackendState, ModelOnBackend } from './backend-state';
import { BackendBusyError } from '../ollama/errors';
import { closeLoadGate, gatedCapacity, isLoadQueueFull, openLoadGate } from './loading';

describe('load gate', () => {
	it('only Ollama\'s full load queue closes it, not any 503', () => {
		expect(isLoadQueueFull(new BackendBusyError('gpu-1', 'server busy, please try again.  maximum pending requests exceeded'))).toBe(true);
		expect(isLoadQueueFull(new BackendBusyError('gpu-1', 'Service Unavailable'))).toBe(false);
		expect(isLoadQueueFull(new Error('maximum pending requests exceeded'))).toBe(false); // not a 503
	});

	it('holds the model to the calls that got through, narrows on a later refusal, and opens when the load ends', () => {
		const m = new ModelOnBackend();
		m.ready = true;
		m.inFlight = 3;
		closeLoadGate(m, 1000);
		expect(m.ready).toBe(false);
		expect(gatedCapacity(m, 4)).toBe(3);
		m.inFlight = 2; // a second refusal while one of them ended
		closeLoadGate(m, 1001);
		expect(gatedCapacity(m, 4)).toBe(2);
		expect(m.loadGate?.since).toBe(1000);
		expect(openLoadGate(m)).toBe(true);
		expect(gatedCapacity(m, 5)).toBe(5);
		expect(openLoadGate(m)).toBe(false);
	});

	it('a probe whose /api/ps lists the model opens its gate (Ollama lists a runner only once loaded)', () => {
		const s = new BackendState({ name: 'gpu-1', backend: { name: 'gpu-1', baseUrl: 'http://x', weight: 1, parallel: 4 } } as never, 3, 5000);
		const m = s.model('llama3.2:3b');
		m.inFlight = 2;
		closeLoadGate(m, 0);
		expect(s.applyProbe([], 10)).toBe(false); // not listed yet: still loading
		expect(m.loadGate).toBeDefined();
		expect(s.applyProbe([{ name: 'llama3.2:3b', sizeVram: 1, expiresAt: 0 }], 20)).toBe(true);
		expect(m.loadGate).toBeUndefined();
		expect(m.ready).toBe(true);
	});
});
