// The index contract on its own, so the implementations (exact-index, usearch-index) and the
// factory that picks one (vector-index) import it without importing each other.

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
