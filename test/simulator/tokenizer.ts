/**
 * The simulator's own tokeniser.
 *
 * Deliberately NOT tiktoken / cl100k and not a real Llama BPE: it is a simple, documented rule set
 * that is systematically different from cl100k, so a client-side token estimate has to be calibrated
 * against the `prompt_eval_count` the (simulated) server reports, exactly as with a real Ollama.
 *
 * Rules (a "piece" is one token; pieces concatenate back to the exact input):
 *  - a word is a run of letters/marks (`\p{L}\p{M}`), optionally preceded by ONE space that belongs
 *    to it (like BPE). Words of up to 6 letters are one token; longer words are split into 4-letter
 *    pieces (the leading space rides on the first piece).
 *  - CJK / kana / hangul characters are one token each.
 *  - a digit run (optionally with one leading space) is split into groups of 3 digits.
 *  - any other whitespace run (newlines, tabs, several spaces) is one token.
 *  - every other character (punctuation, symbols, emoji) is one token per code point.
 */

const PIECE_RE = /( ?[\p{L}\p{M}]+| ?\p{N}+|\s+|[^\s\p{L}\p{M}\p{N}])/gsu;
const CJK_RE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

const SHORT_WORD = 6;
const WORD_PIECE = 4;
const DIGIT_GROUP = 3;

function splitWord(raw: string, out: string[]): void {
	const lead = raw.startsWith(' ') ? ' ' : '';
	const word = lead ? raw.slice(1) : raw;
	const chars = Array.from(word);
	// separate CJK characters (one token each) from runs of other letters
	const runs: string[] = [];
	let cur = '';
	for (const ch of chars) {
		if (CJK_RE.test(ch)) {
			if (cur) runs.push(cur);
			cur = '';
			runs.push(ch);
		} else cur += ch;
	}
	if (cur) runs.push(cur);
	let first = true;
	for (const run of runs) {
		const prefix = first ? lead : '';
		first = false;
		const rc = Array.from(run);
		if (rc.length === 1 && CJK_RE.test(run)) {
			out.push(prefix + run);
			continue;
		}
		if (rc.length <= SHORT_WORD) {
			out.push(prefix + run);
			continue;
		}
		for (let i = 0; i < rc.length; i += WORD_PIECE) {
			out.push((i === 0 ? prefix : '') + rc.slice(i, i + WORD_PIECE).join(''));
		}
	}
}

/** Split text into simulator tokens; `simTokenize(t).join('') === t` always holds. */
export function simTokenize(text: string): string[] {
	const out: string[] = [];
	if (!text) return out;
	for (const m of text.matchAll(PIECE_RE)) {
		const p = m[0];
		const body = p.startsWith(' ') ? p.slice(1) : p;
		if (/^[\p{L}\p{M}]+$/u.test(body) && body.length > 0) {
			splitWord(p, out);
		} else if (/^\p{N}+$/u.test(body) && body.length > 0) {
			const lead = p.startsWith(' ') ? ' ' : '';
			const digits = Array.from(body);
			for (let i = 0; i < digits.length; i += DIGIT_GROUP) {
				out.push((i === 0 ? lead : '') + digits.slice(i, i + DIGIT_GROUP).join(''));
			}
		} else {
			out.push(p);
		}
	}
	return out;
}

/** Number of simulator tokens in a plain text. */
export function countSimTokens(text: string): number {
	if (!text) return 0;
	return simTokenize(text).length;
}

/** Stable pseudo token id (0..128255) for a piece; used for generate's `context` array. */
export function simTokenId(piece: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < piece.length; i++) {
		h ^= piece.charCodeAt(i);
		h = Math.imul(h, 0x01000193);
	}
	return 256 + ((h >>> 0) % 128000);
}

export function simTokenIds(text: string): number[] {
	return simTokenize(text).map(simTokenId);
}

// ---- chat template overhead (a Llama-3-like template) ----

/** `<|begin_of_text|>` */
export const BOS_TOKENS = 1;
/** `<|start_header_id|>` + role + `<|end_header_id|>` + "\n\n" */
export const MESSAGE_HEADER_TOKENS = 4;
/** `<|eot_id|>` */
export const END_OF_TURN_TOKENS = 1;
/** header that opens the assistant's reply at the end of the prompt */
export const ASSISTANT_HEADER_TOKENS = 4;
/** fixed instruction text a template adds when tools are offered */
export const TOOLS_PREAMBLE_TOKENS = 24;
/** per-tool separator */
export const PER_TOOL_TOKENS = 2;
/** embedding models add a CLS/BOS and a SEP/EOS token to each input */
export const EMBED_SPECIAL_TOKENS = 2;

export interface TokenizableToolCall {
	function?: { name?: string; arguments?: unknown };
}
export interface TokenizableMessage {
	role?: string;
	content?: string | null;
	tool_calls?: TokenizableToolCall[] | null;
	tool_name?: string;
	images?: unknown;
	thinking?: string;
}

/** Tokens a single message costs inside the chat template (header + content + end of turn). */
export function messageTokens(m: TokenizableMessage): number {
	let n = MESSAGE_HEADER_TOKENS + END_OF_TURN_TOKENS;
	n += countSimTokens(typeof m.content === 'string' ? m.content : '');
	if (Array.isArray(m.tool_calls) && m.tool_calls.length > 0) {
		for (const tc of m.tool_calls) {
			n += countSimTokens(JSON.stringify({ name: tc?.function?.name ?? '', arguments: tc?.function?.arguments ?? {} }));
		}
	}
	return n;
}

/** Tokens the serialized tool list adds to the prompt. */
export function toolsTokens(tools?: unknown[] | null): number {
	if (!Array.isArray(tools) || tools.length === 0) return 0;
	let n = TOOLS_PREAMBLE_TOKENS;
	for (const t of tools) n += PER_TOOL_TOKENS + countSimTokens(JSON.stringify(t));
	return n;
}

/**
 * Prompt tokens of a /api/chat request as the simulated server counts them (what `prompt_eval_count`
 * reports when nothing is truncated): BOS + per message (header + content + end of turn + serialized
 * tool calls) + the serialized tools + the assistant header.
 */
export function chatPromptTokens(messages: TokenizableMessage[], tools?: unknown[] | null): number {
	let n = BOS_TOKENS + ASSISTANT_HEADER_TOKENS + toolsTokens(tools);
	for (const m of messages ?? []) n += messageTokens(m);
	return n;
}

/**
 * Prompt tokens of a /api/generate request. Without `raw` the prompt goes through the same chat
 * template as a system message (if any) + one user message; with `raw` it is the bare text.
 */
export function generatePromptTokens(prompt: string, system?: string, raw?: boolean): number {
	if (raw) return countSimTokens(prompt);
	const msgs: TokenizableMessage[] = [];
	if (system) msgs.push({ role: 'system', content: system });
	msgs.push({ role: 'user', content: prompt });
	return chatPromptTokens(msgs);
}

/** Tokens one /api/embed input costs (text + the model's two special tokens). */
export function embedInputTokens(text: string): number {
	return countSimTokens(text) + EMBED_SPECIAL_TOKENS;
}
