/**
 * Lexical relevance of texts to a query: BM25 over words. Used to rank documents (and chunks) when
 * the caller gives no retrieval score. Term statistics per text are cached, so ranking the same
 * documents again costs only the query.
 */
import { LRUCache } from 'lru-cache';

const K1 = 1.2;
const B = 0.75;
const WORD = /[\p{L}\p{N}]+/gu;
/** Words too common to say anything about relevance (idf handles the rest). */
const STOPWORDS = new Set(
	'a an and are as at be but by for from has have how i in is it its of on or that the this to was were what when where which who why will with you your'.split(
		' ',
	),
);

interface TermStats {
	length: number;
	frequencies: Map<string, number>;
}

const statsCache = new LRUCache<string, TermStats>({
	max: 5_000,
	maxSize: 32 * 1024 * 1024,
	sizeCalculation: (_stats, key) => Math.max(1, key.length),
});

export function words(text: string): string[] {
	const found: string[] = [];
	for (const match of text.toLowerCase().matchAll(WORD)) {
		if (!STOPWORDS.has(match[0])) found.push(match[0]);
	}
	return found;
}

function termStats(text: string): TermStats {
	const cached = statsCache.get(text);
	if (cached) return cached;
	const all = words(text);
	const frequencies = new Map<string, number>();
	for (const word of all) frequencies.set(word, (frequencies.get(word) ?? 0) + 1);
	const stats = { length: all.length, frequencies };
	statsCache.set(text, stats);
	return stats;
}

/** BM25 score of each text against the query; the texts are the corpus. All 0 for an empty query. */
export function bm25Scores(query: string, texts: readonly string[]): number[] {
	const queryTerms = [...new Set(words(query))];
	if (queryTerms.length === 0 || texts.length === 0) return texts.map(() => 0);
	const stats = texts.map(termStats);
	const averageLength = stats.reduce((sum, s) => sum + s.length, 0) / stats.length || 1;
	const idf = new Map<string, number>();
	for (const term of queryTerms) {
		let documentFrequency = 0;
		for (const s of stats) if (s.frequencies.has(term)) documentFrequency++;
		idf.set(term, Math.log(1 + (texts.length - documentFrequency + 0.5) / (documentFrequency + 0.5)));
	}
	return stats.map((s) => {
		let score = 0;
		for (const term of queryTerms) {
			const frequency = s.frequencies.get(term);
			if (!frequency) continue;
			const norm = frequency + K1 * (1 - B + (B * s.length) / averageLength);
			score += (idf.get(term) as number) * ((frequency * (K1 + 1)) / norm);
		}
		return score;
	});
}
