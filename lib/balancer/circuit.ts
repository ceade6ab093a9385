export type CircuitState = 'closed' | 'open' | 'halfOpen';

const MAX_COOLDOWN_MS = 60_000;

/**
 * One backend's circuit breaker: `threshold` consecutive failures open it; after a cooldown it
 * is half-open and lets one trial through (a probe or a real call); success closes it, failure
 * opens it again for twice as long (at most a minute).
 */
export class CircuitBreaker {
	state: CircuitState = 'closed';
	failures = 0;
	openedAt = 0;
	cooldownMs: number;
	/** A trial is in flight while half-open. */
	trial = false;

	constructor(
		private readonly threshold: number,
		private readonly baseCooldownMs: number,
	) {
		this.cooldownMs = baseCooldownMs;
	}

	/** Whether a call may go through now; moves an open circuit whose cooldown ended to half-open. */
	allows(now: number): boolean {
		if (this.state === 'open' && now >= this.reopensAt) this.state = 'halfOpen';
		if (this.state === 'halfOpen') return !this.trial;
		return this.state === 'closed';
	}

	get reopensAt(): number {
		return this.openedAt + this.cooldownMs;
	}

	/** Returns true when this failure opened the circuit. */
	failure(now: number): boolean {
		this.failures++;
		this.trial = false;
		if (this.state === 'halfOpen') {
			this.cooldownMs = Math.min(MAX_COOLDOWN_MS, this.cooldownMs * 2);
			return this.open(now);
		}
		if (this.state === 'closed' && this.failures >= this.threshold) return this.open(now);
		return false;
	}

	/**
	 * A failure that proves the backend is down without waiting for `threshold` of them (a probe
	 * that got no answer at all): opens a closed circuit at once. Returns true when it opened.
	 */
	trip(now: number): boolean {
		if (this.state === 'open') return false;
		if (this.state === 'halfOpen') return this.failure(now);
		this.failures = Math.max(this.failures + 1, this.threshold);
		return this.open(now);
	}

	/** Returns true when this success closed an open or half-open circuit. */
	success(): boolean {
		const wasOpen = this.state !== 'closed';
		this.state = 'closed';
		this.failures = 0;
		this.trial = false;
		this.cooldownMs = this.baseCooldownMs;
		return wasOpen;
	}

	/** Another worker opened it (shared state): open until `until`. */
	openUntil(until: number, now: number): void {
		if (this.state !== 'closed' && this.reopensAt >= until) return;
		this.state = 'open';
		this.openedAt = now;
		this.cooldownMs = Math.max(0, until - now);
	}

	private open(now: number): boolean {
		this.state = 'open';
		this.openedAt = now;
		return true;
	}
}
