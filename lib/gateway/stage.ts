import type { CallOptions, ChatRequest, EmbedRequest, OllamaTransport } from '../ollama';

/** What a call picks up on its way through the stages; reported in the node's output. */
export interface CallTrace {
	/** Time spent waiting in the gateway before reaching a backend. */
	queueMs: number;
	cacheHit: boolean;
	retries: number;
	/** Things the operator should know (e.g. this call forced a model reload). */
	warnings: string[];
}

export type Call =
	| { kind: 'chat'; request: ChatRequest; options: CallOptions; trace: CallTrace; target?: OllamaTransport }
	| { kind: 'embed'; request: EmbedRequest; options: CallOptions; trace: CallTrace; target?: OllamaTransport };

export type Handler = (call: Call) => Promise<unknown>;

/**
 * One step of the gateway pipeline (cache → single-flight → scheduler → balancer →
 * runner-options → transport).
 * A stage may answer the call itself, change it, or pass it on with `next`.
 */
export interface Stage {
	readonly name: string;
	handle(call: Call, next: Handler): Promise<unknown>;
	close?(): Promise<void>;
}

/** Chains stages so that the first one in the list sees the call first. */
export function compose(stages: Stage[], last: Handler): Handler {
	return stages.reduceRight<Handler>((next, stage) => (call) => stage.handle(call, next), last);
}

/** A stage that does nothing yet: the slot later work fills without touching the nodes. */
export function passThrough(name: string): Stage {
	return { name, handle: (call, next) => next(call) };
}
