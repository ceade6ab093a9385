import type { Neighbour, VectorIndex } from './vector-index';

interface UsearchIndexNative {
	add(keys: bigint, vector: Float32Array): void;
	search(vector: Float32Array, k: bigint): { keys: BigUint64Array; distances: Float32Array; count: bigint };
	remove(key: bigint): boolean;
	size(): bigint;
}
interface UsearchModule {
	Index: new (options: Record<string, unknown>) => UsearchIndexNative;
}

let loaded: UsearchModule | null | undefined;
const REMOVED = 0xffffffffffffffffn;

/** The usearch addon, or null when it is not installed or not built (required once, lazily). */
export function loadUsearch(): UsearchModule | null {
	if (loaded === undefined) {
		try {
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			loaded = require('usearch') as UsearchModule;
		} catch {
			loaded = null;
		}
	}
	return loaded;
}

export function usearchAvailable(): boolean {
	return loadUsearch() !== null;
}

/** usearch's HNSW graph (inner product on normalised vectors: distance = 1 − cosine). */
export class UsearchIndex implements VectorIndex {
	readonly kind = 'usearch';
	private readonly native: UsearchIndexNative;
	private count = 0;

	constructor(
		usearch: UsearchModule,
		readonly dimensions: number,
	) {
		this.native = new usearch.Index({
			metric: 'ip',
			dimensions: BigInt(dimensions),
			connectivity: 16n,
			expansion_add: 64n,
			expansion_search: 64n,
			quantization: 'f32',
		});
	}

	get size(): number {
		return this.count;
	}

	add(id: number, vector: Float32Array): void {
		if (vector.length !== this.dimensions) throw new Error(`vector has ${vector.length} dimensions, the index ${this.dimensions}`);
		this.remove(id);
		this.native.add(BigInt(id), vector);
		this.count++;
	}

	remove(id: number): void {
		if (this.native.remove(BigInt(id))) this.count--;
	}

	search(vector: Float32Array, k: number): Neighbour[] {
		if (this.count === 0) return [];
		const found = this.native.search(vector, BigInt(Math.min(k, this.count)));
		const out: Neighbour[] = [];
		for (let i = 0; i < Number(found.count); i++) {
			if (found.keys[i] === REMOVED) continue; // usearch may still return a removed entry's slot
			out.push({ id: Number(found.keys[i]), similarity: 1 - found.distances[i] });
		}
		return out;
	}
}
