import type { Message } from '../ollama';

/** Kept of a tool result however much must go: enough for the model to see what it was. */
const MIN_KEEP_CHARS = 200;

export const cutMarker = (cutChars: number) => `\n[… ${cutChars} characters of this tool result were cut to fit the context window]`;

export interface TrimResult {
	messages: Message[];
	/** Characters cut per tool name, for the item's warnings. */
	cut: Array<{ tool: string; chars: number }>;
}

/**
 * Cuts the longest tool results (their tail, marked) until about `excessTokens` tokens are freed.
 * `countTokens` counts one message's content as the budget does. Only `tool` messages are cut:
 * the assistant's tool calls and everything else stay as they are.
 */
export function trimToolResults(messages: Message[], excessTokens: number, countTokens: (text: string) => number): TrimResult {
	const result = messages.map((m) => ({ ...m }));
	const cut: TrimResult['cut'] = [];
	const longestFirst = result
		.map((m, i) => ({ m, i }))
		.filter(({ m }) => m.role === 'tool' && m.content.length > MIN_KEEP_CHARS)
		.sort((a, b) => b.m.content.length - a.m.content.length);
	let excess = excessTokens;
	for (const { m } of longestFirst) {
		if (excess <= 0) break;
		const before = countTokens(m.content);
		if (before <= 0) continue;
		const charsPerToken = m.content.length / before;
		// 10 % over, plus the marker's own tokens: one pass usually frees enough.
		const cutChars = Math.min(m.content.length - MIN_KEEP_CHARS, Math.ceil((excess + 24) * charsPerToken * 1.1));
		if (cutChars <= 0) continue;
		m.content = m.content.slice(0, m.content.length - cutChars) + cutMarker(cutChars);
		excess -= before - countTokens(m.content);
		cut.push({ tool: m.tool_name ?? 'tool', chars: cutChars });
	}
	return { messages: result, cut };
}
