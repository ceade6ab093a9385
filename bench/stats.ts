/** Small statistics helpers shared by the benchmarks. */
export function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return NaN;
	const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[index];
}

export function summarise(samples: number[]): { n: number; p50: number; p99: number; mean: number } {
	const sorted = [...samples].sort((a, b) => a - b);
	const mean = sorted.reduce((s, x) => s + x, 0) / (sorted.length || 1);
	return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean };
}

/** Runs `task(i)` for i in [0, total) with at most `concurrency` at once; returns per-call ms and wall ms. */
export async function runConcurrent(total: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<{ latencies: number[]; wallMs: number }> {
	const latencies: number[] = new Array(total);
	let next = 0;
	const started = performance.now();
	const worker = async () => {
		while (next < total) {
			const i = next++;
			const t0 = performance.now();
			await task(i);
			latencies[i] = performance.now() - t0;
		}
	};
	await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
	return { latencies, wallMs: performance.now() - started };
}

export const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
