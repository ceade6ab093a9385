import { mkdirSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId, Worker } from 'node:worker_threads';

import { ExactIndex } from './exact-index';
import type { Neighbour, VectorIndex } from './vector-index-types';

/** The part of usearch 2.x's `Index` this file uses (the addon is optional: typed here, required lazily). */
interface UsearchIndexNative {
	search(vector: Float32Array, k: number, threads: number): { keys: BigUint64Array; distances: Float32Array };
	view(path: string): void;
}

interface UsearchModule {
	Index: new (options: Record<string, unknown>) => UsearchIndexNative;
}

let loaded: UsearchModule | null | undefined;
/** usearch pads missing results with this key (-1 as unsigned). */
const NONE = 0xffffffffffffffffn;
/** Threads for a build in the worker: all cores but one, so the event loop keeps one; at least one. */
const BUILD_THREADS = Math.max(1, availableParallelism() - 1);
/**
 * Vectors (or removals) waiting before they go into the HNSW graph. Until then they are scanned
 * exactly: 1,024 x 768-d is well under a millisecond, and a build re-reads the whole graph from disk.
 */
const BUILD_AT = 1024;

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

/**
 * HNSW settings: cosine metric, vectors kept as f16 (half the memory of f32, about twice as fast to
 * insert, similarities within 1e-4 of the exact ones; i8 was off by up to 0.02, too much next to a
 * 0.95 threshold). Connectivity 16, expansion 64 on insert; 128 on search: among 100k random 768-d
 * vectors (the hardest case for HNSW) it found a stored near-copy 90 % of the time (64: 76 %, 256:
 * 98 % at 1.8x the time of 128).
 */
const settings = (dimensions: number) => ({ metric: 'cos', dimensions, connectivity: 16, expansion_add: 64, expansion_search: 128, quantization: 'f16' });

/**
 * Runs in a worker thread (given as source, so it needs no build step under ts-jest, tsx or dist):
 * loads the previous graph, applies removals, inserts the new rows (blocks read from shared memory), saves.
 */
const BUILDER = `
const { parentPort, workerData } = require('node:worker_threads');
const { Index } = require(workerData.module);
const { settings, base, removed, keys, blocks, threads, out } = workerData;
const index = new Index(settings);
if (base) index.load(base);
if (removed.length) index.remove(removed);
let row = 0;
for (const block of blocks) {
  const rows = block.length / settings.dimensions;
  index.add(keys.subarray(row, row + rows), block, threads);
  row += rows;
}
index.save(out);
parentPort.postMessage('done');
`;

const SCRATCH_PREFIX = 'agent-team-usearch-';
let scratch: string | undefined;
let fileSeq = 0;
/**
 * A new file name in this process's scratch folder, named by its pid: removed when the process
 * exits, and by the next process that starts when it was killed (a dead pid's folder).
 */
function scratchFile(): string {
	if (!scratch) {
		for (const name of readdirSync(tmpdir())) {
			const pid = name.startsWith(SCRATCH_PREFIX) ? Number(name.slice(SCRATCH_PREFIX.length)) : NaN;
			if (pid > 0 && pid !== process.pid && !alive(pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
		}
		const dir = join(tmpdir(), `${SCRATCH_PREFIX}${process.pid}`);
		mkdirSync(dir, { recursive: true });
		scratch = dir;
		process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
	}
	return join(scratch, `${process.pid}-${threadId}-${++fileSeq}.usearch`);
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

function removeFile(path: string | undefined): void {
	if (!path) return;
	try {
		unlinkSync(path);
	} catch {
		// already gone
	}
}

function build(data: { settings: object; base?: string; removed: BigUint64Array; keys: BigUint64Array; blocks: Float32Array[]; threads: number; out: string }): Promise<void> {
	return new Promise((resolve, reject) => {
		const worker = new Worker(BUILDER, { eval: true, workerData: { module: require.resolve('usearch'), ...data } });
		worker.unref(); // a build never keeps a process alive
		worker.once('message', () => {
			resolve();
			void worker.terminate();
		});
		worker.once('error', reject);
		worker.once('exit', (code) => reject(new Error(`usearch build worker exited with code ${code}`)));
	});
}

interface Build {
	/** The rows being built (read by the worker from shared memory: never changed meanwhile). */
	rows: ExactIndex;
	/** Rows removed while the build runs: hidden now, removed from the graph after it. */
	removed: Set<number>;
	done: Promise<void>;
}

/**
 * usearch's HNSW graph, built off the event loop. New vectors go to an exact scan first; once
 * BUILD_AT of them (or of removals) wait, a worker thread builds the next graph (the previous one
 * from its file, plus the new rows, minus the removed) and saves it; the event loop then maps that
 * file (usearch's `view`: milliseconds, where loading 100k vectors took ~0.75 s). A mapped graph is
 * read-only, so removals are hidden until the next build. Searches merge the graph's answer with
 * the exact scan's, on the calling thread, so lookups during a rebuild scan what is loaded.
 */
export class UsearchIndex implements VectorIndex {
	readonly kind = 'usearch';
	private graph?: { native: UsearchIndexNative; file: string };
	/** Ids in the graph and not removed. */
	private readonly inGraph = new Set<number>();
	/** Ids in the graph but removed (hidden from its answers until the next build). */
	private readonly hidden = new Set<number>();
	private recent: ExactIndex;
	private pending?: Build;
	private failed = false;
	/** flush() was called: the next build takes what waits, however few. */
	private flushWanted = false;
	private disposed = false;

	constructor(
		private readonly usearch: UsearchModule,
		readonly dimensions: number,
	) {
		this.recent = new ExactIndex(dimensions, true);
	}

	get size(): number {
		const building = this.pending ? this.pending.rows.size - this.pending.removed.size : 0;
		return this.inGraph.size + this.recent.size + building;
	}

	add(id: number, vector: Float32Array): void {
		this.addMany([id], [vector]);
	}

	addMany(ids: readonly number[], vectors: readonly Float32Array[]): void {
		ids.forEach((id, i) => {
			this.remove(id);
			this.recent.add(id, vectors[i]);
		});
		this.schedule();
	}

	remove(id: number): void {
		if (this.recent.has(id)) this.recent.remove(id);
		else if (this.pending?.rows.has(id)) this.pending.removed.add(id);
		else if (this.inGraph.delete(id)) {
			this.hidden.add(id);
			this.schedule();
		}
	}

	search(vector: Float32Array, k: number): Neighbour[] {
		const found = this.recent.search(vector, k);
		if (this.pending) {
			const { rows, removed } = this.pending;
			found.push(...rows.search(vector, k + Math.min(removed.size, k)).filter((n) => !removed.has(n.id)));
		}
		if (this.graph && this.inGraph.size) {
			// hidden (removed) ids may take places in the answer: ask for a few more
			const result = this.graph.native.search(vector, Math.min(k + Math.min(this.hidden.size, 4 * k), this.inGraph.size + this.hidden.size), 1);
			for (let i = 0; i < result.keys.length; i++) {
				if (result.keys[i] === NONE) continue;
				const id = Number(result.keys[i]);
				if (!this.hidden.has(id)) found.push({ id, similarity: 1 - result.distances[i] });
			}
		}
		return found.sort((a, b) => b.similarity - a.similarity).slice(0, k);
	}

	/** Resolves when no build is running or due (every vector added so far is in the graph, but fewer than BUILD_AT). */
	async whenBuilt(): Promise<void> {
		while (this.pending) await this.pending.done;
	}

	/** Deletes the graph's file (the partition was dropped); a running build is discarded when it ends. */
	dispose(): void {
		this.disposed = true;
		removeFile(this.graph?.file);
	}

	flush(): void {
		this.flushWanted = true;
		this.schedule();
	}

	private schedule(): void {
		if (this.pending || this.failed || this.disposed) return;
		const due = this.flushWanted ? this.recent.size > 0 || this.hidden.size > 0 : this.recent.size >= BUILD_AT || this.hidden.size >= BUILD_AT;
		if (!due) return;
		this.flushWanted = false;
		const rows = this.recent;
		this.recent = new ExactIndex(this.dimensions, true);
		const removed = [...this.hidden];
		const { ids, blocks } = rows.rows();
		const out = scratchFile();
		const pending: Build = { rows, removed: new Set(), done: Promise.resolve() };
		this.pending = pending;
		pending.done = build({
			settings: settings(this.dimensions),
			base: this.graph?.file,
			removed: BigUint64Array.from(removed, BigInt),
			keys: BigUint64Array.from(ids, BigInt),
			blocks,
			threads: BUILD_THREADS,
			out,
		})
			.then(
				() => {
					if (this.disposed) return removeFile(out);
					const native = new this.usearch.Index(settings(this.dimensions));
					native.view(out);
					removeFile(this.graph?.file); // the old graph stays mapped until it is collected
					this.graph = { native, file: out };
					for (const id of removed) this.hidden.delete(id);
					for (const id of ids) {
						if (pending.removed.has(id)) this.hidden.add(id);
						else this.inGraph.add(id);
					}
				},
				() => {
					// no worker or no disk here: keep every vector in the exact scan, build no more
					removeFile(out);
					this.failed = true;
					rows.rows().ids.forEach((id, i) => {
						if (!pending.removed.has(id) && !this.recent.has(id)) this.recent.add(id, rows.row(i));
					});
				},
			)
			.finally(() => {
				this.pending = undefined;
				this.schedule();
			});
	}
}
