/**
 * Splits long documents into chunks of about `targetTokens`, on paragraph boundaries first, then
 * sentence boundaries, and only as a last resort inside a sentence (at whitespace). Neighbouring
 * small pieces are merged back up to the target so chunks carry enough context to be useful.
 */
import { LRUCache } from 'lru-cache';
import { countingKey, countTextTokens, type Counting } from './counter';

export interface Chunk {
	text: string;
	/** Estimated tokens: the sum of its pieces' counts plus joins (no second encoding pass). */
	tokens: number;
	/** Position within the document, for restoring reading order. */
	index: number;
}

/** How a piece joins the one before it, so merged chunks keep the original layout. */
type Join = '\n\n' | '\n' | ' ';

interface Piece {
	text: string;
	tokens: number;
	join: Join;
}

const PARAGRAPH_BREAK = /\n[ \t]*\n+/;
const SENTENCE_BREAK = /(?<=[.!?。！？])\s+/;
/** A line break or blank line is one token in cl100k and o200k; a space merges into the next word. */
const JOIN_TOKENS: Record<Join, number> = { '\n\n': 1, '\n': 1, ' ': 0 };

const chunkCaches = new Map<string, LRUCache<string, Chunk[]>>();

export function chunkText(text: string, targetTokens: number, encoding: Counting): Chunk[] {
	const target = Math.max(1, Math.floor(targetTokens));
	const cacheKey = `${countingKey(encoding)}:${target}`;
	let cache = chunkCaches.get(cacheKey);
	if (!cache) {
		cache = new LRUCache<string, Chunk[]>({ max: 2_000, maxSize: 32 * 1024 * 1024, sizeCalculation: (_c, key) => Math.max(1, key.length) });
		chunkCaches.set(cacheKey, cache);
	}
	const cached = cache.get(text);
	if (cached) return cached;
	const chunks = mergePieces(splitIntoPieces(text, target, encoding), target);
	cache.set(text, chunks);
	return chunks;
}

function splitIntoPieces(text: string, target: number, encoding: Counting): Piece[] {
	const pieces: Piece[] = [];
	for (const paragraph of text.split(PARAGRAPH_BREAK)) {
		const trimmed = paragraph.trim();
		if (!trimmed) continue;
		const tokens = countTextTokens(trimmed, encoding);
		if (tokens <= target) {
			pieces.push({ text: trimmed, tokens, join: '\n\n' });
			continue;
		}
		// Lines inside a paragraph (list items) are boundaries too, kept as line breaks.
		let join: Join = '\n\n';
		for (const line of trimmed.split('\n')) {
			for (const sentence of line.split(SENTENCE_BREAK)) {
				if (!sentence.trim()) continue;
				for (const part of splitOversized(sentence.trim(), target, encoding)) {
					pieces.push({ ...part, join });
					join = ' ';
				}
			}
			join = '\n';
		}
	}
	return pieces;
}

/** A sentence longer than the target is cut at whitespace into parts of roughly target size. */
function splitOversized(sentence: string, target: number, encoding: Counting): Array<{ text: string; tokens: number }> {
	const tokens = countTextTokens(sentence, encoding);
	if (tokens <= target) return [{ text: sentence, tokens }];
	const charsPerPart = Math.max(1, Math.floor((sentence.length * target) / tokens));
	const parts: Array<{ text: string; tokens: number }> = [];
	let start = 0;
	while (start < sentence.length) {
		let end = Math.min(sentence.length, start + charsPerPart);
		if (end < sentence.length) {
			const space = sentence.lastIndexOf(' ', end);
			if (space > start) end = space;
		}
		const part = sentence.slice(start, end).trim();
		if (part) parts.push({ text: part, tokens: countTextTokens(part, encoding) });
		start = end;
	}
	return parts;
}

function mergePieces(pieces: Piece[], target: number): Chunk[] {
	const chunks: Chunk[] = [];
	let text = '';
	let tokens = 0;
	for (const piece of pieces) {
		if (text && tokens + JOIN_TOKENS[piece.join] + piece.tokens > target) {
			chunks.push({ text, tokens, index: chunks.length });
			text = '';
			tokens = 0;
		}
		if (text) {
			text += piece.join;
			tokens += JOIN_TOKENS[piece.join];
		}
		text += piece.text;
		tokens += piece.tokens;
	}
	if (text) chunks.push({ text, tokens, index: chunks.length });
	return chunks;
}
