/**
 * Nearest-rank percentile: the smallest sample such that at least p% of the samples are ≤ it,
 * i.e. sorted[ceil(p/100 × n) − 1]. Always an actual sample (never interpolated); null for no samples.
 */
export function nearestRank(sortedAscending: readonly number[], p: number): number | null {
	const n = sortedAscending.length;
	if (n === 0) return null;
	const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
	return sortedAscending[rank - 1];
}

export interface LatencyPercentiles {
	p50: number | null;
	p95: number | null;
	max: number | null;
}

/** p50, p95 and max (nearest rank) of latencies in ms, rounded to 0.1 ms; nulls when empty. */
export function latencyPercentiles(latenciesMs: readonly number[]): LatencyPercentiles {
	const sorted = [...latenciesMs].sort((a, b) => a - b);
	const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
	return {
		p50: round(nearestRank(sorted, 50)),
		p95: round(nearestRank(sorted, 95)),
		max: round(nearestRank(sorted, 100)),
	};
}
