import { testRecord } from './call-record.fixture';
import { LatencyWindow } from './latency-window';
import { ProcessMetrics, processMetrics } from './process-metrics';

const record = testRecord;

describe('LatencyWindow', () => {
	it('keeps only the newest values, oldest first, and never grows past its capacity', () => {
		const window = new LatencyWindow(3);
		window.push(1);
		window.push(2);
		expect(window.values()).toEqual([1, 2]);
		for (const v of [3, 4, 5, 6, 7]) window.push(v);
		expect(window.size).toBe(3);
		expect(window.values()).toEqual([5, 6, 7]);
	});

	it('rejects a window that is not a positive integer', () => {
		expect(() => new LatencyWindow(0)).toThrow(RangeError);
		expect(() => new ProcessMetrics({ window: 1.5 })).toThrow(RangeError);
	});
});

describe('ProcessMetrics', () => {
	it('aggregates per backend and per model', () => {
		const metrics = new ProcessMetrics();
		metrics.record(record({ backend: 'gpu-a', model: 'llama3.1:8b', latencyMs: 100 }));
		metrics.record(record({ backend: 'gpu-b', model: 'llama3.1:8b', latencyMs: 300, cacheHit: true }));
		metrics.record(record({ backend: 'gpu-b', model: 'qwen2.5:7b', latencyMs: 200, ok: false, promptTokens: 0, completionTokens: 0 }));

		const snapshot = metrics.snapshot();
		expect(snapshot.byBackend['gpu-a']).toEqual({
			calls: 1,
			errors: 0,
			cacheHits: 0,
			promptTokens: 10,
			completionTokens: 5,
			totalTokens: 15,
			latencyMs: { p50: 100, p95: 100, samples: 1 },
		});
		expect(snapshot.byBackend['gpu-b']).toMatchObject({
			calls: 2,
			errors: 1,
			cacheHits: 1,
			totalTokens: 15,
			latencyMs: { p50: 200, p95: 300, samples: 2 },
		});
		expect(snapshot.byModel['llama3.1:8b']).toMatchObject({ calls: 2, errors: 0, promptTokens: 20 });
		expect(snapshot.byModel['qwen2.5:7b']).toMatchObject({ calls: 1, errors: 1 });
	});

	it('takes percentiles over the bounded window but counts every call', () => {
		const metrics = new ProcessMetrics({ window: 3 });
		for (const latencyMs of [900, 800, 700, 1, 2, 3]) metrics.record(record({ latencyMs }));
		expect(metrics.snapshot().byBackend['gpu-a']).toMatchObject({
			calls: 6,
			latencyMs: { p50: 2, p95: 3, samples: 3 },
		});
	});

	it('keeps 1,000 latencies per key by default', () => {
		const metrics = new ProcessMetrics();
		for (let i = 1; i <= 1005; i++) metrics.record(record({ latencyMs: i }));
		const { latencyMs, calls } = metrics.snapshot().byModel['llama3.1:8b'];
		expect(calls).toBe(1005);
		expect(latencyMs.samples).toBe(1000);
		// The window is 6..1005, so the median is its 500th value.
		expect(latencyMs.p50).toBe(505);
	});

	it('stamps the first call after creation or reset, and reset clears everything', () => {
		const metrics = new ProcessMetrics();
		expect(metrics.snapshot()).toEqual({ since: null, byBackend: {}, byModel: {} });
		const before = Date.now();
		metrics.record(record());
		const since = metrics.snapshot().since;
		expect(since).not.toBeNull();
		expect(Date.parse(since as string)).toBeGreaterThanOrEqual(before - 1);
		metrics.reset();
		expect(metrics.snapshot()).toEqual({ since: null, byBackend: {}, byModel: {} });
	});

	it('returns snapshots that later calls do not change', () => {
		const metrics = new ProcessMetrics();
		metrics.record(record());
		const first = metrics.snapshot();
		metrics.record(record());
		expect(first.byBackend['gpu-a'].calls).toBe(1);
		expect(metrics.snapshot().byBackend['gpu-a'].calls).toBe(2);
	});
});

describe('processMetrics()', () => {
	afterEach(() => processMetrics().reset());

	it('is one instance per process, on globalThis under a well-known symbol', () => {
		const shared = processMetrics();
		expect(processMetrics()).toBe(shared);
		expect((globalThis as Record<symbol, unknown>)[Symbol.for('n8n-nodes-agent-team.metrics')]).toBe(shared);
	});

	it('is shared with a second copy of the module, as when n8n loads the package twice', () => {
		let otherCopy: typeof import('./process-metrics') | undefined;
		jest.isolateModules(() => {
			otherCopy = jest.requireActual<typeof import('./process-metrics')>('./process-metrics');
		});
		expect(otherCopy).toBeDefined();
		expect(otherCopy?.ProcessMetrics).not.toBe(ProcessMetrics); // really a second module instance
		otherCopy?.processMetrics().record(record({ backend: 'from-copy' }));
		processMetrics().record(record({ backend: 'from-here' }));
		expect(Object.keys(processMetrics().snapshot().byBackend).sort()).toEqual(['from-copy', 'from-here']);
		expect(otherCopy?.processMetrics()).toBe(processMetrics());
	});
});

describe('ProcessMetrics key bound', () => {
	it('keeps at most maxNames names per kind; later new names share one "(other)" entry', () => {
		const metrics = new ProcessMetrics({ maxNames: 5 });
		for (let i = 0; i < 1000; i++) metrics.record(record({ model: `model-from-an-expression-${i}`, backend: 'gpu-a' }));
		const snapshot = metrics.snapshot();
		expect(Object.keys(snapshot.byModel)).toHaveLength(6);
		expect(snapshot.byModel['(other)'].calls).toBe(995);
		expect(snapshot.byModel['model-from-an-expression-0'].calls).toBe(1);
		// A name already counted keeps its own entry.
		metrics.record(record({ model: 'model-from-an-expression-3' }));
		expect(metrics.snapshot().byModel['model-from-an-expression-3'].calls).toBe(2);
	});
});

describe('ProcessMetrics queue section', () => {
	it('sums the tracked gateway queues and merges their wait samples; absent when none is tracked', () => {
		const metrics = new ProcessMetrics();
		const queue = (waiting: number, maxWaiting: number, waits: number[]) => ({
			stats: () => ({ waiting, maxWaiting, running: 1, dispatched: waits.length, rejectedFull: 1, timedOut: 0, aborted: 2, requeued: 0 }),
			waitSamples: () => waits,
		});
		const untrackA = metrics.trackQueue(queue(3, 5, [1, 2, 3]));
		const untrackB = metrics.trackQueue(queue(1, 9, [10]));
		expect(metrics.snapshot().queue).toEqual({
			gateways: 2, waiting: 4, maxWaiting: 9, running: 2, dispatched: 4, rejectedFull: 2, timedOut: 0, aborted: 4, requeued: 0,
			waitMs: { p50: 2, p95: 10, max: 10, samples: 4 },
		});
		untrackA();
		untrackB();
		expect(metrics.snapshot().queue).toBeUndefined();
	});
});

describe('ProcessMetrics errors by kind', () => {
	it('counts failed calls per error kind, bounded like names, and reset clears them', () => {
		const metrics = new ProcessMetrics({ maxNames: 2 });
		metrics.record(record());
		expect(metrics.snapshot().errorsByKind).toBeUndefined();
		metrics.record(record({ ok: false, error: 'TIMEOUT' }));
		metrics.record(record({ ok: false, error: 'TIMEOUT' }));
		metrics.record(record({ ok: false, error: 'BUSY' }));
		metrics.record(record({ ok: false, error: 'UNREACHABLE' }));
		metrics.record(record({ ok: false }));
		expect({ ...metrics.snapshot().errorsByKind }).toEqual({ TIMEOUT: 2, BUSY: 1, '(other)': 2 });
		metrics.reset();
		expect(metrics.snapshot().errorsByKind).toBeUndefined();
	});
});

describe('ProcessMetrics token percentiles', () => {
	it('keeps prompt + reply tokens of answered calls per model (not cache hits or failures)', () => {
		const metrics = new ProcessMetrics();
		for (const n of [100, 200, 300, 400]) metrics.record(record({ promptTokens: n, completionTokens: 10 }));
		metrics.record(record({ promptTokens: 9000, completionTokens: 0, cacheHit: true }));
		metrics.record(record({ ok: false, promptTokens: 9000 }));
		expect(metrics.tokenPercentiles('llama3.1:8b')).toEqual({ p50: 210, p95: 410, max: 410, samples: 4 });
		expect(metrics.tokenPercentiles('other')).toEqual({ p50: null, p95: null, max: null, samples: 0 });
	});
});
