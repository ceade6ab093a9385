import { createHash } from 'node:crypto';

/** A deterministic PRNG (sfc32) returning floats in [0, 1). */
export type Rng = () => number;

export function sfc32(a: number, b: number, c: number, d: number): Rng {
	return () => {
		a >>>= 0;
		b >>>= 0;
		c >>>= 0;
		d >>>= 0;
		let t = (a + b) | 0;
		a = b ^ (b >>> 9);
		b = (c + (c << 3)) | 0;
		c = (c << 21) | (c >>> 11);
		d = (d + 1) | 0;
		t = (t + d) | 0;
		c = (c + t) | 0;
		return (t >>> 0) / 4294967296;
	};
}

export function sha256Hex(s: string): string {
	return createHash('sha256').update(s).digest('hex');
}

/** PRNG seeded from the sha256 of a string. */
export function rngFromString(s: string): Rng {
	const h = createHash('sha256').update(s).digest();
	const r = sfc32(h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12));
	for (let i = 0; i < 12; i++) r(); // warm up
	return r;
}

/** PRNG seeded from a number (used for the fault RNG). */
export function rngFromSeed(seed: number): Rng {
	return rngFromString(`fault-seed:${seed}`);
}

/** JSON with object keys sorted recursively, so logically equal requests hash equally. */
export function canonicalJson(v: unknown): string {
	return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
	if (Array.isArray(v)) return v.map(sortKeys);
	if (v && typeof v === 'object') {
		const out: Record<string, unknown> = {};
		for (const k of Object.keys(v as Record<string, unknown>).sort()) {
			const x = (v as Record<string, unknown>)[k];
			if (x !== undefined) out[k] = sortKeys(x);
		}
		return out;
	}
	return v;
}

/** 32-bit FNV-1a with a seed. */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
	let h = seed >>> 0;
	for (let i = 0; i < s.length; i++) {
		h ^= s.charCodeAt(i);
		h = Math.imul(h, 0x01000193);
	}
	return h >>> 0;
}

export function pick<T>(rng: Rng, arr: readonly T[]): T {
	return arr[Math.floor(rng() * arr.length) % arr.length];
}

export function intBetween(rng: Rng, lo: number, hi: number): number {
	return lo + Math.floor(rng() * (hi - lo + 1));
}
