import type { RedisLayer } from '../redis-layer';
import { guardRejects, type GuardName } from './guards';
import { createVectorIndex, normalise, type IndexChoice, type VectorIndex } from './vector-index';

export interface SemanticLayerOptions {
	index?: IndexChoice;
	/** Vectors kept per partition in this process (oldest leave first; default 100 000). */
	maxPerPartition?: number;
	/** Neighbours examined per lookup (the best that passes the guards wins; default 8). */
	candidates?: number;
	guards?: readonly GuardName[];
	/**
	 * With Redis: how long a partition's check for other workers' vectors stays fresh (default
	 * 100 ms). Lookups within it skip the round trip (its tail was most of a lookup's at 100k on a
	 * busy machine), so another worker's new vector can be found here up to this much later.
	 */
	recheckMs?: number;
	/**
	 * With Redis: how much longer than recheckMs a partition may be searched as it is while its
	 * check runs behind the lookup (stale-while-revalidate; default 1 000 ms). A busy worker's
	 * lookups then never wait on Redis (at 100k vectors the awaited check was most of the p99); one
	 * idle for longer waits for the check, so it never answers from an old view of the partition.
	 */
	staleWhileRevalidateMs?: number;
}

interface Partition {
	index?: VectorIndex;
	entries: Map<number, { key: string; prompt: string }>;
	order: number[];
	/** How many entries of the Redis list this process has read. */
	synced: number;
	/** The rest of a long list, read in the background (lookups meanwhile scan what is loaded). */
	loading?: Promise<void>;
	/** When the last check of the Redis list was sent (performance.now()). */
	checkedAt: number;
}

export interface SemanticMatch {
	key: string;
	similarity: number;
	/** Set when the best candidate above the threshold was rejected by a guard. */
	rejectedBy?: GuardName;
}

/**
 * The semantic layer: per partition (namespace + model + everything but the prompt), the prompts'
 * embeddings in a vector index, pointing at exact-cache keys. With Redis, each partition is also a
 * Redis list that every worker appends to; lookups read what others added since (one LRANGE,
 * at most once per recheckMs, behind the lookup while the view is fresh enough), so all workers
 * search the same vectors, and a process that starts rebuilds its index
 * from the list: the first chunk at once, the rest in the background in slices that yield to the
 * event loop (the ANN graph itself is built on a worker thread); a lookup meanwhile waits at most
 * LOAD_WAIT_MS, then searches what is loaded. A list that became shorter (cleared) is reloaded.
 */
export class SemanticLayer {
	private readonly partitions = new Map<string, Partition>();
	private readonly syncing = new Map<string, Promise<Partition>>();
	private readonly options: Required<SemanticLayerOptions>;
	private nextId = 1;

	constructor(options: SemanticLayerOptions = {}) {
		this.options = {
			index: options.index ?? 'auto',
			maxPerPartition: options.maxPerPartition ?? 100_000,
			candidates: options.candidates ?? 8,
			guards: options.guards ?? ['numbers', 'negation', 'entities', 'format'],
			recheckMs: options.recheckMs ?? 100,
			staleWhileRevalidateMs: options.staleWhileRevalidateMs ?? 1000,
		};
	}

	/** The best match at or above `threshold`; `rejectedBy` says a guard stopped the best one. */
	async lookup(partitionKey: string, vector: ArrayLike<number>, prompt: string, threshold: number, l2: RedisLayer | undefined, warnings: string[]): Promise<SemanticMatch | undefined> {
		const partition = await this.sync(partitionKey, l2, warnings);
		if (!partition.index || partition.index.size === 0) return undefined;
		const query = normalise(vector);
		if (query.length !== partition.index.dimensions) return undefined;
		let rejected: SemanticMatch | undefined;
		for (const { id, similarity } of partition.index.search(query, this.options.candidates)) {
			if (similarity < threshold) break;
			const entry = partition.entries.get(id);
			if (!entry) continue;
			const guard = guardRejects(prompt, entry.prompt, this.options.guards);
			if (!guard) return { key: entry.key, similarity: round(similarity) };
			rejected ??= { key: entry.key, similarity: round(similarity), rejectedBy: guard };
		}
		return rejected;
	}

	/** Adds a prompt's vector (here and, with Redis, for every worker). */
	async add(partitionKey: string, key: string, prompt: string, vector: ArrayLike<number>, ttlMs: number, l2: RedisLayer | undefined, warnings: string[]): Promise<void> {
		await this.addMany(partitionKey, [{ key, prompt, vector }], ttlMs, l2, warnings);
	}

	/** Adds many prompts' vectors at once: one index batch, and with Redis one pipelined write (warming a cache). */
	async addMany(partitionKey: string, items: ReadonlyArray<{ key: string; prompt: string; vector: ArrayLike<number> }>, ttlMs: number, l2: RedisLayer | undefined, warnings: string[]): Promise<void> {
		const entries = items.map((item) => ({ key: item.key, prompt: item.prompt, vector: normalise(item.vector) }));
		if (!l2) {
			this.insertMany(this.partition(partitionKey), entries);
			return;
		}
		const createdAt = Date.now();
		const packed = entries.map((e) => l2.pack({ createdAt, json: JSON.stringify({ k: e.key, p: e.prompt, v: Buffer.from(e.vector.buffer).toString('base64') }) }));
		const result = await l2.guard(
			async () => {
				const pipeline = l2.redis.pipeline();
				for (let i = 0; i < packed.length; i += SYNC_CHUNK) pipeline.rpush(partitionKey, ...packed.slice(i, i + SYNC_CHUNK));
				await pipeline.pexpire(partitionKey, Math.max(ttlMs, 1), 'GT').exec();
				await l2.redis.pexpire(partitionKey, Math.max(ttlMs, 1), 'NX');
				return true;
			},
			false,
			packed.length > SYNC_CHUNK ? 30_000 : undefined,
		);
		if (result.warning) warnings.push(result.warning);
		// Read it back through the list (with anything others added), so offsets stay in step.
		if (result.value) await this.sync(partitionKey, l2, warnings, true);
		else this.insertMany(this.partition(partitionKey), entries);
	}

	/** Resolves when the partition's ANN index holds every vector loaded so far (it is built off the event loop). */
	async indexed(partitionKey: string): Promise<void> {
		await this.syncing.get(partitionKey); // a check running behind a lookup
		await this.partitions.get(partitionKey)?.loading;
		await this.partitions.get(partitionKey)?.index?.whenBuilt?.();
	}

	/** Forgets the partitions whose key matches (after an invalidation); with Redis, the caller deletes the lists. */
	drop(match: (partitionKey: string) => boolean): number {
		let dropped = 0;
		for (const key of [...this.partitions.keys()]) {
			if (match(key)) {
				this.partitions.get(key)?.index?.dispose?.();
				this.partitions.delete(key);
				dropped++;
			}
		}
		return dropped;
	}

	stats(): { partitions: number; vectors: number; index: string } {
		let vectors = 0;
		let kind = 'none';
		for (const p of this.partitions.values()) {
			vectors += p.index?.size ?? 0;
			kind = p.index?.kind ?? kind;
		}
		return { partitions: this.partitions.size, vectors, index: kind };
	}

	private partition(key: string): Partition {
		let partition = this.partitions.get(key);
		if (!partition) this.partitions.set(key, (partition = { entries: new Map(), order: [], synced: 0, checkedAt: -Infinity }));
		return partition;
	}

	/** Adds entries to a partition's index in one batch (one native call for usearch), then trims the oldest. */
	private insertMany(partition: Partition, items: ReadonlyArray<{ key: string; prompt: string; vector: Float32Array }>): void {
		if (!items.length) return;
		partition.index ??= createVectorIndex(items[0].vector.length, this.options.index);
		const index = partition.index;
		// Only the newest maxPerPartition can stay: do not index what would be trimmed at once.
		const kept = items.filter((item) => item.vector.length === index.dimensions).slice(-this.options.maxPerPartition); // another embedding model's space: ignore
		const ids = kept.map(() => this.nextId++);
		index.addMany(ids, kept.map((item) => item.vector));
		kept.forEach((item, i) => {
			partition.entries.set(ids[i], { key: item.key, prompt: item.prompt });
			partition.order.push(ids[i]);
		});
		const excess = partition.order.length - this.options.maxPerPartition;
		if (excess > 0) {
			for (const oldest of partition.order.splice(0, excess)) {
				index.remove(oldest);
				partition.entries.delete(oldest);
			}
		}
	}

	/**
	 * The partition, checked against its Redis list when the last check is older than recheckMs:
	 * awaited, or behind the lookup within staleWhileRevalidateMs after that (`force`: awaited at
	 * once, after this process wrote).
	 */
	private async sync(partitionKey: string, l2: RedisLayer | undefined, warnings: string[], force = false): Promise<Partition> {
		if (!l2) return this.partition(partitionKey);
		const known = this.partitions.get(partitionKey);
		if (!force && known && !known.loading) {
			const age = performance.now() - known.checkedAt;
			if (age < this.options.recheckMs) return known;
			if (age < this.options.recheckMs + this.options.staleWhileRevalidateMs) {
				// searched as it is; the check runs behind (Redis trouble shows in the layer's health
				// and in the exact lookup's warning of the same call)
				this.check(partitionKey, l2, []).catch(() => undefined);
				return known;
			}
		}
		if (!known?.loading) await this.check(partitionKey, l2, warnings);
		const loading = this.partitions.get(partitionKey)?.loading;
		if (loading) {
			// a long list is still being read: wait a little, then search what is loaded
			let timer: NodeJS.Timeout | undefined;
			await Promise.race([loading, new Promise((resolve) => (timer = setTimeout(resolve, LOAD_WAIT_MS)))]);
			clearTimeout(timer);
		}
		return this.partition(partitionKey);
	}

	/** One read of the list at a time per partition: concurrent callers share it. */
	private check(partitionKey: string, l2: RedisLayer, warnings: string[]): Promise<Partition> {
		let pending = this.syncing.get(partitionKey);
		if (!pending) {
			pending = this.readList(partitionKey, l2, warnings).finally(() => this.syncing.delete(partitionKey));
			this.syncing.set(partitionKey, pending);
		}
		return pending;
	}

	private async readList(partitionKey: string, l2: RedisLayer, warnings: string[]): Promise<Partition> {
		let partition = this.partition(partitionKey);
		const from = partition.synced;
		const checkedAt = performance.now();
		const result = await l2.guard(async () => {
			const [[, length], [, items]] = (await l2.redis.pipeline().llen(partitionKey).lrangeBuffer(partitionKey, from, from + FIRST_CHUNK - 1).exec()) as [[unknown, number], [unknown, Buffer[]]];
			return { length, items };
		}, undefined);
		if (result.warning) warnings.push(result.warning);
		if (!result.value) return partition;
		const { length } = result.value;
		let items = result.value.items;
		let start = from;
		if (length < from) {
			// cleared or expired elsewhere: start again from the list as it is
			this.partitions.delete(partitionKey);
			partition = this.partition(partitionKey);
			start = 0;
			items = [];
		}
		this.insertMany(partition, items.flatMap((raw) => decodeEntry(l2, raw)));
		partition.synced = start + items.length;
		partition.checkedAt = checkedAt;
		if (partition.synced < length) {
			const loaded = partition;
			loaded.loading = this.readRest(partitionKey, loaded, length, l2, warnings).finally(() => (loaded.loading = undefined));
		}
		return partition;
	}

	/**
	 * The rest of a long list (a process starting next to a full partition): pipelined chunks,
	 * decoded and indexed DECODE_SLICE entries at a time with a yield to the event loop between.
	 */
	private async readRest(partitionKey: string, partition: Partition, length: number, l2: RedisLayer, warnings: string[]): Promise<void> {
		while (partition.synced < length && this.partitions.get(partitionKey) === partition) {
			const batch = await this.readRange(partitionKey, partition.synced, Math.min(length, partition.synced + SYNC_BATCH), l2, warnings);
			if (!batch?.length) break; // Redis trouble, or the list shrank meanwhile: the next lookup starts over
			for (let i = 0; i < batch.length; i += DECODE_SLICE) {
				await new Promise(setImmediate);
				this.insertMany(partition, batch.slice(i, i + DECODE_SLICE).flatMap((raw) => decodeEntry(l2, raw)));
			}
			partition.synced += batch.length;
		}
		partition.index?.flush?.(); // the last few vectors into the graph too
	}

	/** Entries [from, to) of a partition's list, SYNC_CHUNK per LRANGE, in one pipeline. */
	private async readRange(partitionKey: string, from: number, to: number, l2: RedisLayer, warnings: string[]): Promise<Buffer[] | undefined> {
		const result = await l2.guard(
			async () => {
				const pipeline = l2.redis.pipeline();
				for (let i = from; i < to; i += SYNC_CHUNK) pipeline.lrangeBuffer(partitionKey, i, Math.min(i + SYNC_CHUNK, to) - 1);
				const replies = (await pipeline.exec()) as Array<[Error | null, Buffer[]]>;
				return replies.flatMap(([error, items]) => {
					if (error) throw error;
					return items;
				});
			},
			undefined,
			30_000,
		);
		if (result.warning) warnings.push(result.warning);
		return result.value;
	}
}

/** Entries per LRANGE, and per pipeline, when a partition is read from Redis (4,000 768-d entries are about 16 MB). */
const SYNC_CHUNK = 2000;
const SYNC_BATCH = 4000;
/** Entries read with the length on each sync (usually none are new): small, so a starting worker's first read stays well inside the Redis timeout. */
const FIRST_CHUNK = 500;
/** Entries decoded between two yields to the event loop while a long list loads (500 x 768-d: ~10-30 ms). */
const DECODE_SLICE = 500;
/** How long a lookup waits for a partition still being read from Redis before it searches what is loaded. */
const LOAD_WAIT_MS = 500;

function decodeEntry(l2: RedisLayer, raw: Buffer): Array<{ key: string; prompt: string; vector: Float32Array }> {
	try {
		const { k, p, v } = JSON.parse(l2.unpack(raw).json) as { k: string; p: string; v: string };
		const bytes = Buffer.from(v, 'base64');
		return [{ key: k, prompt: p, vector: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) }];
	} catch {
		return []; // unreadable (other encryption key, corrupt): skip it
	}
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
