import { rngFromSeed } from '../../../test/simulator/rng';
import { createVectorIndex, normalise, usearchAvailable } from './vector-index';

function randomVectors(n: number, dims: number, seed = 7): Float32Array[] {
	const rng = rngFromSeed(seed);
	return Array.from({ length: n }, () => normalise(Array.from({ length: dims }, () => rng() - 0.5)));
}

describe('vector index', () => {
	it('usearch is built in this checkout (CI builds it: .ci/run)', () => {
		expect(usearchAvailable()).toBe(true);
	});

	it.each(['exact', 'usearch'] as const)('%s finds a stored vector and its near copy first, and forgets removed ones', (kind) => {
		const index = createVectorIndex(64, kind);
		expect(index.kind).toBe(kind);
		const vectors = randomVectors(500, 64);
		vectors.forEach((v, i) => index.add(i + 1, v));
		const nearCopy = normalise(vectors[42].map((x, j) => x + (j % 2 ? 0.01 : -0.01)));
		const [best] = index.search(nearCopy, 3);
		expect(best.id).toBe(43);
		expect(best.similarity).toBeGreaterThan(0.95);
		index.remove(43);
		expect(index.size).toBe(499);
		expect(index.search(nearCopy, 3).map((n) => n.id)).not.toContain(43);
	});

	it('the ANN index agrees with the exact scan on the nearest neighbour', () => {
		const exact = createVectorIndex(128, 'exact');
		const ann = createVectorIndex(128, 'usearch');
		const vectors = randomVectors(2000, 128, 11);
		vectors.forEach((v, i) => {
			exact.add(i, v);
			ann.add(i, v);
		});
		const queries = randomVectors(50, 128, 99);
		const agree = queries.filter((q) => exact.search(q, 1)[0].id === ann.search(q, 1)[0].id).length;
		expect(agree).toBeGreaterThanOrEqual(45); // approximate: recall@1 of at least 90 %
		const q = queries[0];
		expect(ann.search(q, 1)[0].similarity).toBeCloseTo(exact.search(q, 1)[0].similarity, 3);
	});

	it('rejects a vector of the wrong size', () => {
		expect(() => createVectorIndex(8, 'exact').add(1, new Float32Array(4))).toThrow(/4 dimensions/);
	});
});
