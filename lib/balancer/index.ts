import { BackendBusyError } from '../ollama/errors';
import type { AttemptOutcome, Backend, Call, Lease, Router } from '../pipeline';

export interface RouterOptions {
	/** Calls sent to a backend beyond its parallel slots, so a freed slot finds the next one queued. */
	lookAhead?: number;
	/** How often a 503 (Ollama's load queue full) is retried before the call fails. */
	busyRetries?: number;
}

/**
 * Chooses the backend for a call: smooth weighted round-robin over the backends that have a
 * free slot (parallel + look-ahead in flight). No health checks or failover yet.
 */
export function createRouter(backends: Backend[], options: RouterOptions = {}): Router & { inFlight(name: string): number } {
	if (backends.length === 0) throw new Error('An Ollama cluster needs at least one backend');
	const lookAhead = options.lookAhead ?? 1;
	const busyRetries = options.busyRetries ?? 5;
	const current = backends.map(() => 0);
	const inFlight = backends.map(() => 0);
	const listeners = new Set<() => void>();
	const capacity = (i: number) => Math.max(1, backends[i].backend.parallel) + lookAhead;

	const lease = (i: number): Lease => {
		inFlight[i]++;
		let released = false;
		return {
			backend: backends[i],
			release(_outcome: AttemptOutcome) {
				if (released) return;
				released = true;
				inFlight[i]--;
				for (const listener of [...listeners]) listener();
			},
		};
	};

	return {
		inFlight: (name) => inFlight[backends.findIndex((b) => b.name === name)] ?? 0,
		tryAcquire(call: Call) {
			if (call.target) {
				const i = backends.indexOf(call.target);
				if (i < 0) throw new Error(`Backend "${call.target.name}" is not part of this cluster`);
				return inFlight[i] < capacity(i) ? lease(i) : undefined;
			}
			let best = -1;
			let totalWeight = 0;
			for (let i = 0; i < backends.length; i++) {
				if (inFlight[i] >= capacity(i)) continue;
				totalWeight += backends[i].backend.weight;
				current[i] += backends[i].backend.weight;
				if (best < 0 || current[i] > current[best]) best = i;
			}
			if (best < 0) return undefined;
			current[best] -= totalWeight;
			return lease(best);
		},
		onCapacity(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		retryDelay(_call, error, attempt) {
			if (error instanceof BackendBusyError && attempt <= busyRetries) return Math.min(2000, 50 * 2 ** (attempt - 1));
			return undefined;
		},
	};
}
