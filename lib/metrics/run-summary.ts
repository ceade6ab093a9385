import type { CacheLayer, CallRecord } from './call-record';
import { latencyPercentiles, type LatencyPercentiles } from './percentile';

export interface CallCounts {
	calls: number;
	errors: number;
}

export interface RunSummaryData {
	calls: number;
	errors: number;
	cacheHits: number;
	/** The cache hits by the layer that answered (single-flight: joined an identical call in flight). */
	cacheHitsByLayer: Record<CacheLayer, number>;
	promptTokens: number;
	completionTokens: number;
	totalTokens: number;
	/** Over every call, failed ones included (a timeout is latency the user felt); nearest rank. */
	latencyMs: LatencyPercentiles;
	byBackend: Record<string, CallCounts>;
	byModel: Record<string, CallCounts>;
	/** The environment profile the gateway ran with (development, production, custom), when the node said. */
	profile?: string;
}

/** Totals for one node run: add each call's record, then report once at the end. */
export class RunSummary {
	private calls = 0;
	private errors = 0;
	private cacheHits = 0;
	private readonly cacheHitsByLayer: Record<CacheLayer, number> = { l1: 0, l2: 0, semantic: 0, 'single-flight': 0 };
	private promptTokens = 0;
	private completionTokens = 0;
	// A run is bounded by its input items, so keeping every latency is fine here.
	private readonly latencies: number[] = [];
	private readonly byBackend = new Map<string, CallCounts>();
	private readonly byModel = new Map<string, CallCounts>();

	constructor(private readonly options: { profile?: string } = {}) {}

	add(record: CallRecord): void {
		this.calls++;
		if (!record.ok) this.errors++;
		if (record.cacheHit) this.cacheHits++;
		if (record.cacheHit && record.cacheLayer && record.cacheLayer in this.cacheHitsByLayer) this.cacheHitsByLayer[record.cacheLayer]++;
		this.promptTokens += record.promptTokens;
		this.completionTokens += record.completionTokens;
		this.latencies.push(record.latencyMs);
		countInto(this.byBackend, record.backend, record.ok);
		countInto(this.byModel, record.model, record.ok);
	}

	summary(): RunSummaryData {
		return {
			calls: this.calls,
			errors: this.errors,
			cacheHits: this.cacheHits,
			cacheHitsByLayer: { ...this.cacheHitsByLayer },
			promptTokens: this.promptTokens,
			completionTokens: this.completionTokens,
			totalTokens: this.promptTokens + this.completionTokens,
			latencyMs: latencyPercentiles(this.latencies),
			byBackend: toObject(this.byBackend),
			byModel: toObject(this.byModel),
			...(this.options.profile ? { profile: this.options.profile } : {}),
		};
	}

	/** One line of JSON for `this.logAiEvent(event, msg)`: numbers and names only, no prompt text. */
	toLogMessage(): string {
		return JSON.stringify(this.summary());
	}
}

function countInto(counts: Map<string, CallCounts>, key: string, ok: boolean): void {
	let entry = counts.get(key);
	if (!entry) counts.set(key, (entry = { calls: 0, errors: 0 }));
	entry.calls++;
	if (!ok) entry.errors++;
}

function toObject(counts: Map<string, CallCounts>): Record<string, CallCounts> {
	// Names come from credentials and models; a null prototype keeps '__proto__' an ordinary key.
	const result = Object.create(null) as Record<string, CallCounts>;
	for (const [key, value] of counts) result[key] = { ...value };
	return result;
}
