import type { CallOptions, ChatRequest, EmbedRequest } from '../ollama/types';
import type { Backend } from './backend';
import type { CachePolicy } from './cache-policy';
import type { CallTrace } from './trace';

interface CallBase {
	options: CallOptions;
	trace: CallTrace;
	/** The backend chosen for this attempt (set by the scheduler from the router, or pinned, e.g. warm-up). */
	target?: Backend;
	/** Higher runs first among waiting calls (default 0). */
	priority?: number;
	/** Longest this call may wait in the gateway queue for a slot (ms); overrides the scheduler's setting, 0 = no limit. */
	queueTimeoutMs?: number;
	/** Caller hints for routing and caching (e.g. the agent's session key); never required. */
	hints?: { sessionKey?: string; namespace?: string; cache?: CachePolicy };
}

export type Call = (CallBase & { kind: 'chat'; request: ChatRequest }) | (CallBase & { kind: 'embed'; request: EmbedRequest });

export type Handler = (call: Call) => Promise<unknown>;

/**
 * One step of the gateway pipeline (cache → single-flight → scheduler → runner-options →
 * transport). A stage may answer the call itself, change it, or pass it on with `next`.
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
