import type { IDataObject } from 'n8n-workflow';

import type { CallRecord } from './call-record';
import { testRecord } from './call-record.fixture';
import { itemMetrics } from './item-metrics';

const record = (overrides: Partial<CallRecord> = {}) =>
	testRecord({ latencyMs: 1234.56, queueMs: 12.34, loadMs: 0.06, promptEvalMs: 400, evalMs: 1000, promptTokens: 200, completionTokens: 50, ...overrides });

describe('itemMetrics', () => {
	it('reports tokens, timings rounded to 0.1 ms, and per-phase throughput', () => {
		expect(itemMetrics(record())).toEqual({
			tokens: { prompt: 200, completion: 50, total: 250 },
			timings: { totalMs: 1234.6, queueMs: 12.3, loadMs: 0.1, prefillMs: 400, decodeMs: 1000 },
			throughput: { prefillTokensPerSec: 500, decodeTokensPerSec: 50 },
			backend: 'gpu-a',
			retries: 0,
			cacheHit: false,
		});
	});

	it('rounds throughput to 0.1 token/s from the unrounded phase times', () => {
		const metrics = itemMetrics(record({ promptTokens: 10, promptEvalMs: 0.03, completionTokens: 7, evalMs: 3 }));
		expect(metrics.timings.prefillMs).toBe(0);
		expect(metrics.throughput.prefillTokensPerSec).toBe(333_333.3);
		expect(metrics.throughput.decodeTokensPerSec).toBe(2333.3);
	});

	it('gives null throughput for a phase that took no time, and 0 for one that produced nothing', () => {
		expect(itemMetrics(record({ promptEvalMs: 0 })).throughput).toEqual({
			prefillTokensPerSec: null,
			decodeTokensPerSec: 50,
		});
		expect(itemMetrics(record({ evalMs: 0, completionTokens: 0 })).throughput.decodeTokensPerSec).toBeNull();
		expect(itemMetrics(record({ completionTokens: 0 })).throughput.decodeTokensPerSec).toBe(0);
	});

	it('signs the estimate error: positive when we over-count, negative when we under-count', () => {
		expect(itemMetrics(record({ estimatedPromptTokens: 220 })).tokens).toMatchObject({
			estimated: 220,
			estimateErrorPct: 10,
		});
		expect(itemMetrics(record({ estimatedPromptTokens: 190 })).tokens.estimateErrorPct).toBe(-5);
		expect(itemMetrics(record({ promptTokens: 3, estimatedPromptTokens: 4 })).tokens.estimateErrorPct).toBe(33.33);
		expect(itemMetrics(record({ promptTokens: 3, estimatedPromptTokens: 2 })).tokens.estimateErrorPct).toBe(-33.33);
		expect(itemMetrics(record({ estimatedPromptTokens: 200 })).tokens.estimateErrorPct).toBe(0);
	});

	it('leaves the estimate fields out when there is no estimate or no model count to compare with', () => {
		expect(itemMetrics(record()).tokens).not.toHaveProperty('estimated');
		expect(itemMetrics(record()).tokens).not.toHaveProperty('estimateErrorPct');
		const noModelCount = itemMetrics(record({ promptTokens: 0, estimatedPromptTokens: 12 })).tokens;
		expect(noModelCount.estimated).toBe(12);
		expect(noModelCount).not.toHaveProperty('estimateErrorPct');
	});

	it('fits in an n8n item and survives a JSON round trip unchanged', () => {
		const metrics = itemMetrics(record({ estimatedPromptTokens: 210, cacheHit: true, retries: 2 }));
		const json: IDataObject = { response: 'ok', metrics };
		expect(JSON.parse(JSON.stringify(json))).toEqual(json);
	});
});
