import { testRecord } from './call-record.fixture';
import { nearestRank } from './percentile';
import { RunSummary } from './run-summary';

const record = testRecord;

describe('nearestRank', () => {
	it('picks sorted[ceil(p/100 × n) − 1], an actual sample', () => {
		const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);
		expect(nearestRank(oneToTwenty, 50)).toBe(10);
		expect(nearestRank(oneToTwenty, 95)).toBe(19);
		expect(nearestRank(oneToTwenty, 100)).toBe(20);
		expect(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
		expect(nearestRank([7], 50)).toBe(7);
		expect(nearestRank([3, 9], 50)).toBe(3);
		expect(nearestRank([], 50)).toBeNull();
	});
});

describe('RunSummary', () => {
	it('is all zeros with null latencies before any call', () => {
		expect(new RunSummary().summary()).toEqual({
			calls: 0,
			errors: 0,
			cacheHits: 0,
			cacheHitsByLayer: { l1: 0, l2: 0, semantic: 0, 'single-flight': 0 },
			promptTokens: 0,
			completionTokens: 0,
			totalTokens: 0,
			latencyMs: { p50: null, p95: null, max: null },
			byBackend: {},
			byModel: {},
		});
	});

	it('takes nearest-rank latency percentiles whatever the order the calls finished in', () => {
		const summary = new RunSummary();
		for (const latencyMs of [13, 2, 20, 7, 1, 18, 4, 11, 9, 16, 3, 19, 6, 14, 8, 17, 5, 12, 10, 15]) {
			summary.add(record({ latencyMs }));
		}
		expect(summary.summary().latencyMs).toEqual({ p50: 10, p95: 19, max: 20 });
	});

	it('counts calls, errors, cache hits and tokens, per backend and per model', () => {
		const summary = new RunSummary();
		summary.add(record({ backend: 'gpu-a', model: 'llama3.1:8b', promptTokens: 100, completionTokens: 20 }));
		summary.add(record({ backend: 'gpu-b', model: 'llama3.1:8b', cacheHit: true, promptTokens: 50, completionTokens: 5 }));
		summary.add(record({ backend: 'gpu-b', model: 'qwen2.5:7b', ok: false, error: 'TIMEOUT', promptTokens: 0, completionTokens: 0, latencyMs: 30_000 }));
		summary.add(record({ backend: 'gpu-a', model: 'qwen2.5:7b', ok: false, error: 'BUSY', promptTokens: 0, completionTokens: 0, latencyMs: 2 }));
		summary.add(record({ backend: 'gpu-a', model: 'llama3.1:8b', promptTokens: 10, completionTokens: 1 }));

		const result = summary.summary();
		expect(result).toMatchObject({
			calls: 5,
			errors: 2,
			cacheHits: 1,
			promptTokens: 160,
			completionTokens: 26,
			totalTokens: 186,
			latencyMs: { p50: 100, p95: 30_000, max: 30_000 },
		});
		expect(result.byBackend).toEqual({ 'gpu-a': { calls: 3, errors: 1 }, 'gpu-b': { calls: 2, errors: 1 } });
		expect(result.byModel).toEqual({ 'llama3.1:8b': { calls: 3, errors: 0 }, 'qwen2.5:7b': { calls: 2, errors: 2 } });
	});

	it('counts cache hits per layer: L1, L2, semantic and single-flight joins', () => {
		const summary = new RunSummary();
		for (const cacheLayer of ['l1', 'l1', 'l2', 'semantic', 'single-flight'] as const) summary.add(record({ cacheHit: true, cacheLayer }));
		summary.add(record());
		expect(summary.summary()).toMatchObject({ calls: 6, cacheHits: 5, cacheHitsByLayer: { l1: 2, l2: 1, semantic: 1, 'single-flight': 1 } });
	});

	it('returns a copy: changing a summary does not change the next one', () => {
		const summary = new RunSummary();
		summary.add(record());
		summary.summary().byBackend['gpu-a'].calls = 99;
		expect(summary.summary().byBackend['gpu-a'].calls).toBe(1);
	});

	it('keeps a backend named __proto__ as an ordinary entry', () => {
		const summary = new RunSummary();
		summary.add(record({ backend: '__proto__' }));
		const parsed = JSON.parse(summary.toLogMessage()) as { byBackend: Record<string, unknown> };
		expect(Object.keys(parsed.byBackend)).toEqual(['__proto__']);
	});

	it('logs one line of JSON equal to the summary', () => {
		const summary = new RunSummary();
		summary.add(record({ latencyMs: 12.34 }));
		summary.add(record({ backend: 'gpu-b', ok: false, error: 'UNREACHABLE' }));
		const message = summary.toLogMessage();
		expect(message).not.toContain('\n');
		expect(JSON.parse(message)).toEqual(JSON.parse(JSON.stringify(summary.summary())));
		expect(JSON.parse(message)).toMatchObject({ calls: 2, errors: 1, latencyMs: { p50: 12.3, max: 100 } });
	});
});
