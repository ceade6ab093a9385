import type { CallRecord } from './call-record';

/** A successful call record for tests, with any field overridden. */
export function testRecord(overrides: Partial<CallRecord> = {}): CallRecord {
	return {
		model: 'llama3.1:8b',
		backend: 'gpu-a',
		ok: true,
		latencyMs: 100,
		queueMs: 0,
		loadMs: 0,
		promptEvalMs: 10,
		evalMs: 50,
		promptTokens: 10,
		completionTokens: 5,
		retries: 0,
		cacheHit: false,
		...overrides,
	};
}
