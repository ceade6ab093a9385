import { onAbort } from './abort';
import type { TimeoutKind } from './errors';
import type { Timeouts } from './timeouts';

/**
 * Every live watchdog of the process shares one timer, armed for the earliest deadline. A
 * timer per call (two setTimeouts, cleared again a millisecond later) was a measurable part of
 * a fast call's cost; here starting and stopping a watchdog is a Set insert and delete, and the
 * timer is only re-armed when a new deadline is earlier than the armed one (rare: calls share
 * their timeouts, so later calls have later deadlines).
 */
const live = new Set<Watchdog>();
let timer: NodeJS.Timeout | undefined;
let timerAt = Infinity;

function armAt(at: number): void {
	if (at >= timerAt) return;
	clearTimeout(timer);
	timerAt = at;
	timer = setTimeout(sweep, Math.max(0, at - performance.now()));
	// The call's socket keeps the process alive while it runs; this timer alone must not.
	timer.unref();
}

function sweep(): void {
	timer = undefined;
	timerAt = Infinity;
	const now = performance.now();
	let next = Infinity;
	for (const watchdog of live) {
		const due = watchdog.check(now);
		if (due < next) next = due;
	}
	if (next < Infinity) armAt(next);
}

/**
 * Aborts one call when a phase runs too long. Written by hand because the phases are ours:
 * undici's headersTimeout/bodyTimeout are per pool, fire on headers (which a non-streamed
 * Ollama reply only sends at the very end) and cannot tell "first token" from "idle".
 * The transport sets `onAbort` to cancel its request; `signal` (an AbortController made on
 * first use) serves the calls that go through `pool.request`.
 */
export class Watchdog {
	private readonly startedAt = performance.now();
	private gotFirstChunk = false;
	private lastChunkAt = 0;
	private stopped = false;
	private controller?: AbortController;
	private unlisten?: () => void;
	/** Set once the call is aborted, by a timeout or by the caller's signal. */
	aborted = false;
	reason?: unknown;
	firedKind?: TimeoutKind;
	/** Called once when the call is aborted (the transport cancels its request here). */
	onAbort?: (reason: unknown) => void;

	constructor(
		private readonly timeouts: Timeouts,
		external?: AbortSignal,
	) {
		if (external) {
			if (external.aborted) {
				this.abort(external.reason);
				return;
			}
			this.unlisten = onAbort(external, () => this.abort(external.reason));
		}
		const due = this.nextDeadline();
		if (due < Infinity) {
			live.add(this);
			armAt(due);
		}
	}

	/** Whether a chunk has arrived (the first token). */
	get started(): boolean {
		return this.gotFirstChunk;
	}

	get signal(): AbortSignal {
		if (!this.controller) {
			this.controller = new AbortController();
			if (this.aborted) this.controller.abort(this.reason);
		}
		return this.controller.signal;
	}

	/**
	 * Call on every received chunk: switches from the first-token to the idle deadline. Hot path:
	 * a time stamp only; the shared timer re-arms lazily when a deadline it fires for has moved on.
	 */
	chunk(): void {
		this.lastChunkAt = performance.now();
		if (this.gotFirstChunk) return;
		this.gotFirstChunk = true;
		// The idle deadline may come before the armed one (the first-token or total deadline).
		if (this.timeouts.idleMs > 0 && !this.stopped && !this.aborted) {
			live.add(this);
			armAt(this.lastChunkAt + this.timeouts.idleMs);
		}
	}

	/** The earliest deadline still ahead (performance.now() time), or Infinity when none applies. */
	private nextDeadline(): number {
		const { totalMs, firstTokenMs, idleMs } = this.timeouts;
		let due = totalMs > 0 ? this.startedAt + totalMs : Infinity;
		const phase = this.gotFirstChunk ? (idleMs > 0 ? this.lastChunkAt + idleMs : Infinity) : firstTokenMs > 0 ? this.startedAt + firstTokenMs : Infinity;
		if (phase < due) due = phase;
		return due;
	}

	/** From the shared timer: fires a deadline that has passed, else returns the next one. */
	check(now: number): number {
		if (this.stopped || this.aborted) {
			live.delete(this);
			return Infinity;
		}
		const { totalMs } = this.timeouts;
		if (totalMs > 0 && now >= this.startedAt + totalMs) this.fire('total');
		else if (now >= this.nextDeadline()) this.fire(this.gotFirstChunk ? 'idle' : 'firstToken');
		return this.aborted ? Infinity : this.nextDeadline();
	}

	stop(): void {
		if (this.stopped) return;
		this.stopped = true;
		live.delete(this);
		this.unlisten?.();
	}

	private abort(reason: unknown): void {
		if (this.aborted || this.stopped) return;
		this.aborted = true;
		this.reason = reason;
		live.delete(this);
		this.controller?.abort(reason);
		this.onAbort?.(reason);
	}

	private fire(kind: TimeoutKind): void {
		if (this.aborted) return;
		this.firedKind = kind;
		this.abort(new Error(`${kind} timeout`));
	}
}
