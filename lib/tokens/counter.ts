/**
 * Token counting with tiktoken. Counts are estimates of what the model's own tokenizer will report:
 * Ollama models use their own vocabularies, so callers correct them with the calibrator.
 */
import { LRUCache } from 'lru-cache';
import { DEFAULT_ENCODING, getEncoder, type TokenEncoding } from './encoders';

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
	role: ChatRole;
	content: string;
	tool_calls?: unknown[];
}

export interface CountChatOptions {
	encoding?: TokenEncoding;
	/** Tool definitions sent with the request; the template renders them as JSON. */
	tools?: unknown[];
}

/**
 * Chat-template overhead, as in OpenAI's published rule for cl100k models: every message costs a
 * few framing tokens (start marker, role, separator) and the reply is primed with an assistant
 * header. Ollama templates differ per model; the calibrator absorbs the difference.
 */
export const TOKENS_PER_MESSAGE = 3;
export const REPLY_PRIMER_TOKENS = 3;

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
export function countTextTokens(text: string, encoding: TokenEncoding = DEFAULT_ENCODING): number {
	if (text.length === 0) return 0;
	const cache = cacheFor(encoding);
	const cached = cache.get(text);
	if (cached !== undefined) return cached;
	const count = getEncoder(encoding).encode_ordinary(text).length;
	cache.set(text, count);
	return count;
}

function countRoleTokens(role: string, encoding: TokenEncoding): number {
	let byRole = roleTokens.get(encoding);
	if (!byRole) {
		byRole = new Map();
		roleTokens.set(encoding, byRole);
	}
	let count = byRole.get(role);
	if (count === undefined) {
		count = countTextTokens(role, encoding);
		byRole.set(role, count);
	}
	return count;
}

/** Tokens one message adds to a chat request, framing included. */
export function countMessageTokens(message: ChatMessage, encoding: TokenEncoding = DEFAULT_ENCODING): number {
	let count = TOKENS_PER_MESSAGE + countRoleTokens(message.role, encoding) + countTextTokens(message.content, encoding);
	if (message.tool_calls && message.tool_calls.length > 0) {
		count += countTextTokens(JSON.stringify(message.tool_calls), encoding);
	}
	return count;
}

/** Tokens that tool definitions add to a request (rendered as JSON by the chat template). */
export function countToolsTokens(tools: unknown[] | undefined, encoding: TokenEncoding = DEFAULT_ENCODING): number {
	if (!tools || tools.length === 0) return 0;
	return countTextTokens(JSON.stringify(tools), encoding);
}

/** Estimated prompt tokens of a whole chat request: messages, their framing, tools and reply primer. */
export function countChatTokens(messages: ChatMessage[], opts: CountChatOptions = {}): number {
	const encoding = opts.encoding ?? DEFAULT_ENCODING;
	let total = REPLY_PRIMER_TOKENS + countToolsTokens(opts.tools, encoding);
	for (const message of messages) total += countMessageTokens(message, encoding);
	return total;
}

/** Empties the count caches (tests and benchmarks measure cold paths with it). */
export function clearTokenCountCache(): void {
	for (const cache of caches.values()) cache.clear();
}
