import { createHash, type Hash } from 'node:crypto';

import type { ChatRequest, EmbedRequest, Message } from '../ollama';
import { canonicalJson, sha256, shortHash } from './hash';

/** Runner options that change speed or memory, never the words of the answer. */
const NOT_IN_KEY = new Set(['num_thread', 'num_gpu', 'main_gpu', 'use_mmap', 'use_mlock', 'low_vram', 'num_batch', 'numa', 'vocab_only', 'f16_kv']);

function answerOptions(options: ChatRequest['options']): Record<string, unknown> {
	const kept: Record<string, unknown> = {};
	for (const [k, v] of Object.entries(options ?? {})) if (!NOT_IN_KEY.has(k) && v !== undefined) kept[k] = v;
	return kept;
}

/**
 * The settings that change the answer, as canonical JSON: `[tools, format, think, options]`. The
 * usual request (no tools, format or think; options of plain values) is written directly, with no
 * intermediate objects: this runs on every cache lookup, and the generic form was a third of a
 * hit's allocations. Both forms give the same text.
 */
export function answerSettingsJson(request: ChatRequest): string {
	const options = (request.options ?? {}) as Record<string, unknown>;
	if (request.tools == null && request.format == null && request.think == null) {
		const keys = Object.keys(options).sort();
		let json = '[null,null,null,{';
		let first = true;
		for (const k of keys) {
			const v = options[k];
			if (v === undefined || NOT_IN_KEY.has(k)) continue;
			if (v !== null && typeof v === 'object') return canonicalSettings(request);
			json += `${first ? '' : ','}${JSON.stringify(k)}:${JSON.stringify(v)}`;
			first = false;
		}
		return `${json}}]`;
	}
	return canonicalSettings(request);
}

const canonicalSettings = (request: ChatRequest) => canonicalJson([request.tools ?? null, request.format ?? null, request.think ?? null, answerOptions(request.options)]);

export { isDeterministic } from '../pipeline/cache-policy';

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

/** Length-prefixed, so no two different part lists feed the same bytes. */
const part = (text: string): string => `${text.length}:${text}`;

/**
 * Everything of a chat request that changes the answer, fed to SHA-256 part by part (a 4 KB
 * prompt is hashed as it is, never re-serialised or copied into a longer string; the short parts
 * around it go in together, one update each side); with `withPrompt` false, the last user message
 * is left out (the context a semantic match must share).
 */
function hashChat(request: ChatRequest, digest: string, withPrompt: boolean): Hash {
	const hash = createHash('sha256');
	let head = part('chat') + part(request.model) + part(digest) + part(answerSettingsJson(request));
	const messages = request.messages ?? [];
	const last = withPrompt ? -1 : lastUserIndex(messages);
	for (let i = 0; i < messages.length; i++) {
		const m = messages[i];
		if (i === last) {
			head += part('<prompt>');
			continue;
		}
		const content = m.content ?? '';
		hash.update(head + part(m.role) + `${content.length}:`);
		hash.update(content);
		const extra = m as Message & { tool_name?: string };
		head = part(m.images || m.tool_calls || extra.tool_name ? canonicalJson([m.images ?? null, m.tool_calls ?? null, extra.tool_name ?? null]) : '');
	}
	hash.update(head);
	return hash;
}

/** Hash of the whole chat request (model digest included). */
export function chatHash(request: ChatRequest, digest: string): string {
	return hashChat(request, digest, true).digest('hex');
}

/** Hash of the request without its last user message: a semantic match must share it. */
export function chatContextHash(request: ChatRequest, digest: string): string {
	return hashChat(request, digest, false).digest('hex').slice(0, 24);
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

/** Remembers a few hundred segment hashes: the same namespaces and models come back on every call. */
function memo(hash: (text: string) => string): (text: string) => string {
	const seen = new Map<string, string>();
	return (text) => {
		let id = seen.get(text);
		if (id === undefined) {
			if (seen.size >= 512) seen.clear();
			seen.set(text, (id = hash(text)));
		}
		return id;
	};
}

export const namespaceId = memo((namespace) => shortHash(`ns:${namespace}`));
export const modelId = memo((model) => shortHash(`model:${model}`, 8));

/** The key pattern (glob) of a namespace, optionally narrowed to a model. */
export function keyPattern(scope: string, namespace?: string, model?: string): string {
	return `c:${scope}:${namespace === undefined ? '*' : namespaceId(namespace)}:${model === undefined ? '*' : modelId(model)}:*`;
}
