/**
 * Deterministic bag-of-features embeddings: hashed word unigrams, word bigrams and character
 * trigrams (signed feature hashing) into `dims` buckets. Texts that share words land close together;
 * the same text always yields the same vector; a different model name yields a different space.
 */
import { fnv1a } from './rng';

function words(text: string): string[] {
	return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) as string[];
}

/**
 * Signed feature hashing, Matryoshka-style: each feature lands in 2 buckets of the whole vector,
 * 2 of its first half, 2 of its first quarter, ... down to the first 16 dims, so a prefix kept by
 * `dimensions` still carries the similarity structure.
 */
function addFeature(vec: Float64Array, model: string, feature: string, weight: number): void {
	const seed = fnv1a(model);
	let h = fnv1a(feature, seed);
	for (let range = vec.length; range >= 16 || range === vec.length; range = Math.floor(range / 2)) {
		for (let k = 0; k < 2; k++) {
			h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
			h = (h ^ (h >>> 12)) >>> 0;
			vec[h % range] += (h & 0x10000 ? 1 : -1) * weight;
		}
		if (range < 2) break;
	}
}

/** The raw (unnormalised) vector, as the legacy /api/embeddings endpoint returns it. */
export function rawEmbedding(model: string, text: string, dims: number): number[] {
	const vec = new Float64Array(dims);
	const ws = words(text);
	addFeature(vec, model, 'bias', 0.05);
	for (let i = 0; i < ws.length; i++) {
		const w = ws[i];
		addFeature(vec, model, `w:${w}`, 1);
		if (i > 0) addFeature(vec, model, `b:${ws[i - 1]} ${w}`, 0.5);
		const padded = `<${w}>`;
		for (let j = 0; j + 3 <= padded.length; j++) addFeature(vec, model, `c:${padded.slice(j, j + 3)}`, 0.25);
	}
	return Array.from(vec, (v) => Math.round(v * 1e6) / 1e6);
}

export function normalize(vec: number[]): number[] {
	let sum = 0;
	for (const v of vec) sum += v * v;
	const norm = 1 / Math.max(Math.sqrt(sum), 1e-12);
	return vec.map((v) => v * norm);
}

/** L2-normalised embedding, optionally truncated to `dimensions` and re-normalised (like Ollama). */
export function embed(model: string, text: string, dims: number, dimensions?: number): number[] {
	let v = normalize(rawEmbedding(model, text, dims));
	if (dimensions && dimensions > 0 && dimensions < v.length) v = normalize(v.slice(0, dimensions));
	// float32-like precision (Ollama returns []float32, marshalled in their shortest form)
	return v.map((x) => Number(x.toPrecision(8)));
}

export function cosine(a: number[], b: number[]): number {
	let dot = 0;
	let na = 0;
	let nb = 0;
	for (let i = 0; i < Math.min(a.length, b.length); i++) {
		dot += a[i] * b[i];
		na += a[i] * a[i];
		nb += b[i] * b[i];
	}
	return dot / Math.max(Math.sqrt(na) * Math.sqrt(nb), 1e-12);
}
