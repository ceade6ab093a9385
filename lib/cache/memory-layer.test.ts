import { MemoryLayer, type EvictionPolicy } from './memory-layer';

const entry = (json: string, ttlMs = 60_000) => ({ json, createdAt: Date.now(), expiresAt: Date.now() + ttlMs });
const filled = (policy: EvictionPolicy) => {
	const layer = new MemoryLayer({ policy, maxEntries: 3 });
	for (const key of ['a', 'b', 'c']) layer.set(key, entry(key));
	return layer;
};
const present = (layer: MemoryLayer) => ['a', 'b', 'c', 'd'].filter((k) => layer.get(k) !== undefined);

describe('L1 eviction policies', () => {
	it('LRU evicts the least recently read', () => {
		const layer = filled('lru');
		layer.get('a');
		layer.set('d', entry('d'));
		expect(present(layer)).toEqual(['a', 'c', 'd']);
		expect(layer.stats().evictions).toBe(1);
	});

	it('FIFO evicts the oldest write, whatever was read', () => {
		const layer = filled('fifo');
		layer.get('a');
		layer.set('d', entry('d'));
		expect(present(layer)).toEqual(['b', 'c', 'd']);
	});

	it('LFU evicts the least often read (oldest among equals)', () => {
		const layer = filled('lfu');
		layer.get('a');
		layer.get('a');
		layer.get('b');
		layer.set('d', entry('d'));
		expect(present(layer)).toEqual(['a', 'b', 'd']);
		expect(layer.stats().evictions).toBe(1);
	});

	it('TTL-only evicts nothing early: new entries are refused until old ones expire', () => {
		const layer = new MemoryLayer({ policy: 'ttl', maxEntries: 2 });
		layer.set('a', entry('a', 20));
		layer.set('b', entry('b'));
		expect(layer.set('c', entry('c'))).toBe(false);
		expect(layer.stats()).toMatchObject({ refused: 1, evictions: 0 });
		return new Promise<void>((resolve) =>
			setTimeout(() => {
				expect(layer.set('c', entry('c'))).toBe(true);
				expect(present(layer)).toEqual(['b', 'c']);
				resolve();
			}, 40),
		);
	});

	it.each(['lru', 'lfu', 'fifo'] as const)('%s stays within its byte bound', (policy) => {
		const layer = new MemoryLayer({ policy, maxEntries: 1000, maxBytes: 10_000 });
		for (let i = 0; i < 50; i++) layer.set(`k${i}`, entry('x'.repeat(500)));
		expect(layer.stats().bytes).toBeLessThanOrEqual(10_000);
		expect(layer.stats().entries).toBeLessThan(50);
		expect(layer.get('k49')).toBeDefined();
	});

	it.each(['lru', 'lfu', 'fifo', 'ttl'] as const)('%s expires entries by their TTL', async (policy) => {
		const layer = new MemoryLayer({ policy });
		layer.set('a', entry('a', 10));
		await new Promise((resolve) => setTimeout(resolve, 25));
		expect(layer.get('a')).toBeUndefined();
	});
});
