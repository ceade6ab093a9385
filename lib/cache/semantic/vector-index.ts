import { ExactIndex } from './exact-index';
import { loadUsearch, UsearchIndex } from './usearch-index';

export interface Neighbour {
	id: number;
	/** Cosine similarity (vectors are stored normalised, so this is their dot product). */
	similarity: number;
}

/** Nearest-neighbour search over normalised vectors; one interface for the ANN index and the exact scan. */
export interface VectorIndex {
	readonly kind: 'usearch' | 'exact';
	readonly dimensions: number;
	readonly size: number;
	add(id: number, vector: Float32Array): void;
	/** Many at once (an index rebuilt from Redis): one native call for usearch. */
	addMany(ids: readonly number[], vectors: readonly Float32Array[]): void;
	remove(id: number): void;
	search(vector: Float32Array, k: number): Neighbour[];
	/** Resolves when vectors added so far are in the ANN index (built off the event loop); absent for the exact scan. */
	whenBuilt?(): Promise<void>;
	/** Builds what waits into the ANN index now, however few (the end of a rebuild). */
	flush?(): void;
	/** Frees what outlives the object (usearch: the graph's file). */
	dispose?(): void;
}

export type IndexChoice = 'auto' | 'usearch' | 'exact';

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
