import type { GatewayChatResult } from '../gateway';
import type { ChatRequest } from '../ollama';
import type { CachePolicy } from '../pipeline';
import { emptyTokens, type RunControl } from './control';
import { extractJson } from './plan';
import type { CallCost, CallHooks, LeadTrace } from './types';

/** The gateway as the orchestrator uses it: one chat call at a time. */
export interface ChatGateway {
	chat(request: ChatRequest, options?: { signal?: AbortSignal; onChunk?: (text: string) => void; hints?: { cache?: CachePolicy } }): Promise<GatewayChatResult>;
}

export function costOfCalls(calls: GatewayChatResult[]): CallCost {
	const cost: CallCost = { tokens: emptyTokens(), backendCalls: calls.length, cacheHits: 0, queueMs: 0 };
	for (const call of calls) {
		cost.tokens.promptTokens += call.promptEvalCount ?? 0;
		cost.tokens.completionTokens += call.evalCount ?? 0;
		cost.cacheHits += call.cacheHit ? 1 : 0;
		cost.queueMs += call.queueMs ?? 0;
		cost.backend = call.backend;
	}
	cost.tokens.totalTokens = cost.tokens.promptTokens + cost.tokens.completionTokens;
	return cost;
}

type Role = LeadTrace['role'];
export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * The orchestrator's own model: it plans, reviews, routes, synthesises and judges, and never
 * executes a step. Every call is charged to the run and recorded in `traces`.
 */
export class Lead {
	readonly traces: LeadTrace[] = [];

	constructor(
		private readonly gateway: ChatGateway,
		private readonly model: string,
		private readonly options: NonNullable<ChatRequest['options']>,
		private readonly control: RunControl,
		private readonly cache?: CachePolicy,
		private readonly hooks: CallHooks = {},
	) {}

	private async call(role: Role, attempt: number, request: ChatRequest, onChunk?: (text: string) => void): Promise<GatewayChatResult> {
		const started = performance.now();
		try {
			const result = await this.gateway.chat(request, { signal: this.control.signal, onChunk, hints: this.cache && { cache: this.cache } });
			this.hooks.onCall?.(result);
			const cost = costOfCalls([result]);
			this.control.charge(cost);
			this.traces.push({ role, attempt, ok: true, ...cost, durationMs: performance.now() - started });
			return result;
		} catch (error) {
			this.hooks.onCallFailed?.(error, { model: request.model, latencyMs: performance.now() - started });
			this.traces.push({ role, attempt, ok: false, problem: (error as Error).message, tokens: emptyTokens(), backendCalls: 1, cacheHits: 0, queueMs: 0, durationMs: performance.now() - started });
			throw error;
		}
	}

	/** Free text (synthesis, judging), streamed to onChunk. */
	async text(role: Role, attempt: number, system: string, user: string, onChunk?: (text: string) => void): Promise<string> {
		const reply = await this.call(role, attempt, this.request(system, [{ role: 'user', content: user }]), onChunk);
		return reply.message.content;
	}

	/**
	 * A JSON answer checked by `check`; a reply that does not parse or check is sent back with the
	 * problem, at most `retries` more times. Resolves with the last problem when none passes.
	 */
	async json<T>(role: Role, attempt: number, system: string, user: string, schema: Record<string, unknown>, check: (value: unknown) => Checked<T>, retries: number): Promise<Checked<T>> {
		const messages: ChatRequest['messages'] = [{ role: 'user', content: user }];
		let last: Checked<T> = { ok: false, problem: 'no reply' };
		for (let tryIndex = 0; tryIndex <= retries && !this.control.signal.aborted; tryIndex++) {
			const reply = await this.call(role, attempt, { ...this.request(system, messages), format: schema });
			const text = reply.message.content;
			try {
				last = check(extractJson(text));
			} catch (error) {
				last = { ok: false, problem: (error as Error).message };
			}
			const traced = this.traces[this.traces.length - 1];
			if (last.ok) return last;
			traced.ok = false;
			traced.problem = last.problem;
			messages.push({ role: 'assistant', content: text }, { role: 'user', content: `That reply cannot be used: ${last.problem}. Reply again with JSON only, fixing this.` });
		}
		return last;
	}

	private request(system: string, messages: NonNullable<ChatRequest['messages']>): ChatRequest {
		return { model: this.model, messages: [{ role: 'system', content: system }, ...messages], options: this.options };
	}
}
