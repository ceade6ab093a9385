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
		const normalised = normalise(vector);
		if (!l2) {
			this.insert(this.partition(partitionKey), key, prompt, normalised);
			return;
		}
		const packed = l2.pack({ createdAt: Date.now(), json: JSON.stringify({ k: key, p: prompt, v: Buffer.from(normalised.buffer).toString('base64') }) });
		const result = await l2.guard(async () => {
			await l2.redis.pipeline().rpush(partitionKey, packed).pexpire(partitionKey, Math.max(ttlMs, 1), 'GT').exec();
			await l2.redis.pexpire(partitionKey, Math.max(ttlMs, 1), 'NX');
			return true;
		}, false);
		if (result.warning) warnings.push(result.warning);
		// Read it back through the list (with anything others added), so offsets stay in step.
		if (result.value) await this.sync(partitionKey, l2, warnings);
		else this.insert(this.partition(partitionKey), key, prompt, normalised);
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

	private insert(partition: Partition, key: string, prompt: string, vector: Float32Array): void {
		partition.index ??= createVectorIndex(vector.length, this.options.index);
		if (vector.length !== partition.index.dimensions) return; // another embedding model's space: ignore
		const id = this.nextId++;
		partition.index.add(id, vector);
		partition.entries.set(id, { key, prompt });
		partition.order.push(id);
		while (partition.order.length > this.options.maxPerPartition) {
			const oldest = partition.order.shift()!;
			partition.index.remove(oldest);
			partition.entries.delete(oldest);
		}
	}

	private async sync(partitionKey: string, l2: RedisLayer | undefined, warnings: string[]): Promise<Partition> {
		let partition = this.partition(partitionKey);
		if (!l2) return partition;
		const from = partition.synced;
		const result = await l2.guard(async () => {
			const [[, length], [, items]] = (await l2.redis.pipeline().llen(partitionKey).lrangeBuffer(partitionKey, from, -1).exec()) as [[unknown, number], [unknown, Buffer[]]];
			return { length, items };
		}, undefined);
		if (result.warning) warnings.push(result.warning);
		if (!result.value) return partition;
		let { length, items } = result.value;
		if (length < from) {
			// cleared or expired elsewhere: start again from the list as it is
			this.partitions.delete(partitionKey);
			partition = this.partition(partitionKey);
			const again = await l2.guard(() => l2.redis.lrangeBuffer(partitionKey, 0, -1), [] as Buffer[]);
			items = again.value;
			length = items.length;
		}
		for (const raw of items) {
			try {
				const { k, p, v } = JSON.parse(l2.unpack(raw).json) as { k: string; p: string; v: string };
				const bytes = Buffer.from(v, 'base64');
				this.insert(partition, k, p, new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
			} catch {
				// unreadable (other encryption key, corrupt): skip it
			}
		}
		partition.synced = partition.synced + items.length;
		return partition;
	}
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
