/**
 * A learned slot count for one backend and model (Parallel Slots 0 = learn), in the spirit of
 * TCP Vegas and Netflix's concurrency-limits, but reading Ollama's own signal: how long a call
 * waited in the server's queue before its prompt was processed (time to first token minus
 * load and prefill). With `limit` calls in flight and the look-ahead call beyond it as the
 * probe:
 * - the look-ahead call started at once while `limit` others were still running → the server
 *   ran `limit + 1` together → grow by one (once a second such call confirms it, with no call
 *   in between that waited in the server's queue);
 * - a call within the limit waited in the server's queue → the server has fewer slots than
 *   its position (or someone else is using them) → shrink below that position, once a second
 *   such call confirms it (one late first token on a busy machine is not a smaller server).
 * A look-ahead call that started at once beside fewer than `limit` others (they ended before its
 * first token) is no evidence either way: calls that start together end together, so of those
 * sent as a wave ends the first always finds the rest of that wave gone.
 */
export class LearnedLimit {
	value: number;
	/** When the value last changed (ms, for shared state: the newest wins). */
	changedAt = 0;
	private queuedInARow = 0;
	private probesInARow = 0;

	constructor(
		initial: number,
		private readonly max: number,
	) {
		this.value = Math.min(max, initial);
	}

	/**
	 * `position`: calls in flight on this backend and model when the call was sent, itself
	 * included; `concurrent`: other calls still running when it got its first token;
	 * `queued`: whether it waited in the server's queue.
	 */
	observe(sample: { position: number; concurrent: number; queued: boolean }, now: number): boolean {
		const before = this.value;
		if (sample.queued) {
			// the server was full: what speaks against growing (a look-ahead call that waited is what
			// a server with `limit` slots does; one within the limit says it has fewer)
			this.probesInARow = 0;
			if (sample.position <= this.value && ++this.queuedInARow >= 2) {
				this.value = Math.max(1, Math.min(this.value - 1, sample.position - 1));
				this.queuedInARow = 0;
			}
		} else {
			if (sample.position <= this.value) this.queuedInARow = 0;
			// growth too wants two look-ahead calls that ran beside `limit` others, with no queued call
			// between them. One that ran beside fewer is left out: resetting on it cancelled every probe
			// when waves alternate 2, 0, 1 others still running (a limit stuck one below the server's).
			if (sample.concurrent >= this.value && ++this.probesInARow >= 2) {
				this.value = Math.min(this.max, Math.max(this.value, sample.concurrent) + 1);
				this.probesInARow = 0;
			}
		}
		if (this.value !== before) this.changedAt = now;
		return this.value !== before;
	}

	adopt(value: number, changedAt: number): boolean {
		if (changedAt <= this.changedAt || value === this.value) return false;
		this.value = Math.max(1, Math.min(this.max, value));
		this.changedAt = changedAt;
		return true;
	}
}
