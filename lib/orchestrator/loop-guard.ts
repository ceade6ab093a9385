import { createHash } from 'node:crypto';

import type { ToolCallTrace } from '../agent';

/**
 * Remembers every (member, task, arguments) the run has executed, so a step, a replan or a tool
 * call that repeats one exactly is stopped and reported instead of run again. Deterministic: the
 * key is a hash of the normalised text, not a count of iterations.
 */
export class LoopGuard {
	private readonly seen = new Map<string, string>();
	private readonly tools = new Map<string, Map<string, ToolCallTrace>>();

	static key(member: string, task: string, args: string): string {
		const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();
		return createHash('sha256').update(`${norm(member)}\u0000${norm(task)}\u0000${args}`).digest('hex');
	}

	/** The label of the earlier execution with the same key, or undefined (and remembers this one). */
	check(key: string, label: string): string | undefined {
		const earlier = this.seen.get(key);
		if (earlier === undefined) this.seen.set(key, label);
		return earlier;
	}

	/** One member's tool calls in this run (tool + arguments), for its tool loop's repeat guard. */
	toolCalls(member: string): Map<string, ToolCallTrace> {
		const key = member.trim().toLowerCase();
		let calls = this.tools.get(key);
		if (!calls) this.tools.set(key, (calls = new Map()));
		return calls;
	}

	/** Forgets an execution (one that passed may be reused without being a repeat). */
	forget(key: string): void {
		this.seen.delete(key);
	}
}
