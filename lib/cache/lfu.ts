/**
 * A least-frequently-used map with O(1) get/set/evict (frequency buckets, oldest first within a
 * bucket). Written here because lru-cache, used for the other policies, has no LFU mode.
 */
export class LfuMap<V> {
	private readonly entries = new Map<string, { value: V; freq: number }>();
	/** freq → keys in insertion order (a Set keeps order and deletes in O(1)). */
	private readonly buckets = new Map<number, Set<string>>();
	private minFreq = 0;

	get size(): number {
		return this.entries.size;
	}

	has(key: string): boolean {
		return this.entries.has(key);
	}

	/** Reads without counting a use. */
	peek(key: string): V | undefined {
		return this.entries.get(key)?.value;
	}

	get(key: string): V | undefined {
		const entry = this.entries.get(key);
		if (!entry) return undefined;
		this.bucket(entry.freq).delete(key);
		if (this.buckets.get(entry.freq)!.size === 0) {
			this.buckets.delete(entry.freq);
			if (this.minFreq === entry.freq) this.minFreq++;
		}
		entry.freq++;
		this.bucket(entry.freq).add(key);
		return entry.value;
	}

	set(key: string, value: V): void {
		const entry = this.entries.get(key);
		if (entry) {
			entry.value = value;
			this.get(key);
			return;
		}
		this.entries.set(key, { value, freq: 1 });
		this.bucket(1).add(key);
		this.minFreq = 1;
	}

	delete(key: string): boolean {
		const entry = this.entries.get(key);
		if (!entry) return false;
		this.entries.delete(key);
		const bucket = this.buckets.get(entry.freq)!;
		bucket.delete(key);
		if (bucket.size === 0) this.buckets.delete(entry.freq);
		if (this.entries.size === 0) this.minFreq = 0;
		else if (!this.buckets.has(this.minFreq)) this.minFreq = Math.min(...this.buckets.keys());
		return true;
	}

	/** The key the next eviction removes: least used, oldest among equals. */
	victim(): string | undefined {
		const bucket = this.buckets.get(this.minFreq);
		return bucket?.values().next().value;
	}

	keys(): IterableIterator<string> {
		return this.entries.keys();
	}

	clear(): void {
		this.entries.clear();
		this.buckets.clear();
		this.minFreq = 0;
	}

	private bucket(freq: number): Set<string> {
		let bucket = this.buckets.get(freq);
		if (!bucket) this.buckets.set(freq, (bucket = new Set()));
		return bucket;
	}
}
