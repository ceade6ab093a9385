/**
 * Deterministic bag-of-features embeddings: hashed word unigrams, word bigrams and character
 * trigrams (signed feature hashing) into `dims` buckets. Texts that share words land close together;
 * the same text always yields the same vector; a different model name yields a different space.
 *
 * Closer to a real embedding model in three ways (so semantic-cache thresholds and guards can be
 * tested honestly, though the numbers found here do not carry over to a real model unchanged):
 *  - a baseline: every vector shares a common direction, so two unrelated texts have a cosine of
 *    about `baseline` (real models rarely give ~0);
 *  - a small synonym table: "reset my password" and "change my password" map to the same features;
 *  - numbers and negations weigh little, as in real models: "refund order 123" vs "refund order 456"
 *    or "I can log in" vs "I can not log in" still score high, only a guard tells them apart.
 */
import { fnv1a } from './rng';

/** word -> canonical word; each group is one meaning */
const SYNONYM_GROUPS: string[][] = [
	['change', 'reset', 'update', 'modify', 'alter'],
	['password', 'passcode', 'passphrase', 'pwd'],
	['buy', 'purchase'],
	['cancel', 'terminate', 'revoke'],
	['refund', 'reimburse', 'reimbursement'],
	['help', 'assist', 'assistance', 'support'],
	['fix', 'repair', 'resolve', 'solve'],
	['problem', 'issue', 'trouble', 'error', 'fault'],
	['big', 'large', 'huge'],
	['small', 'little', 'tiny'],
	['start', 'begin', 'launch'],
	['delete', 'remove', 'erase'],
	['login', 'signin', 'logon'],
	['email', 'mail'],
	['delivery', 'shipping', 'shipment'],
	['price', 'cost', 'pricing'],
	['fast', 'quick', 'rapid', 'speedy'],
	['show', 'display'],
	['get', 'obtain', 'receive'],
	['account', 'profile'],
];
const SYNONYMS = new Map<string, string>(SYNONYM_GROUPS.flatMap((g) => g.map((w) => [w, g[0]] as [string, string])));
const NEGATIONS = new Set(['not', 'no', 'never', 'none', 'nothing', 'without', 'cannot', 'nor', 'neither']);
/** weight of a number or a negation word (a content word weighs 1) */
const LIGHT = 0.3;

/** Lower-cased words with "n't" as "not"; `canon` maps synonyms to one word of their group. */
function words(text: string): Array<{ word: string; canon: string }> {
	const t = text.toLowerCase().replace(/n['’]t\b/g, ' not');
	return ((t.match(/[\p{L}\p{N}]+/gu) ?? []) as string[]).map((word) => ({ word, canon: SYNONYMS.get(word) ?? word }));
}

function weightOf(word: string): number {
	return NEGATIONS.has(word) || /^\p{N}+$/u.test(word) ? LIGHT : 1;
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

/**
 * The raw (unnormalised) vector, as the legacy /api/embeddings endpoint returns it. `baseline`
 * (cosine of two unrelated texts, 0..1) mixes in a direction all texts of the model share.
 */
export function rawEmbedding(model: string, text: string, dims: number, baseline = 0): number[] {
	const vec = new Float64Array(dims);
	const found = words(text);
	const ws = found.map((x) => x.canon);
	addFeature(vec, model, 'bias', 0.05);
	for (let i = 0; i < ws.length; i++) {
		const w = ws[i];
		const weight = weightOf(w);
		// a synonym keeps a trace of its own word, so a paraphrase is close but not identical
		if (found[i].word !== w) addFeature(vec, model, `w:${found[i].word}`, 0.2);
		addFeature(vec, model, `w:${w}`, weight);
		if (i > 0) addFeature(vec, model, `b:${ws[i - 1]} ${w}`, 0.5 * Math.min(weight, weightOf(ws[i - 1])));
		if (weight < 1) continue;
		const padded = `<${w}>`;
		for (let j = 0; j + 3 <= padded.length; j++) addFeature(vec, model, `c:${padded.slice(j, j + 3)}`, 0.25);
	}
	if (baseline > 0) {
		let norm = 0;
		for (const v of vec) norm += v * v;
		norm = Math.sqrt(norm) || 1;
		const common = new Float64Array(dims);
		for (let k = 0; k < 16; k++) addFeature(common, model, `common:${k}`, 1);
		let cn = 0;
		for (const v of common) cn += v * v;
		cn = Math.sqrt(cn) || 1;
		const a = Math.sqrt(baseline) * norm;
		const f = Math.sqrt(1 - baseline);
		for (let i = 0; i < dims; i++) vec[i] = f * vec[i] + (a * common[i]) / cn;
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
export function embed(model: string, text: string, dims: number, dimensions?: number, baseline = 0): number[] {
	let v = normalize(rawEmbedding(model, text, dims, baseline));
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
