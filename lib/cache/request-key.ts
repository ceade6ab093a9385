import type { ChatRequest, EmbedRequest, Message } from '../ollama';
import { canonicalJson, sha256, shortHash } from './hash';

/** Runner options that change speed or memory, never the words of the answer. */
const NOT_IN_KEY = new Set(['num_thread', 'num_gpu', 'main_gpu', 'use_mmap', 'use_mlock', 'low_vram', 'num_batch', 'numa', 'vocab_only', 'f16_kv']);

function answerOptions(options: ChatRequest['options']): Record<string, unknown> {
	const kept: Record<string, unknown> = {};
	for (const [k, v] of Object.entries(options ?? {})) if (!NOT_IN_KEY.has(k) && v !== undefined) kept[k] = v;
	return kept;
}

/** Greedy (temperature 0) or seeded sampling: the same request gives the same answer. */
export function isDeterministic(request: ChatRequest): boolean {
	const options = request.options ?? {};
	return options.temperature === 0 || (options.seed !== undefined && options.seed !== null);
}

/** Everything of a chat request that changes the answer, except the last user message. */
function chatContext(request: ChatRequest, digest: string): Record<string, unknown> {
	const messages = request.messages ?? [];
	const last = lastUserIndex(messages);
	return {
		kind: 'chat',
		model: request.model,
		digest,
		messages: messages.slice(0, last < 0 ? messages.length : last).map(messageParts),
		after: last < 0 ? [] : messages.slice(last + 1).map(messageParts),
		tools: request.tools ?? null,
		format: request.format ?? null,
		think: request.think ?? null,
		options: answerOptions(request.options),
	};
}

function messageParts(m: Message): Record<string, unknown> {
	return { role: m.role, content: m.content, images: m.images ?? null, tool_calls: m.tool_calls ?? null, tool_name: (m as { tool_name?: string }).tool_name ?? null };
}

function lastUserIndex(messages: Message[]): number {
	for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return i;
	return -1;
}

/** The text a semantic match compares: the last user message. */
export function promptOf(request: ChatRequest): string | undefined {
	const messages = request.messages ?? [];
	const last = lastUserIndex(messages);
	return last < 0 ? undefined : messages[last].content;
}

/** Hash of the whole chat request (model digest included). */
export function chatHash(request: ChatRequest, digest: string): string {
	const messages = request.messages ?? [];
	const last = lastUserIndex(messages);
	return sha256(canonicalJson({ ...chatContext(request, digest), prompt: last < 0 ? null : messageParts(messages[last]) }));
}

/** Hash of the request without its last user message: a semantic match must share it. */
export function chatContextHash(request: ChatRequest, digest: string): string {
	return shortHash(canonicalJson(chatContext(request, digest)), 24);
}

/** Hash of one embedding input (per model and digest, and the options that change the vector). */
export function embedInputHash(request: EmbedRequest, digest: string, input: string): string {
	return sha256(canonicalJson({ kind: 'embed', model: request.model, digest, truncate: request.truncate ?? null, dimensions: (request as { dimensions?: number }).dimensions ?? null, options: answerOptions(request.options), input }));
}

/**
 * Where an entry lives: `c:<scope>:<namespace>:<model>:<hash>`. Every segment is a hash, so a key
 * holds no prompt, no namespace text and no secret; the fixed layout lets invalidation match by
 * namespace or model.
 */
export function entryKey(parts: { scope: string; namespace: string; model: string; hash: string }): string {
	return `c:${parts.scope}:${namespaceId(parts.namespace)}:${modelId(parts.model)}:${parts.hash}`;
}

export const namespaceId = (namespace: string): string => shortHash(`ns:${namespace}`);
export const modelId = (model: string): string => shortHash(`model:${model}`, 8);

/** The key pattern (glob) of a namespace, optionally narrowed to a model. */
export function keyPattern(scope: string, namespace?: string, model?: string): string {
	return `c:${scope}:${namespace === undefined ? '*' : namespaceId(namespace)}:${model === undefined ? '*' : modelId(model)}:*`;
}
