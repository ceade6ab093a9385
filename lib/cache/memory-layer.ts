import { LRUCache } from 'lru-cache';

import { LfuMap } from './lfu';

/** How L1 makes room: least recently used, least frequently used, first in first out, or never (TTL only: refuse new entries when full). */
export type EvictionPolicy = 'lru' | 'lfu' | 'fifo' | 'ttl';

export interface MemoryLayerOptions {
	maxEntries?: number;
	maxBytes?: number;
	policy?: EvictionPolicy;
}

/** One L1 entry: the value as JSON text (parsed on every hit, so no caller can change a cached answer). */
export interface MemoryEntry {
	json: string;
	createdAt: number;
	expiresAt: number;
}

export interface MemoryLayerCounters {
	entries: number;
	bytes: number;
	evictions: number;
	/** TTL-only policy: entries not stored because the layer was full. */
	refused: number;
}

const entryBytes = (key: string, entry: MemoryEntry) => 2 * (key.length + entry.json.length) + 64;

/**
 * The in-process layer, bounded by entries and bytes. LRU, FIFO and TTL-only use `lru-cache`
 * (FIFO reads with `peek`, which never refreshes recency); LFU uses `LfuMap`.
 */
export class MemoryLayer {
	readonly policy: EvictionPolicy;
	private readonly maxEntries: number;
	private readonly maxBytes: number;
	private readonly lru?: LRUCache<string, MemoryEntry>;
	private readonly lfu?: LfuMap<MemoryEntry>;
	private lfuBytes = 0;
	private counters = { evictions: 0, refused: 0 };

	constructor(options: MemoryLayerOptions = {}) {
		this.policy = options.policy ?? 'lru';
		this.maxEntries = options.maxEntries ?? 10_000;
		this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
		if (this.policy === 'lfu') {
			this.lfu = new LfuMap();
		} else {
			this.lru = new LRUCache<string, MemoryEntry>({
				max: this.maxEntries,
				maxSize: this.maxBytes,
				sizeCalculation: (entry, key) => entryBytes(key, entry),
				dispose: (_value, _key, reason) => {
					if (reason === 'evict') this.counters.evictions++;
				},
			});
		}
	}

	get(key: string, now = Date.now()): MemoryEntry | undefined {
		if (this.lfu) {
			const entry = this.lfu.get(key);
			if (entry && entry.expiresAt <= now) {
				this.delete(key);
				return undefined;
			}
			return entry;
		}
		const entry = this.policy === 'lru' ? this.lru!.get(key) : this.lru!.peek(key);
		if (entry && entry.expiresAt <= now) {
			this.lru!.delete(key);
			return undefined;
		}
		return entry;
	}

	set(key: string, entry: MemoryEntry): boolean {
		const bytes = entryBytes(key, entry);
		if (bytes > this.maxBytes) return false;
		if (this.lfu) {
			this.delete(key);
			while (this.lfu.size >= this.maxEntries || this.lfuBytes + bytes > this.maxBytes) {
				this.delete(this.lfu.victim()!);
				this.counters.evictions++;
			}
			this.lfu.set(key, entry);
			this.lfuBytes += bytes;
			return true;
		}
		const lru = this.lru!;
		if (this.policy === 'ttl' && !lru.has(key)) {
			const full = () => lru.size >= this.maxEntries || lru.calculatedSize + bytes > this.maxBytes;
			if (full()) this.purgeExpired();
			if (full()) {
				this.counters.refused++;
				return false;
			}
		}
		lru.set(key, entry);
		return true;
	}

	delete(key: string): boolean {
		if (this.lfu) {
			const entry = this.lfu.peek(key);
			if (!entry) return false;
			this.lfuBytes -= entryBytes(key, entry);
			return this.lfu.delete(key);
		}
		return this.lru!.delete(key);
	}

	/** Deletes the entries whose key and entry match; returns how many. */
	deleteWhere(match: (key: string, entry: MemoryEntry) => boolean): number {
		let deleted = 0;
		for (const key of [...this.keys()]) {
			const entry = this.lfu ? this.lfu.peek(key) : this.lru!.peek(key, { allowStale: true });
			if (entry && match(key, entry) && this.delete(key)) deleted++;
		}
		return deleted;
	}

	clear(): void {
		this.lru?.clear();
		this.lfu?.clear();
		this.lfuBytes = 0;
	}

	stats(): MemoryLayerCounters {
		return {
			entries: this.lfu ? this.lfu.size : this.lru!.size,
			bytes: this.lfu ? this.lfuBytes : this.lru!.calculatedSize,
			...this.counters,
		};
	}

	private keys(): Iterable<string> {
		return this.lfu ? this.lfu.keys() : this.lru!.keys();
	}

	private purgeExpired(): void {
		const now = Date.now();
		this.deleteWhere((_key, entry) => entry.expiresAt <= now);
	}
}
