/**
 * Chooses which documents (or parts of them) go into the context, most relevant first, and renders
 * them as one context block: a system message placed right before the new prompt. Placing it there,
 * not in the leading system prompt, keeps the system + history prefix identical between turns so
 * Ollama can reuse its KV cache, and puts the material next to the question it serves.
 */
import { chunkText } from './chunker';
import { countMessageTokens, countTextTokens, type ChatMessage, type Counting } from './counter';
import { bm25Scores } from './relevance';

export interface ContextDocument {
	id?: string;
	text: string;
	/** Retrieval score (higher is more relevant); used as given when every document has one. */
	score?: number;
}

export const DOCUMENTS_HEADER = 'Context documents (most relevant first):';
/** The blank line before an entry and the line break after its label. */
const ENTRY_JOIN_TOKENS = 2;

interface Entry {
	document: number;
	label: string;
	text: string;
	tokens: number;
	relevance: number;
	/** Position within its document (0 for a whole document). */
	part: number;
}

export interface DocumentsFit {
	message?: ChatMessage;
	tokens: number;
	droppedDocuments: number;
	droppedChunks: number;
	droppedTokens: number;
}

export interface DocumentsFitInput {
	documents: ContextDocument[];
	prompt: string;
	budget: number;
	encoding: Counting;
	chunkTokens?: number;
}

/** Framing of the context block: message overhead plus the header line. */
export function blockOverheadTokens(encoding: Counting): number {
	return countMessageTokens({ role: 'system', content: DOCUMENTS_HEADER }, encoding);
}

function labelOf(document: ContextDocument, index: number): string {
	return document.id ?? String(index + 1);
}

function entryTokens(label: string, textTokens: number, encoding: Counting): number {
	return countTextTokens(`[${label}]`, encoding) + textTokens + ENTRY_JOIN_TOKENS;
}

/** Retrieval scores when every document has one, otherwise BM25 against the prompt. */
function relevance(prompt: string, documents: ContextDocument[]): number[] {
	if (documents.every((d) => typeof d.score === 'number' && Number.isFinite(d.score))) {
		return documents.map((d) => d.score as number);
	}
	return bm25Scores(
		prompt,
		documents.map((d) => d.text),
	);
}

/** Most relevant first; ties keep the caller's order. */
function byRelevance(a: Entry, b: Entry): number {
	return b.relevance - a.relevance || a.document - b.document || a.part - b.part;
}

function wholeEntries(documents: ContextDocument[], scores: number[], encoding: Counting): Entry[] {
	return documents.map((d, i) => {
		const label = labelOf(d, i);
		return { document: i, label, text: d.text, tokens: entryTokens(label, countTextTokens(d.text, encoding), encoding), relevance: scores[i], part: 0 };
	});
}

/** Takes entries in relevance order; one too large is skipped so smaller, less relevant ones can still fit. */
function pick(entries: Entry[], budget: number): { kept: Entry[]; tokens: number } {
	const kept: Entry[] = [];
	let tokens = 0;
	for (const entry of [...entries].sort(byRelevance)) {
		if (tokens + entry.tokens > budget) continue;
		kept.push(entry);
		tokens += entry.tokens;
	}
	return { kept, tokens };
}

function render(kept: Entry[]): ChatMessage {
	return { role: 'system', content: [DOCUMENTS_HEADER, ...kept.map((e) => `[${e.label}]\n${e.text}`)].join('\n\n') };
}

/** Whole documents in relevance order; the least relevant are dropped first. */
export function fitDocumentsWhole(input: DocumentsFitInput): DocumentsFit {
	const { documents, prompt, budget, encoding } = input;
	const entries = wholeEntries(documents, relevance(prompt, documents), encoding);
	const { kept, tokens } = pick(entries, budget - blockOverheadTokens(encoding));
	const droppedTokens = entries.reduce((sum, e) => sum + e.tokens, 0) - tokens;
	if (kept.length === 0) return { tokens: 0, droppedDocuments: documents.length, droppedChunks: 0, droppedTokens };
	return {
		message: render(kept),
		tokens: blockOverheadTokens(encoding) + tokens,
		droppedDocuments: documents.length - kept.length,
		droppedChunks: 0,
		droppedTokens,
	};
}

/** Tokens of the block with every document whole. */
export function documentsDemand(documents: ContextDocument[], encoding: Counting): number {
	if (documents.length === 0) return 0;
	let total = blockOverheadTokens(encoding);
	documents.forEach((d, i) => (total += entryTokens(labelOf(d, i), countTextTokens(d.text, encoding), encoding)));
	return total;
}

/**
 * When the documents do not all fit, long ones are cut into chunks of about `chunkTokens` and the
 * most relevant chunks across all documents are kept. A chunk's relevance is its BM25 score against
 * the prompt, weighted by its document's retrieval score when every document has one. Kept chunks
 * are shown grouped by document (best document first) in reading order.
 */
export function fitDocumentsChunked(input: DocumentsFitInput): DocumentsFit {
	const { documents, prompt, budget, encoding } = input;
	const chunkTokens = input.chunkTokens ?? 256;
	if (documentsDemand(documents, encoding) <= budget) return fitDocumentsWhole(input);

	const chunksPerDocument = documents.map((d) => chunkText(d.text, chunkTokens, encoding));
	const flat = chunksPerDocument.flatMap((chunks, document) => chunks.map((chunk) => ({ document, chunk })));
	const lexical = bm25Scores(
		prompt,
		flat.map((f) => f.chunk.text),
	);
	const weights = documentWeights(documents);
	const entries: Entry[] = flat.map(({ document, chunk }, i) => {
		const count = chunksPerDocument[document].length;
		const base = labelOf(documents[document], document);
		const label = count > 1 ? `${base} part ${chunk.index + 1}/${count}` : base;
		return { document, label, text: chunk.text, tokens: entryTokens(label, chunk.tokens, encoding), relevance: weights[document] * lexical[i], part: chunk.index };
	});
	// With no lexical signal at all, fall back to the documents' own order of relevance.
	if (lexical.every((score) => score === 0)) entries.forEach((e) => (e.relevance = weights[e.document]));

	const { kept, tokens } = pick(entries, budget - blockOverheadTokens(encoding));
	const keptPerDocument = new Map<number, Entry[]>();
	for (const entry of kept) keptPerDocument.set(entry.document, [...(keptPerDocument.get(entry.document) ?? []), entry]);
	const ordered = [...keptPerDocument.values()].flatMap((group) => group.sort((a, b) => a.part - b.part));
	const droppedTokens = entries.reduce((sum, e) => sum + e.tokens, 0) - tokens;
	if (kept.length === 0) return { tokens: 0, droppedDocuments: documents.length, droppedChunks: 0, droppedTokens };
	// Chunks count as dropped only from documents partly kept; the rest count as dropped documents.
	const chunksOfKeptDocuments = [...keptPerDocument.keys()].reduce((sum, d) => sum + chunksPerDocument[d].length, 0);
	return {
		message: render(ordered),
		tokens: blockOverheadTokens(encoding) + tokens,
		droppedDocuments: documents.length - keptPerDocument.size,
		droppedChunks: chunksOfKeptDocuments - kept.length,
		droppedTokens,
	};
}

/** Retrieval scores scaled to 0.5..1 (so lexical relevance still counts); all 1 without scores. */
function documentWeights(documents: ContextDocument[]): number[] {
	const scores = documents.map((d) => d.score);
	if (!scores.every((s) => typeof s === 'number' && Number.isFinite(s))) return documents.map(() => 1);
	const values = scores as number[];
	const min = Math.min(...values);
	const max = Math.max(...values);
	return values.map((s) => (max > min ? 0.5 + (0.5 * (s - min)) / (max - min) : 1));
}
