import type { Neighbour, VectorIndex } from './vector-index';

/**
 * Exact nearest neighbours: every vector in one contiguous Float32Array, compared by dot product
 * (vectors are normalised on the way in). Removal moves the last row into the hole. With `shared`,
 * the rows live in a SharedArrayBuffer, so a worker thread can read them without a copy.
 */
export class ExactIndex implements VectorIndex {
	readonly kind = 'exact';
	private matrix: Float32Array;
	private ids: number[] = [];
	private readonly rowOf = new Map<number, number>();

	constructor(
		readonly dimensions: number,
		private readonly shared = false,
	) {
		this.matrix = this.allocate(dimensions * 64);
	}

	get size(): number {
		return this.ids.length;
	}

	has(id: number): boolean {
		return this.rowOf.has(id);
	}

	/** The ids and their rows, in order (a view: valid until the next add or remove). */
	rows(): { ids: readonly number[]; matrix: Float32Array } {
		return { ids: this.ids, matrix: this.matrix.subarray(0, this.ids.length * this.dimensions) };
	}

	private allocate(floats: number): Float32Array {
		return this.shared ? new Float32Array(new SharedArrayBuffer(floats * 4)) : new Float32Array(floats);
	}

	add(id: number, vector: Float32Array): void {
		if (vector.length !== this.dimensions) throw new Error(`vector has ${vector.length} dimensions, the index ${this.dimensions}`);
		if (this.rowOf.has(id)) this.remove(id);
		const row = this.ids.length;
		if ((row + 1) * this.dimensions > this.matrix.length) {
			const grown = this.allocate(this.matrix.length * 2);
			grown.set(this.matrix);
			this.matrix = grown;
		}
		this.matrix.set(vector, row * this.dimensions);
		this.ids.push(id);
		this.rowOf.set(id, row);
	}

	addMany(ids: readonly number[], vectors: readonly Float32Array[]): void {
		ids.forEach((id, i) => this.add(id, vectors[i]));
	}

	remove(id: number): void {
		const row = this.rowOf.get(id);
		if (row === undefined) return;
		const last = this.ids.length - 1;
		if (row !== last) {
			this.matrix.copyWithin(row * this.dimensions, last * this.dimensions, (last + 1) * this.dimensions);
			this.ids[row] = this.ids[last];
			this.rowOf.set(this.ids[row], row);
		}
		this.ids.pop();
		this.rowOf.delete(id);
	}

	search(vector: Float32Array, k: number): Neighbour[] {
		const d = this.dimensions;
		const m = this.matrix;
		const best: Neighbour[] = [];
		let floor = -Infinity;
		for (let row = 0, n = this.ids.length; row < n; row++) {
			const offset = row * d;
			let dot = 0;
			let j = 0;
			// four accumulators: fewer dependent adds per step
			let a = 0;
			let b = 0;
			let c = 0;
			for (; j + 4 <= d; j += 4) {
				dot += m[offset + j] * vector[j];
				a += m[offset + j + 1] * vector[j + 1];
				b += m[offset + j + 2] * vector[j + 2];
				c += m[offset + j + 3] * vector[j + 3];
			}
			for (; j < d; j++) dot += m[offset + j] * vector[j];
			dot += a + b + c;
			if (best.length < k || dot > floor) {
				best.push({ id: this.ids[row], similarity: dot });
				best.sort((x, y) => y.similarity - x.similarity);
				if (best.length > k) best.pop();
				floor = best[best.length - 1].similarity;
			}
		}
		return best;
	}
}
