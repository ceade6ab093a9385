import { HedgeBudget, hedgeDelay, MIN_HEDGE_SAMPLES, TtftWindow } from './hedge';

describe('hedging budget and delay', () => {
	it('never allows more hedges than the ratio of calls sent (token bucket, burst bounded)', () => {
		const budget = new HedgeBudget(0.05, 10);
		let hedges = 0;
		for (let i = 1; i <= 1000; i++) {
			budget.earn();
			// try to hedge every call: only one in twenty may go
			if (budget.take()) hedges++;
			expect(hedges).toBeLessThanOrEqual(Math.floor(0.05 * i + 1e-9));
		}
		expect(hedges).toBe(50);
		// an idle stretch saves at most the burst
		const idle = new HedgeBudget(0.05, 10);
		for (let i = 0; i < 10_000; i++) idle.earn();
		let burst = 0;
		while (idle.take()) burst++;
		expect(burst).toBe(10);
	});

	it('waits for enough warm samples, then hedges at a multiple of the p99 (at least 20 ms)', () => {
		const window = new TtftWindow(128);
		for (let i = 0; i < MIN_HEDGE_SAMPLES - 1; i++) window.add(100);
		expect(hedgeDelay(window, 3)).toBeUndefined();
		window.add(100);
		expect(hedgeDelay(window, 3)).toBe(300);
		const fast = new TtftWindow(128);
		for (let i = 0; i < 50; i++) fast.add(1);
		expect(hedgeDelay(fast, 3)).toBe(20);
	});

	it('the p99 follows the last samples (old ones roll out), re-sorted every few samples', () => {
		const window = new TtftWindow(100);
		for (let i = 1; i <= 100; i++) window.add(i);
		expect(window.percentile(99)).toBe(99);
		for (let i = 0; i < 100; i++) window.add(5);
		expect(window.percentile(99)).toBe(5);
	});
});
