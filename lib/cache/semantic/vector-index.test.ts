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

	it.each(['exact', 'usearch'] as const)('%s finds a stored vector and its near copy first, and forgets removed ones', async (kind) => {
		const index = createVectorIndex(64, kind);
		expect(index.kind).toBe(kind);
		// 1,500: usearch builds its graph of the first 1,024 on a worker; the rest wait in its exact scan
		const vectors = randomVectors(1500, 64);
		vectors.forEach((v, i) => index.add(i + 1, v));
		await index.whenBuilt?.();
		for (const i of [42, 1400]) {
			const nearCopy = normalise(vectors[i].map((x, j) => x + (j % 2 ? 0.01 : -0.01)));
			const [best] = index.search(nearCopy, 3);
			expect(best.id).toBe(i + 1);
			expect(best.similarity).toBeGreaterThan(0.95);
			index.remove(i + 1);
			expect(index.search(nearCopy, 3).map((n) => n.id)).not.toContain(i + 1);
		}
		expect(index.size).toBe(1498);
		index.dispose?.();
	});

	it('usearch builds its graph off the event loop and keeps removals and re-adds right across builds', async () => {
		const index = createVectorIndex(32, 'usearch');
		const vectors = randomVectors(5000, 32, 5);
		index.addMany(vectors.map((_, i) => i), vectors);
		expect(index.search(vectors[10], 1)[0].id).toBe(10); // found by the exact scan while the build runs
		index.remove(10); // removed during the build
		await index.whenBuilt?.();
		expect(index.search(vectors[10], 1)[0].id).not.toBe(10);
		index.add(10, vectors[11]); // re-added with another vector
		expect(index.search(vectors[11], 2).map((n) => n.id).sort()).toEqual([10, 11]);
		// enough removals to rebuild the graph without them
		for (let i = 0; i < 1100; i++) index.remove(1000 + i);
		await index.whenBuilt?.();
		expect(index.size).toBe(5000 - 1100);
		expect(index.search(vectors[1500], 1)[0].id).not.toBe(1500);
		expect(index.search(vectors[4000], 1)[0].id).toBe(4000);
		index.dispose?.();
	});

	it('the ANN index agrees with the exact scan on the nearest neighbour', async () => {
		const exact = createVectorIndex(128, 'exact');
		const ann = createVectorIndex(128, 'usearch');
		const vectors = randomVectors(2000, 128, 11);
		vectors.forEach((v, i) => {
			exact.add(i, v);
			ann.add(i, v);
		});
		await ann.whenBuilt?.();
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
