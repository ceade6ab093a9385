import type { TimeoutKind } from './errors';
import type { Timeouts } from './timeouts';

/**
 * Aborts one call when a phase runs too long. Written by hand because the phases are ours:
 * undici's headersTimeout/bodyTimeout are per pool, fire on headers (which a non-streamed
 * Ollama reply only sends at the very end) and cannot tell "first token" from "idle".
 */
export class Watchdog {
	readonly controller = new AbortController();
	private phaseTimer?: NodeJS.Timeout;
	private totalTimer?: NodeJS.Timeout;
	private gotFirstChunk = false;
	private lastChunkAt = 0;
	private stopped = false;
	private readonly external?: AbortSignal;
	firedKind?: TimeoutKind;

	constructor(
		private readonly timeouts: Timeouts,
		external?: AbortSignal,
	) {
		if (external) {
			if (external.aborted) this.controller.abort(external.reason);
			else external.addEventListener('abort', this.onExternalAbort, { once: true });
		}
		this.external = external;
		if (timeouts.totalMs > 0) this.totalTimer = setTimeout(() => this.fire('total'), timeouts.totalMs);
		if (timeouts.firstTokenMs > 0) this.phaseTimer = setTimeout(() => this.fire('firstToken'), timeouts.firstTokenMs);
	}

	private readonly onExternalAbort = () => this.controller.abort(this.external?.reason);

	/** Whether a chunk has arrived (the first token). */
	get started(): boolean {
		return this.gotFirstChunk;
	}

	get signal(): AbortSignal {
		return this.controller.signal;
	}

	/**
	 * Call on every received chunk: switches from the first-token to the idle deadline.
	 * Hot path (once per token): it only stamps the time; the idle timer re-arms itself lazily
	 * when it fires early, instead of being cleared and re-created for every token.
	 */
	chunk(): void {
		this.lastChunkAt = performance.now();
		if (this.gotFirstChunk || this.stopped) return;
		this.gotFirstChunk = true;
		this.armIdle(this.timeouts.idleMs);
	}

	private armIdle(ms: number): void {
		clearTimeout(this.phaseTimer);
		if (this.timeouts.idleMs <= 0) return;
		this.phaseTimer = setTimeout(() => {
			const silentFor = performance.now() - this.lastChunkAt;
			if (silentFor >= this.timeouts.idleMs) this.fire('idle');
			else this.armIdle(this.timeouts.idleMs - silentFor);
		}, ms);
	}

	stop(): void {
		this.stopped = true;
		clearTimeout(this.phaseTimer);
		clearTimeout(this.totalTimer);
		this.external?.removeEventListener('abort', this.onExternalAbort);
	}

	private fire(kind: TimeoutKind): void {
		if (this.stopped || this.controller.signal.aborted) return;
		this.firedKind = kind;
		this.controller.abort(new Error(`${kind} timeout`));
	}
}
