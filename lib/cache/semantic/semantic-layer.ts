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
}

interface Partition {
	index?: VectorIndex;
	entries: Map<number, { key: string; prompt: string }>;
	order: number[];
	/** How many entries of the Redis list this process has read. */
	synced: number;
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
 * Redis list that every worker appends to; a lookup first reads what others added since (one
 * LRANGE), so all workers search the same vectors, and a process that starts rebuilds its index
 * from the list. A list that became shorter (cleared) is reloaded from the start.
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
		if (result.value) await this.sync(partitionKey, l2, warnings);
		else this.insertMany(this.partition(partitionKey), entries);
	}

	/** Forgets the partitions whose key matches (after an invalidation); with Redis, the caller deletes the lists. */
	drop(match: (partitionKey: string) => boolean): number {
		let dropped = 0;
		for (const key of [...this.partitions.keys()]) {
			if (match(key)) {
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
		if (!partition) this.partitions.set(key, (partition = { entries: new Map(), order: [], synced: 0 }));
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

	/** One read of a partition's list at a time: concurrent lookups share it instead of indexing entries twice. */
	private sync(partitionKey: string, l2: RedisLayer | undefined, warnings: string[]): Promise<Partition> {
		if (!l2) return Promise.resolve(this.partition(partitionKey));
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
		const result = await l2.guard(async () => {
			const [[, length], [, items]] = (await l2.redis.pipeline().llen(partitionKey).lrangeBuffer(partitionKey, from, from + SYNC_CHUNK - 1).exec()) as [[unknown, number], [unknown, Buffer[]]];
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
		// A long list (a process starting next to a full partition) is read in pipelined chunks.
		while (partition.synced < length) {
			const batch = await this.readRange(partitionKey, partition.synced, Math.min(length, partition.synced + SYNC_BATCH), l2, warnings);
			if (!batch) break;
			this.insertMany(partition, batch.flatMap((raw) => decodeEntry(l2, raw)));
			partition.synced += batch.length;
			if (!batch.length) break; // the list shrank meanwhile: the next lookup starts over
		}
		return partition;
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

/** Entries per LRANGE, and per pipeline (and index batch), when a partition is read from Redis: 10k 768-d entries are about 40 MB. */
const SYNC_CHUNK = 2000;
const SYNC_BATCH = 10_000;

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
