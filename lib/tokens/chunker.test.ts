import { chunkText } from './chunker';
import { countTextTokens } from './counter';
import { bm25Scores } from './relevance';

describe('chunkText', () => {
	const paragraphs = Array.from({ length: 12 }, (_, i) => `Paragraph ${i}. ` + `Sentence about topic ${i} with some filler words. `.repeat(4).trim());
	const text = paragraphs.join('\n\n');

	it('cuts on paragraph boundaries into chunks of about the target size', () => {
		const chunks = chunkText(text, 100, 'cl100k_base');
		expect(chunks.length).toBeGreaterThan(3);
		for (const chunk of chunks) {
			expect(chunk.tokens).toBeLessThanOrEqual(100);
			// Every chunk starts at a paragraph start: no paragraph was cut.
			expect(chunk.text).toMatch(/^Paragraph \d+\./);
			// The sum of piece counts is a close estimate of the chunk's own count.
			expect(Math.abs(chunk.tokens - countTextTokens(chunk.text))).toBeLessThanOrEqual(2);
		}
		expect(chunks.map((c) => c.text).join('\n\n')).toBe(text);
	});

	it('falls back to sentences, then to whitespace, for oversized paragraphs', () => {
		const sentences = Array.from({ length: 20 }, (_, i) => `This is sentence number ${i} of one long paragraph.`).join(' ');
		const sentenceChunks = chunkText(sentences, 40, 'cl100k_base');
		expect(sentenceChunks.length).toBeGreaterThan(3);
		for (const chunk of sentenceChunks) expect(chunk.text).toMatch(/^This is sentence number \d+ of one long paragraph\.( |$)/);

		const oneSentence = 'word '.repeat(1000).trim();
		const wordChunks = chunkText(oneSentence, 50, 'cl100k_base');
		expect(wordChunks.length).toBeGreaterThanOrEqual(20);
		for (const chunk of wordChunks) expect(chunk.tokens).toBeLessThanOrEqual(50);
		expect(wordChunks.map((c) => c.text).join(' ')).toBe(oneSentence);
	});
});

describe('bm25Scores', () => {
	it('scores texts that share rare query words highest', () => {
		const scores = bm25Scores('How often should I water tomatoes?', [
			'Cars need oil changes and tyre checks.',
			'Tomatoes like deep water at the roots; water tomatoes twice a week.',
			'Water is wet. Plants need light.',
		]);
		expect(scores[1]).toBeGreaterThan(scores[2]);
		expect(scores[2]).toBeGreaterThan(scores[0]);
		expect(scores[0]).toBe(0);
	});

	it('scores everything 0 for a query without content words', () => {
		expect(bm25Scores('what is the', ['a text', 'another'])).toEqual([0, 0]);
	});
});
