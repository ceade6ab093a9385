/**
 * Keeps the most recent conversation turns that fit a token budget. A turn is one message, except
 * that an assistant message and the tool results after it form one unit: a tool result without
 * its call (or a call without its result) confuses models, so they are kept or dropped together.
 * The kept history is always a contiguous newest part of the conversation.
 */
import { countMessageTokens, type ChatMessage, type Counting } from './counter';

export type Summarizer = (turns: ChatMessage[], targetTokens: number) => Promise<string>;

export const SUMMARY_PREFIX = 'Summary of earlier conversation: ';
/** Share of the history budget set aside for a summary, and its ceiling in tokens. */
const SUMMARY_SHARE = 0.25;
const MAX_SUMMARY_TOKENS = 1024;

interface Unit {
	start: number;
	tokens: number;
}

export interface HistoryFit {
	/** Summary message (first) and kept turns, oldest first. */
	messages: ChatMessage[];
	tokens: number;
	/** Tokens of the whole history before fitting. */
	totalTokens: number;
	droppedTurns: number;
	droppedTokens: number;
	summarized?: { turns: number; tokensBefore: number; tokensAfter: number };
}

export interface HistoryFitInput {
	history: ChatMessage[];
	budget: number;
	encoding: Counting;
	summarize?: Summarizer;
}

/** Splits the history into units, oldest first; tool results join the unit before them. */
function toUnits(history: ChatMessage[], encoding: Counting): Unit[] {
	const units: Unit[] = [];
	for (let i = 0; i < history.length; i++) {
		const tokens = countMessageTokens(history[i], encoding);
		const last = units[units.length - 1];
		if (history[i].role === 'tool' && last) last.tokens += tokens;
		else units.push({ start: i, tokens });
	}
	return units;
}

/** Walks from the newest unit back and stops at the first that does not fit. */
function keepNewest(units: Unit[], budget: number): { firstKept: number; tokens: number } {
	let tokens = 0;
	let firstKept = units.length;
	while (firstKept > 0 && tokens + units[firstKept - 1].tokens <= budget) {
		firstKept--;
		tokens += units[firstKept].tokens;
	}
	return { firstKept, tokens };
}

function sumTokens(units: Unit[], from: number, to: number): number {
	let total = 0;
	for (let i = from; i < to; i++) total += units[i].tokens;
	return total;
}

function dropOldest(history: ChatMessage[], units: Unit[], budget: number): HistoryFit {
	const { firstKept, tokens } = keepNewest(units, Math.max(0, budget));
	const startMessage = firstKept < units.length ? units[firstKept].start : history.length;
	return {
		messages: history.slice(startMessage),
		tokens,
		totalTokens: sumTokens(units, 0, units.length),
		droppedTurns: startMessage,
		droppedTokens: sumTokens(units, 0, firstKept),
	};
}

export function fitHistoryDropOldest(input: HistoryFitInput): HistoryFit {
	return dropOldest(input.history, toUnits(input.history, input.encoding), input.budget);
}

/**
 * Like dropOldest, but the dropped older turns are replaced by one summary message written by the
 * caller's (smaller) model. Room for the summary is set aside first; if the summary comes back
 * empty or too long for the room left, it is discarded and the plain dropOldest result is used.
 */
export async function fitHistorySummarize(input: HistoryFitInput): Promise<HistoryFit> {
	const { history, budget, encoding, summarize } = input;
	if (!summarize) throw new TypeError("fitContext: strategy 'summarize' needs a summarize callback");
	const units = toUnits(history, encoding);
	const plain = dropOldest(history, units, budget);
	if (plain.droppedTurns === 0) return plain;

	const summaryFraming = countMessageTokens({ role: 'system', content: SUMMARY_PREFIX }, encoding);
	const targetTokens = Math.min(MAX_SUMMARY_TOKENS, Math.floor(budget * SUMMARY_SHARE));
	if (targetTokens <= 0) return plain;
	const kept = dropOldest(history, units, budget - targetTokens - summaryFraming);
	const droppedMessages = history.slice(0, kept.droppedTurns);
	const summary = (await summarize(droppedMessages, targetTokens)).trim();
	const summaryMessage: ChatMessage = { role: 'system', content: SUMMARY_PREFIX + summary };
	const summaryTokens = countMessageTokens(summaryMessage, encoding);
	if (!summary || kept.tokens + summaryTokens > budget) return plain;
	return {
		messages: [summaryMessage, ...kept.messages],
		tokens: kept.tokens + summaryTokens,
		totalTokens: kept.totalTokens,
		droppedTurns: kept.droppedTurns,
		droppedTokens: kept.droppedTokens,
		summarized: { turns: kept.droppedTurns, tokensBefore: kept.droppedTokens, tokensAfter: summaryTokens },
	};
}
