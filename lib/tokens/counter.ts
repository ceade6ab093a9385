/**
 * Token counting with tiktoken. Counts are estimates of what the model's own tokenizer will report:
 * Ollama models use their own vocabularies, so callers correct them with the calibrator. With a
 * model family (see families.ts) the estimate follows that family's chat template and its number
 * rule, which makes it close to exact for Llama 3 and Qwen.
 */
import { LRUCache } from 'lru-cache';
import { DEFAULT_ENCODING, getEncoder, type TokenEncoding } from './encoders';
import { familyProfile, tokenFamily, type FamilyProfile, type TokenFamily } from './families';

export { REPLY_PRIMER_TOKENS, TOKENS_PER_MESSAGE } from './families';

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
	role: ChatRole;
	content: string;
	tool_calls?: unknown[];
}

/** How to count: a tiktoken encoding, and the model family whose template and number rule apply. */
export interface TokenCounting {
	encoding: TokenEncoding;
	family: TokenFamily;
}

/** An encoding alone counts as the generic family (the behaviour before families existed). */
export type Counting = TokenEncoding | TokenCounting;

export interface CountChatOptions {
	encoding?: TokenEncoding;
	/** Tool definitions sent with the request; the template renders them as JSON. */
	tools?: unknown[];
	/** The model the request is for: picks its family's template and number rule (families.ts). */
	model?: string;
}

/** The counting for a model (its family) with an encoding. */
export function countingFor(model: string | undefined, encoding: TokenEncoding = DEFAULT_ENCODING): TokenCounting {
	return { encoding, family: tokenFamily(model) };
}

/** A string that tells countings apart (cache keys). */
export function countingKey(counting: Counting): string {
	return typeof counting === 'string' ? counting : `${counting.encoding}/${counting.family}`;
}

function resolve(counting: Counting | undefined): { encoding: TokenEncoding; profile: FamilyProfile } {
	if (counting === undefined) return { encoding: DEFAULT_ENCODING, profile: familyProfile('generic') };
	if (typeof counting === 'string') return { encoding: counting, profile: familyProfile('generic') };
	return { encoding: counting.encoding, profile: familyProfile(counting.family) };
}

/**
 * Counts are cached by string: a lookup costs well under a microsecond, while even a short string
 * costs ~10 µs to encode (WASM call overhead) and 1 KB ~150 µs. Bounded by entries and by the
 * characters held as keys.
 */
function newCache(): LRUCache<string, number> {
	return new LRUCache<string, number>({
		max: 20_000,
		maxSize: 32 * 1024 * 1024,
		sizeCalculation: (_count, key) => Math.max(1, key.length),
	});
}

const caches = new Map<TokenEncoding, LRUCache<string, number>>();
/** Per encoding, per role; nested maps so a lookup builds no key string. */
const roleTokens = new Map<TokenEncoding, Map<string, number>>();

function cacheFor(encoding: TokenEncoding): LRUCache<string, number> {
	let cache = caches.get(encoding);
	if (!cache) {
		cache = newCache();
		caches.set(encoding, cache);
	}
	return cache;
}

/**
 * Tokens in plain text. Special-token markers such as `<|endoftext|>` inside user text count as
 * ordinary text (they are data, not control tokens) and never throw.
 */
export function countTextTokens(text: string, counting: Counting = DEFAULT_ENCODING): number {
	if (text.length === 0) return 0;
	const { encoding, profile } = resolve(counting);
	return encodedCount(text, encoding) + (profile.singleDigits ? singleDigitExtra(text) : 0);
}

function encodedCount(text: string, encoding: TokenEncoding): number {
	const cache = cacheFor(encoding);
	const cached = cache.get(text);
	if (cached !== undefined) return cached;
	const count = getEncoder(encoding).encode_ordinary(text).length;
	cache.set(text, count);
	return count;
}

const DIGIT_RUN = /\p{N}+/gu;
const digitCache = new LRUCache<string, number>({ max: 20_000, maxSize: 32 * 1024 * 1024, sizeCalculation: (_n, key) => Math.max(1, key.length) });

/**
 * Extra tokens when numbers are split into single digits: cl100k encodes a run of n digits as
 * ⌈n/3⌉ tokens, Qwen as n.
 */
export function singleDigitExtra(text: string): number {
	const cached = digitCache.get(text);
	if (cached !== undefined) return cached;
	let extra = 0;
	for (const match of text.matchAll(DIGIT_RUN)) {
		const digits = match[0].length; // \p{N} in the BMP: one UTF-16 unit each, as in the tokenizer's regex
		extra += digits - Math.ceil(digits / 3);
	}
	digitCache.set(text, extra);
	return extra;
}

function countRoleTokens(role: string, encoding: TokenEncoding): number {
	let byRole = roleTokens.get(encoding);
	if (!byRole) {
		byRole = new Map();
		roleTokens.set(encoding, byRole);
	}
	let count = byRole.get(role);
	if (count === undefined) {
		count = encodedCount(role, encoding);
		byRole.set(role, count);
	}
	return count;
}

/** Tokens one message adds to a chat request, framing included. */
export function countMessageTokens(message: ChatMessage, counting: Counting = DEFAULT_ENCODING): number {
	const { encoding, profile } = resolve(counting);
	const content = profile.trimContent ? message.content.trim() : message.content;
	let count = profile.perMessage + countRoleTokens(message.role, encoding) + countTextTokens(content, counting);
	if (message.tool_calls && message.tool_calls.length > 0) {
		if (profile.family === 'generic') count += countTextTokens(JSON.stringify(message.tool_calls), counting);
		else for (const call of message.tool_calls) count += countTextTokens(renderToolCall(profile, call), counting) + 1;
	}
	return count;
}

function renderToolCall(profile: FamilyProfile, call: unknown): string {
	const fn = (call as { function?: { name?: unknown; arguments?: unknown } } | undefined)?.function;
	return profile.renderToolCall(typeof fn?.name === 'string' ? fn.name : '', fn?.arguments);
}

/** Tokens that tool definitions add to a request (rendered as JSON by the chat template). */
export function countToolsTokens(tools: unknown[] | undefined, counting: Counting = DEFAULT_ENCODING): number {
	if (!tools || tools.length === 0) return 0;
	const { profile } = resolve(counting);
	if (profile.family === 'generic') return countTextTokens(JSON.stringify(tools), counting);
	// The family's instructions, one JSON line per tool, and (Qwen) a system turn's framing.
	let count = countTextTokens(profile.toolsPreamble, counting) + profile.perMessage;
	for (const tool of tools) count += countTextTokens(JSON.stringify(tool), counting) + 1;
	return count;
}

/** Tokens a request costs besides its messages and tools: BOS and the header that opens the reply. */
export function requestOverheadTokens(counting: Counting = DEFAULT_ENCODING): number {
	const { profile } = resolve(counting);
	return profile.begin + profile.primer;
}

/** Estimated prompt tokens of a whole chat request: messages, their framing, tools and reply primer. */
export function countChatTokens(messages: ChatMessage[], opts: CountChatOptions = {}): number {
	const counting = countingFor(opts.model, opts.encoding ?? DEFAULT_ENCODING);
	let total = requestOverheadTokens(counting) + countToolsTokens(opts.tools, counting);
	for (const message of messages) total += countMessageTokens(message, counting);
	return total;
}

/** Empties the count caches (tests and benchmarks measure cold paths with it). */
export function clearTokenCountCache(): void {
	for (const cache of caches.values()) cache.clear();
	digitCache.clear();
}
