import { createHash } from 'node:crypto';

import type { Call } from '../pipeline';

/**
 * A prompt as a chain of cumulative block hashes: `hashes[i]` stands for the prompt's first
 * `chars[i]` characters. Two prompts share a prefix exactly as far as their chains agree, so the
 * longest shared prefix with any earlier prompt is found by looking hashes up, deepest first.
 */
export interface PrefixChain {
	hashes: string[];
	chars: number[];
}

const MAX_BLOCKS = 512;

/** Blocks end at every message boundary and every `blockChars` inside a message. */
export function prefixChain(call: Call, blockChars: number): PrefixChain | undefined {
	if (call.kind !== 'chat') return undefined;
	const { messages, tools } = call.request;
	if (!messages?.length) return undefined;
	const hashes: string[] = [];
	const chars: number[] = [];
	// Tools are rendered into the prompt ahead of the messages by most chat templates.
	let previous = tools?.length ? digest('', JSON.stringify(tools)) : '';
	let total = 0;
	for (const message of messages) {
		const text = `${message.role}\u0000${message.content ?? ''}${message.tool_calls ? JSON.stringify(message.tool_calls) : ''}${message.images?.length ? `\u0000${message.images.length}` : ''}\u0001`;
		for (let at = 0; at < text.length; at += blockChars) {
			const block = text.slice(at, at + blockChars);
			previous = digest(previous, block);
			total += block.length;
			hashes.push(previous);
			chars.push(total);
			if (hashes.length >= MAX_BLOCKS) return { hashes, chars };
		}
	}
	return { hashes, chars };
}

function digest(previous: string, block: string): string {
	return createHash('sha1').update(previous).update(block).digest('base64url').slice(0, 16);
}

interface Entry {
	/** hash → prefix length in characters */
	lengths: Map<string, number>;
	deepest: string;
}

/**
 * What one backend's model has in its slot caches, as far as routing knows: the last `slots`
 * distinct prompts sent there. Ollama keeps one cached sequence per slot (it picks the slot with
 * the longest common prefix), so older prompts than that are gone from the server and affinity
 * to them would be wasted; a prompt that extends a remembered one (the next turn of the same
 * conversation) replaces it.
 */
export class SlotCacheTable {
	private entries: Entry[] = [];

	/** The longest prefix (characters) of `chain` that one remembered prompt shares. */
	match(chain: PrefixChain): number {
		let best = 0;
		for (const entry of this.entries) {
			for (let i = chain.hashes.length - 1; i >= 0 && chain.chars[i] > best; i--) {
				const length = entry.lengths.get(chain.hashes[i]);
				if (length !== undefined) {
					best = length;
					break;
				}
			}
		}
		return best;
	}

	/** Remembers `chain` as the most recent prompt; keeps at most `slots` prompts. */
	record(chain: PrefixChain, slots: number): void {
		// A prompt that extends a remembered one (the next turn of a conversation) lands in that
		// slot, as Ollama picks the slot with the longest common prefix; otherwise the least
		// recently used prompt is the one overwritten.
		const hashes = new Set(chain.hashes);
		this.entries = this.entries.filter((entry) => !hashes.has(entry.deepest));
		const lengths = new Map<string, number>();
		chain.hashes.forEach((hash, i) => lengths.set(hash, chain.chars[i]));
		this.entries.push({ lengths, deepest: chain.hashes[chain.hashes.length - 1] });
		while (this.entries.length > Math.max(1, slots)) this.entries.shift();
	}

	get size(): number {
		return this.entries.length;
	}
}
