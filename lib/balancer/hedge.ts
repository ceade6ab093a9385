import type { Call } from '../pipeline';

/**
 * Hedged requests (Dean & Barroso, "The Tail at Scale", CACM 2013): when a call's first token is
 * later than a multiple of what that backend's recent p99 for a loaded model says, a second copy
 * goes to another backend; the first to stream a token wins and the other is cancelled. Nothing
 * has reached the caller before the first token, so the loser leaves no trace. Only for chat
 * calls without tools (a tool call could be acted on twice), only where the model is warm on
 * both backends, and within a budget: a token bucket earns `ratio` of a hedge per call sent
 * (5 % by default), so hedges never add more than that share of requests.
 */

/** Warm first-token times of one model on one backend: the last `size` samples, p99 on demand. */
export class TtftWindow {
	private readonly samples: number[] = [];
	private next = 0;
	private sortedCache?: number[];
	/** Samples added since the last sort: the p99 is re-sorted every RESORT_EVERY samples, not per call. */
	private addedSinceSort = 0;

	constructor(private readonly size = 128) {}

	get count(): number {
		return this.samples.length;
	}

	add(ms: number): void {
		if (!(ms >= 0)) return;
		if (this.samples.length < this.size) this.samples.push(ms);
		else this.samples[this.next] = ms;
		this.next = (this.next + 1) % this.size;
		// a tail estimate a few samples old is as good for hedging; sorting 128 numbers per call is not free
		if (++this.addedSinceSort >= RESORT_EVERY || this.samples.length < MIN_HEDGE_SAMPLES) this.sortedCache = undefined;
	}

	/** Nearest-rank percentile of the window (`p` in 0..100), undefined while empty. */
	percentile(p: number): number | undefined {
		if (this.samples.length === 0) return undefined;
		if (!this.sortedCache) {
			this.sortedCache = [...this.samples].sort((a, b) => a - b);
			this.addedSinceSort = 0;
		}
		const rank = Math.max(1, Math.ceil((p / 100) * this.sortedCache.length));
		return this.sortedCache[rank - 1];
	}
}

/** At most `ratio` extra requests: each call sent earns `ratio` of a token, a hedge spends one. */
export class HedgeBudget {
	private tokens = 0;
	sent = 0;
	hedges = 0;

	constructor(
		private readonly ratio: number,
		private readonly burst = 10,
	) {}

	/** A call was sent (not a hedge). */
	earn(): void {
		this.sent++;
		this.tokens = Math.min(this.burst, this.tokens + this.ratio);
	}

	take(): boolean {
		if (this.tokens < 1) return false;
		this.tokens -= 1;
		this.hedges++;
		return true;
	}
}

const RESORT_EVERY = 16;

/** Fewest warm samples before a backend's p99 is trusted. */
export const MIN_HEDGE_SAMPLES = 20;
/** Never hedge sooner than this (ms): a few ms of jitter is no tail worth a second request. */
export const MIN_HEDGE_DELAY_MS = 20;

/** When to hedge a call sent to a backend whose warm first tokens have this window, or undefined. */
export function hedgeDelay(window: TtftWindow, multiple: number): number | undefined {
	if (window.count < MIN_HEDGE_SAMPLES) return undefined;
	const p99 = window.percentile(99);
	return p99 === undefined ? undefined : Math.max(MIN_HEDGE_DELAY_MS, multiple * p99);
}

/** Whether a call may be hedged at all: a plain chat call, no tools (side effects), not pinned. */
export function hedgeable(call: Call): boolean {
	return call.kind === 'chat' && !call.target && !(call.request.tools && call.request.tools.length > 0);
}
