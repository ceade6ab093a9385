import type { CallOptions, ChatRequest, EmbedRequest } from '../ollama/types';
import type { Backend } from './backend';
import type { CachePolicy } from './cache-policy';
import type { CallTrace } from './trace';

/**
 * One call on its way through the stages. Who may write what (everything else is set once, by the
 * gateway, when the call is made, and is `readonly` here):
 * - `request`: replaced (never mutated: callers share their request objects) only by
 *   runner-options, which pins `num_ctx` & co. per backend and model;
 * - `target`: the scheduler, from the router's lease for each attempt (or kept when the caller
 *   pinned a backend, as the warm-up does);
 * - `trace` fields: the stage that did the work: the cache and single-flight set `cacheHit`,
 *   `cacheLayer`, `similarity`; batching and the scheduler add to `queueMs`; the scheduler counts
 *   `retries` and `failedOver`; batching sets `batch`; runner-options adds `warnings`.
 */
interface CallBase {
	readonly options: CallOptions;
	readonly trace: CallTrace;
	/** The backend chosen for this attempt (set by the scheduler from the router, or pinned, e.g. warm-up). */
	target?: Backend;
	/** Higher runs first among waiting calls (default 0). */
	readonly priority?: number;
	/** Longest this call may wait in the gateway queue for a slot (ms); overrides the scheduler's setting, 0 = no limit. */
	readonly queueTimeoutMs?: number;
	/** What the caller asks of the caching stages; never required. */
	readonly hints?: { readonly cache?: CachePolicy };
}

export type Call = (CallBase & { readonly kind: 'chat'; request: Readonly<ChatRequest> }) | (CallBase & { readonly kind: 'embed'; request: Readonly<EmbedRequest> });

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
