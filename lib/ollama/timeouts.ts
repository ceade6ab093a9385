/**
 * Timeouts for one call, each guarding a different phase. Defaults are generous on purpose:
 * a cold 70B model can take minutes to load, and a long local generation must not be cut at
 * the 5 minutes undici/fetch default (the trap n8n users hit with Ollama, n8n-io/n8n#11886).
 * 0 disables a timeout.
 */
export interface Timeouts {
	/** TCP/TLS connect. */
	connectMs: number;
	/** From sending the request to the first streamed token (covers queueing, model load, prefill). */
	firstTokenMs: number;
	/** Longest silence between two streamed chunks. */
	idleMs: number;
	/** The whole call. */
	totalMs: number;
}

export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = Object.freeze({
	connectMs: 10_000,
	firstTokenMs: 10 * 60_000,
	idleMs: 2 * 60_000,
	totalMs: 60 * 60_000,
});

export function resolveTimeouts(partial?: Partial<Timeouts>): Timeouts {
	const result = { ...DEFAULT_TIMEOUTS };
	for (const key of Object.keys(result) as Array<keyof Timeouts>) {
		const value = partial?.[key];
		if (typeof value === 'number' && Number.isFinite(value) && value >= 0) result[key] = value;
	}
	return result;
}
