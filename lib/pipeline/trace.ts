import type { ChatResult, EmbedResult } from '../ollama/types';

/** What a call picks up on its way through the stages; reported in the node's output. */
export interface CallTrace {
	/** Time spent waiting in the gateway before reaching a backend. */
	queueMs: number;
	cacheHit: boolean;
	/** Which cache layer answered, when one did. */
	cacheLayer?: 'l1' | 'l2' | 'semantic' | 'single-flight';
	/** Cosine similarity of a semantic cache hit. */
	similarity?: number;
	/** Attempts after the first (busy backends, failover). */
	retries: number;
	/** Backends tried before the one that answered (failover), by name. */
	failedOver?: string[];
	/** Backends this call was taken back from before its first token, because they stopped answering. */
	movedFrom?: string[];
	/** A hedged call: the backends of both copies (first the original) and the one whose answer was taken. */
	hedged?: { backends: string[]; winner: string };
	/** The batch this call rode in (lib/batching): its id, how many calls it held, how long this one waited for it (ms). */
	batch?: { id: number; size: number; waitMs: number };
	/** Things the operator should know (e.g. this call forced a model reload). */
	warnings: string[];
}

export type TracedChatResult = ChatResult & CallTrace;
export type TracedEmbedResult = EmbedResult & CallTrace;

export function newTrace(): CallTrace {
	return { queueMs: 0, cacheHit: false, retries: 0, warnings: [] };
}
