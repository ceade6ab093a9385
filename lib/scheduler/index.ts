import { RequestAbortedError } from '../ollama/errors';
import type { Call, Lease, Router, Stage } from '../pipeline';

interface Waiter {
	call: Call;
	grant(lease: Lease): void;
}

/**
 * Holds calls until the router has a backend slot for them, so extra calls wait here, where
 * they can be cancelled and measured, rather than in Ollama's queue. Dispatch is continuous:
 * whenever the router reports freed capacity the next waiting calls start.
 */
export function createSchedulerStage(router: Router): Stage & { readonly pending: number; readonly active: number } {
	const waiting: Waiter[] = [];
	let active = 0;

	const drain = () => {
		for (let i = 0; i < waiting.length; ) {
			const lease = router.tryAcquire(waiting[i].call);
			if (!lease) {
				i++;
				continue;
			}
			const [waiter] = waiting.splice(i, 1);
			waiter.grant(lease);
		}
	};
	const unsubscribe = router.onCapacity(drain);

	const acquire = (call: Call): Promise<Lease> => {
		const now = router.tryAcquire(call);
		if (now && waiting.length === 0) return Promise.resolve(now);
		now?.release({ ok: true, durationMs: 0 });
		return new Promise<Lease>((resolve, reject) => {
			const signal = call.options.signal;
			const onAbort = () => {
				const i = waiting.indexOf(waiter);
				if (i >= 0) waiting.splice(i, 1);
				reject(new RequestAbortedError(call.target?.name ?? 'gateway queue'));
			};
			const waiter: Waiter = {
				call,
				grant(lease) {
					signal?.removeEventListener('abort', onAbort);
					resolve(lease);
				},
			};
			if (signal?.aborted) return onAbort();
			signal?.addEventListener('abort', onAbort, { once: true });
			waiting.push(waiter);
			drain();
		});
	};

	return {
		name: 'scheduler',
		get pending() {
			return waiting.length;
		},
		get active() {
			return active;
		},
		async handle(call, next) {
			const pinned = call.target;
			for (let attempt = 1; ; attempt++) {
				const enqueued = performance.now();
				const lease = await acquire(call);
				call.trace.queueMs += performance.now() - enqueued;
				const started = performance.now();
				active++;
				try {
					const result = await next({ ...call, target: lease.backend });
					active--;
					lease.release({ ok: true, durationMs: performance.now() - started });
					return result;
				} catch (error) {
					active--;
					lease.release({ ok: false, error, durationMs: performance.now() - started });
					const delay = call.options.signal?.aborted ? undefined : router.retryDelay(call, error, attempt);
					if (delay === undefined) throw error;
					call.trace.retries++;
					call.target = pinned;
					await new Promise((resolve) => setTimeout(resolve, delay));
				}
			}
		},
		async close() {
			unsubscribe();
			await router.close?.();
		},
	};
}
