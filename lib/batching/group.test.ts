import { groupByCount, groupByPredictedLength, groupByTokenBudget } from '.';

describe('grouping items into batches', () => {
	it('by count, keeping input order', () => {
		expect(groupByCount(7, 3).map((g) => g.members)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
		expect(groupByCount(0, 3)).toEqual([]);
		expect(() => groupByCount(3, 0)).toThrow(/batch size must be a positive whole number/);
	});

	it('by token budget: consecutive items up to the budget, an oversized item alone', () => {
		const groups = groupByTokenBudget([40, 50, 20, 500, 10, 10], 100);
		expect(groups.map((g) => [g.members, g.tokens])).toEqual([
			[[0, 1], 90],
			[[2], 20],
			[[3], 500],
			[[4, 5], 20],
		]);
		expect(groupByTokenBudget([1, 1, 1], 100, 2).map((g) => g.members)).toEqual([[0, 1], [2]]);
	});

	it('by predicted length: similar lengths together, shortest bin first, each bin cut by size', () => {
		const groups = groupByPredictedLength([500, 10, 2000, 30, 40, 300], [64, 1024], 2);
		expect(groups.map((g) => [g.bin, g.members])).toEqual([
			['≤64', [1, 3]],
			['≤64', [4]],
			['≤1024', [0, 5]],
			['>1024', [2]],
		]);
	});
});
