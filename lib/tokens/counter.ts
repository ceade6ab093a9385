/**
 * Token counting with tiktoken. With a model family (see families.ts) the count uses that model's
 * own vocabulary (encoders.ts) and chat template, which makes it the model's count for Llama 3,
 * Qwen, Gemma 3, gpt-oss and the DeepSeek-R1 distills in every language. Other models get the
 * caller's encoding (cl100k_base by default) and are corrected with the calibrator.
 */
import { LRUCache } from 'lru-cache';
import { DEFAULT_ENCODING, encodedLength, type TokenEncoding, type Vocabulary } from './encoders';
import { familyProfile, tokenFamily, type FamilyProfile, type TokenFamily } from './families';

export { REPLY_PRIMER_TOKENS, TOKENS_PER_MESSAGE } from './families';

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
	role: ChatRole;
	content: string;
	tool_calls?: unknown[];
}

/** How to count: a tiktoken encoding (for the generic family), and the model family whose vocabulary and template apply. */
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

/** The vocabulary text is counted in: the family's own, else the caller's encoding. */
function resolve(counting: Counting | undefined): { encoding: Vocabulary; profile: FamilyProfile } {
	if (counting === undefined) return { encoding: DEFAULT_ENCODING, profile: familyProfile('generic') };
	if (typeof counting === 'string') return { encoding: counting, profile: familyProfile('generic') };
	const profile = familyProfile(counting.family);
	return { encoding: profile.vocabulary ?? counting.encoding, profile };
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

const caches = new Map<Vocabulary, LRUCache<string, number>>();
/** Per family, per role; nested maps so a lookup builds no key string. */
const roleTokens = new Map<string, Map<string, number>>();

function cacheFor(encoding: Vocabulary): LRUCache<string, number> {
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
	return encodedCount(text, resolve(counting).encoding);
}

function encodedCount(text: string, encoding: Vocabulary): number {
	const cache = cacheFor(encoding);
	const cached = cache.get(text);
	if (cached !== undefined) return cached;
	const count = encodedLength(text, encoding);
	cache.set(text, count);
	return count;
}

/** A message's framing: the family's special tokens and its role text, once per family and role. */
function framingTokens(role: string, encoding: Vocabulary, profile: FamilyProfile): number {
	const key = `${profile.family}/${encoding}`;
	let byRole = roleTokens.get(key);
	if (!byRole) {
		byRole = new Map();
		roleTokens.set(key, byRole);
	}
	let count = byRole.get(role);
	if (count === undefined) {
		count = profile.perMessage + profile.roleExtra(role);
		for (const text of profile.roleText(role)) count += encodedCount(text, encoding);
		byRole.set(role, count);
	}
	return count;
}

/** Tokens one message adds to a chat request, framing included. */
export function countMessageTokens(message: ChatMessage, counting: Counting = DEFAULT_ENCODING): number {
	const { encoding, profile } = resolve(counting);
	const content = profile.trimContent ? message.content.trim() : message.content;
	let count = framingTokens(message.role, encoding, profile) + countTextTokens(content, counting);
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
	const { encoding, profile } = resolve(counting);
	let count = profile.begin + profile.primer;
	for (const text of profile.beginText) count += encodedCount(text, encoding);
	return count;
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
}
