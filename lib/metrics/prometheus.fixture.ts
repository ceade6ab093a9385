import type { BackendHealth } from '../balancer/health';
import type { GatewayMetrics } from './prometheus';

const backend = (name: string, extra: Partial<BackendHealth> = {}): BackendHealth => ({
	backend: name,
	up: true,
	circuit: 'closed',
	inFlight: 0,
	weight: 1,
	configuredSlots: 0,
	models: [],
	requests: 0,
	errors: 0,
	errorRate: 0,
	strategy: 'default',
	...extra,
});

export const stats = (calls: number, errors: number, p50: number | null, p95: number | null) => ({
	calls,
	errors,
	cacheHits: 1,
	promptTokens: 100 * calls,
	completionTokens: 10 * calls,
	totalTokens: 110 * calls,
	latencyMs: { p50, p95, samples: calls },
});

/** Every family of the exposition has samples in this one. */
export const fullMetrics: GatewayMetrics = {
	scope: 'cluster',
	profile: 'production',
	calls: {
		since: '2026-01-01T00:00:00.000Z',
		byBackend: { 'gpu-b': stats(2, 1, 250, 900), 'gpu-a': stats(3, 0, 120, 300) },
		byModel: { 'llama3.1:8b': stats(5, 1, 150, 900) },
		errorsByKind: { TIMEOUT: 1 },
	},
	queue: { gateways: 1, waiting: 4, maxWaiting: 7, running: 2, dispatched: 40, rejectedFull: 0, timedOut: 1, aborted: 2, requeued: 3, waitMs: { p50: 12, p95: 800, max: 1500, samples: 40 } },
	cache: { l1Hits: 5, l2Hits: 2, semanticHits: 1, singleFlightJoins: 3, misses: 9, embeddingHits: 4, embeddingMisses: 6, stores: 9 },
	backends: [
		backend('gpu-b', { up: false, circuit: 'open', requests: 10, errors: 4, errorRate: 0.4 }),
		backend('gpu-a', {
			inFlight: 2,
			requests: 30,
			models: [
				{ model: 'nomic-embed-text:latest', loaded: false, inFlight: 0, slots: 1, learned: true },
				{ model: 'llama3.1:8b', loaded: true, sizeVram: 6_000_000_000, inFlight: 2, slots: 4, learned: true, ttftMs: 350, decodeTokensPerSec: 42.5 },
			],
		}),
	],
};

