import type { Backend } from './backend';
import type { Call } from './stage';

/** What became of one attempt of a call on a backend; the router learns from it. */
export interface AttemptOutcome {
	ok: boolean;
	/**
	 * The attempt's error: an `OllamaError` from the transport (`code`, `retryable`) whose
	 * `afterFirstToken` is true when it came after the first streamed token, i.e. the caller may
	 * already have shown part of the reply, so a failover would repeat it.
	 */
	error?: unknown;
	/** From dispatch to the first streamed token (or the reply), when one arrived. */
	firstTokenMs?: number;
	/** From dispatch to the end of the attempt. */
	durationMs: number;
	/**
	 * The attempt's reply when `ok` (a ChatResult / EmbedResult). The balancer reads Ollama's own
	 * timings from it (load, prompt eval, eval) to tell waiting in the server's queue from
	 * prefill, which is what its learned slot limits grow and shrink on. Optional: without it the
	 * balancer falls back to `firstTokenMs` alone.
	 */
	result?: unknown;
}

/** A claim on one slot of one backend for one attempt of a call. */
export interface Lease {
	readonly backend: Backend;
	/** Ends the attempt and frees the slot. Call exactly once. */
	release(outcome: AttemptOutcome): void;
	/** The attempt's first token (or whole reply) arrived: the model is up there. Optional; at most once. */
	started?(): void;
	/**
	 * Set by the router when it may take this attempt back (another backend could serve the call):
	 * the scheduler then runs the attempt under its own abort signal and sets `cancel`, which the
	 * router calls with the reason (e.g. the backend stopped answering) to end it; the attempt then
	 * fails with that reason and `retryDelay` sends the call on.
	 */
	readonly cancellable?: boolean;
	cancel?: (reason: Error) => void;
}

/**
 * The one interface between *where* (lib/balancer) and *waiting* (lib/scheduler).
 * The scheduler owns the queue of waiting calls; for each, in its order, it asks `tryAcquire`.
 * The router owns capacity (slots + look-ahead per backend and model, cold loads, health) and
 * the choice of backend. Neither waits inside the other.
 */
export interface Router {
	/**
	 * A lease on the best backend that has free capacity for this call now, or `undefined` when
	 * every eligible backend is full (the scheduler keeps the call waiting). A call with
	 * `target` set may only get that backend. Throws when no backend can ever serve the call
	 * (e.g. none is configured for it), so the call fails at once instead of waiting.
	 */
	tryAcquire(call: Call): Lease | undefined;
	/** `listener` runs whenever capacity may have freed (a release, a recovery, a limit that grew). Returns an unsubscribe. */
	onCapacity(listener: () => void): () => void;
	/**
	 * After a failed attempt (already released): how long to wait before the call is tried
	 * again (the router then picks, possibly another backend), or `undefined` to fail the call
	 * with that error. `attempt` counts from 1.
	 */
	retryDelay(call: Call, error: unknown, attempt: number): number | undefined;
	/**
	 * Hedging: how long after its start an attempt on `lease` may wait for its first token before a
	 * second copy is worth sending elsewhere, or undefined for never (optional).
	 */
	hedgeDelay?(call: Call, lease: Lease): number | undefined;
	/** A second lease for `call` on another backend than `primary`, within the hedge budget, or undefined. */
	tryHedge?(call: Call, primary: Lease): Lease | undefined;
	close?(): Promise<void>;
}
