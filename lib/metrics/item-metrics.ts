import type { CallRecord } from './call-record';

/** The `metrics` JSON a node puts in each output item. */
export interface ItemMetrics {
	tokens: {
		prompt: number;
		completion: number;
		total: number;
		/** Our own estimate of the prompt tokens, when the node made one. */
		estimated?: number;
		/** (estimated − model) / model × 100, signed: positive means we over-estimated. */
		estimateErrorPct?: number;
	};
	/** Milliseconds, rounded to 0.1. */
	timings: { totalMs: number; queueMs: number; loadMs: number; prefillMs: number; decodeMs: number };
	/** Tokens per second of each phase; null when the phase took no time (nothing to divide by). */
	throughput: { prefillTokensPerSec: number | null; decodeTokensPerSec: number | null };
	backend: string;
	retries: number;
	cacheHit: boolean;
}

const roundTo = (value: number, decimals: number) => {
	const factor = 10 ** decimals;
	return Math.round(value * factor) / factor;
};

function tokensPerSec(tokens: number, ms: number): number | null {
	if (!(ms > 0) || !Number.isFinite(ms)) return null;
	return roundTo((tokens * 1000) / ms, 1);
}

export function itemMetrics(record: CallRecord): ItemMetrics {
	const tokens: ItemMetrics['tokens'] = {
		prompt: record.promptTokens,
		completion: record.completionTokens,
		total: record.promptTokens + record.completionTokens,
	};
	if (record.estimatedPromptTokens !== undefined) {
		tokens.estimated = record.estimatedPromptTokens;
		// No relative error against a model count of 0: it would be infinite or meaningless.
		if (record.promptTokens > 0) {
			tokens.estimateErrorPct = roundTo(
				((record.estimatedPromptTokens - record.promptTokens) / record.promptTokens) * 100,
				2,
			);
		}
	}
	return {
		tokens,
		timings: {
			totalMs: roundTo(record.latencyMs, 1),
			queueMs: roundTo(record.queueMs, 1),
			loadMs: roundTo(record.loadMs, 1),
			prefillMs: roundTo(record.promptEvalMs, 1),
			decodeMs: roundTo(record.evalMs, 1),
		},
		// From the unrounded times, so a sub-0.05 ms phase still gives a rate rather than a division by 0.
		throughput: {
			prefillTokensPerSec: tokensPerSec(record.promptTokens, record.promptEvalMs),
			decodeTokensPerSec: tokensPerSec(record.completionTokens, record.evalMs),
		},
		backend: record.backend,
		retries: record.retries,
		cacheHit: record.cacheHit,
	};
}
