import { ExactIndex } from './exact-index';
import { loadUsearch, UsearchIndex } from './usearch-index';
import type { IndexChoice, VectorIndex } from './vector-index-types';

export type { IndexChoice, Neighbour, VectorIndex } from './vector-index-types';

/** Scales a vector to length 1 (in a new Float32Array), so similarity is a dot product. */
export function normalise(vector: ArrayLike<number>): Float32Array {
	const out = Float32Array.from(vector);
	let sum = 0;
	for (let i = 0; i < out.length; i++) sum += out[i] * out[i];
	const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
	for (let i = 0; i < out.length; i++) out[i] *= scale;
	return out;
}

/**
 * The usearch HNSW index when its native addon loads (`auto`, `usearch`), else the exact scan.
 * `usearch` is an optional dependency: n8n may install community packages without build tools,
 * so a missing addon only costs speed.
 */
export function createVectorIndex(dimensions: number, choice: IndexChoice = 'auto'): VectorIndex {
	if (choice !== 'exact') {
		const usearch = loadUsearch();
		if (usearch) return new UsearchIndex(usearch, dimensions);
		if (choice === 'usearch') throw new Error('the usearch index is not available (its native addon is not built); use the exact scan');
	}
	return new ExactIndex(dimensions);
}

export { usearchAvailable } from './usearch-index';
