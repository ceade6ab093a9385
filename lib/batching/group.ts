/** One group of input items (by index, in input order) and what it weighs. */
export interface ItemGroup {
	members: number[];
	/** Sum of the members' token counts (token-budget grouping), else 0. */
	tokens: number;
	/** The predicted-length bin, e.g. "≤64" or ">1024" (predicted-length grouping). */
	bin?: string;
}

const check = (value: number, what: string) => {
	if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be a positive whole number, got ${value}`);
	return value;
};

/** Consecutive groups of `size` items (the last one may be smaller). */
export function groupByCount(count: number, size: number): ItemGroup[] {
	check(size, 'the batch size');
	const groups: ItemGroup[] = [];
	for (let i = 0; i < count; i += size) groups.push({ members: Array.from({ length: Math.min(size, count - i) }, (_, k) => i + k), tokens: 0 });
	return groups;
}

/**
 * Consecutive groups whose token counts add up to at most `budget` (and at most `maxSize`
 * items); an item over the budget on its own gets a group of its own.
 */
export function groupByTokenBudget(tokens: number[], budget: number, maxSize = Infinity): ItemGroup[] {
	check(budget, 'the token budget');
	const groups: ItemGroup[] = [];
	let current: ItemGroup | undefined;
	tokens.forEach((t, i) => {
		if (!current || current.tokens + t > budget || current.members.length >= maxSize) {
			current = { members: [], tokens: 0 };
			groups.push(current);
		}
		current.members.push(i);
		current.tokens += t;
	});
	return groups;
}

/**
 * Items binned by predicted output length (upper bounds `edges`, ascending), each bin cut into
 * groups of `size`, shortest bin first: similar lengths ride together, so a short request is not
 * held up by a long one in the same batch.
 */
export function groupByPredictedLength(predicted: number[], edges: number[], size: number): ItemGroup[] {
	check(size, 'the batch size');
	const sorted = [...edges].sort((a, b) => a - b);
	const bins: number[][] = Array.from({ length: sorted.length + 1 }, () => []);
	predicted.forEach((p, i) => {
		let bin = 0;
		while (bin < sorted.length && p > sorted[bin]) bin++;
		bins[bin].push(i);
	});
	const label = (bin: number) => (bin < sorted.length ? `≤${sorted[bin]}` : `>${sorted[sorted.length - 1] ?? 0}`);
	return bins.flatMap((members, bin) =>
		Array.from({ length: Math.ceil(members.length / size) }, (_, k) => ({ members: members.slice(k * size, (k + 1) * size), tokens: 0, bin: label(bin) })),
	);
}
