import type { Neighbour, VectorIndex } from './vector-index-types';

/** Rows per block: the index grows a block at a time (re-allocating one 100k x 768-d matrix stalled the event loop ~1 s). */
const BLOCK_ROWS = 1024;

/**
 * Exact nearest neighbours: vectors in blocks of BLOCK_ROWS rows of one Float32Array each,
 * compared by dot product (vectors are normalised on the way in). Removal moves the last row into
 * the hole. With `shared`, the blocks live in SharedArrayBuffers, so a worker thread can read them
 * without a copy.
 */
export class ExactIndex implements VectorIndex {
	readonly kind = 'exact';
	private readonly blocks: Float32Array[] = [];
	private ids: number[] = [];
	private readonly rowOf = new Map<number, number>();

	constructor(
		readonly dimensions: number,
		private readonly shared = false,
	) {}

	get size(): number {
		return this.ids.length;
	}

	has(id: number): boolean {
		return this.rowOf.has(id);
	}

	/** The ids in order and the blocks that hold their rows (views: valid until the next add or remove). */
	rows(): { ids: readonly number[]; blocks: Float32Array[] } {
		const d = this.dimensions;
		const n = this.ids.length;
		return { ids: this.ids, blocks: this.blocks.slice(0, Math.ceil(n / BLOCK_ROWS)).map((block, b) => block.subarray(0, Math.min(BLOCK_ROWS, n - b * BLOCK_ROWS) * d)) };
	}

	/** Row i's vector (a view). */
	row(i: number): Float32Array {
		const offset = (i % BLOCK_ROWS) * this.dimensions;
		return this.blocks[Math.floor(i / BLOCK_ROWS)].subarray(offset, offset + this.dimensions);
	}

	add(id: number, vector: Float32Array): void {
		if (vector.length !== this.dimensions) throw new Error(`vector has ${vector.length} dimensions, the index ${this.dimensions}`);
		if (this.rowOf.has(id)) this.remove(id);
		const row = this.ids.length;
		if (row === this.blocks.length * BLOCK_ROWS) {
			const floats = BLOCK_ROWS * this.dimensions;
			this.blocks.push(this.shared ? new Float32Array(new SharedArrayBuffer(floats * 4)) : new Float32Array(floats));
		}
		this.row(row).set(vector);
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
			this.row(row).set(this.row(last));
			this.ids[row] = this.ids[last];
			this.rowOf.set(this.ids[row], row);
		}
		this.ids.pop();
		this.rowOf.delete(id);
	}

	search(vector: Float32Array, k: number): Neighbour[] {
		const d = this.dimensions;
		const best: Neighbour[] = [];
		let floor = -Infinity;
		for (let row = 0, n = this.ids.length; row < n; row++) {
			const m = this.blocks[Math.floor(row / BLOCK_ROWS)];
			const offset = (row % BLOCK_ROWS) * d;
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
