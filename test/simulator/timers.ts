/** Tracked, unref'd timers that can all be cancelled at once (so close() leaves nothing behind). */
export class AbortedError extends Error {
	constructor(message = 'aborted') {
		super(message);
		this.name = 'AbortedError';
	}
}

export class Timers {
	private readonly timers = new Set<NodeJS.Timeout>();
	private readonly sleepers = new Set<(e: Error) => void>();
	closed = false;

	after(ms: number, fn: () => void): NodeJS.Timeout {
		const t = setTimeout(() => {
			this.timers.delete(t);
			fn();
		}, Math.max(0, ms));
		t.unref();
		this.timers.add(t);
		return t;
	}

	cancel(t: NodeJS.Timeout | undefined): void {
		if (!t) return;
		clearTimeout(t);
		this.timers.delete(t);
	}

	/** Resolves after `ms` (immediately when ms <= 0); rejects with AbortedError on abort or clearAll. */
	sleep(ms: number, signal?: AbortSignal): Promise<void> {
		if (signal?.aborted) return Promise.reject(new AbortedError());
		if (this.closed) return Promise.reject(new AbortedError('closed'));
		if (!(ms > 0)) return Promise.resolve();
		return new Promise<void>((resolve, reject) => {
			const fail = (e: Error) => {
				this.cancel(t);
				this.sleepers.delete(fail);
				signal?.removeEventListener('abort', onAbort);
				reject(e);
			};
			const onAbort = () => fail(new AbortedError());
			const t = this.after(ms, () => {
				this.sleepers.delete(fail);
				signal?.removeEventListener('abort', onAbort);
				resolve();
			});
			this.sleepers.add(fail);
			signal?.addEventListener('abort', onAbort, { once: true });
		});
	}

	clearAll(): void {
		this.closed = true;
		for (const t of this.timers) clearTimeout(t);
		this.timers.clear();
		for (const fail of [...this.sleepers]) fail(new AbortedError('closed'));
		this.sleepers.clear();
	}
}

/** Go's time.ParseDuration, in milliseconds. Throws Go-like messages. */
export function parseGoDuration(s: string): number {
	const orig = s;
	if (s === '0') return 0;
	let neg = false;
	if (s.startsWith('-') || s.startsWith('+')) {
		neg = s[0] === '-';
		s = s.slice(1);
	}
	if (s === '0') return 0;
	if (!s) throw new Error(`time: invalid duration ${JSON.stringify(orig)}`);
	const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
	let total = 0;
	const re = /^(\d+(?:\.\d*)?|\.\d+)([a-zµμ]*)/;
	while (s) {
		const m = s.match(re);
		if (!m) throw new Error(`time: invalid duration ${JSON.stringify(orig)}`);
		if (!m[2]) throw new Error(`time: missing unit in duration ${JSON.stringify(orig)}`);
		const u = units[m[2]];
		if (u === undefined) throw new Error(`time: unknown unit ${JSON.stringify(m[2])} in duration ${JSON.stringify(orig)}`);
		total += Number(m[1]) * u;
		s = s.slice(m[0].length);
	}
	return neg ? -total : total;
}

/**
 * keep_alive as Ollama's api.Duration decodes it: number = seconds, string = Go duration,
 * negative = forever (Infinity). Returns milliseconds.
 */
export function keepAliveMs(v: unknown): number {
	if (typeof v === 'number') return v < 0 ? Infinity : v * 1000;
	if (typeof v === 'string') {
		const ms = parseGoDuration(v);
		return ms < 0 ? Infinity : ms;
	}
	throw new Error(`Unsupported type: '${v === null ? 'nil' : typeof v}'`);
}
