import pLimit from 'p-limit';

import type { Stage } from '../gateway/stage';

/**
 * Bounds the calls in flight to the cluster (by default its total parallel slots), so that
 * extra calls wait here, where they can be cancelled and measured, rather than in Ollama's
 * queue, which answers 503 once full. Batching comes here later.
 */
export function createSchedulerStage(maxInFlight: number): Stage & { readonly pending: number; readonly active: number } {
	const limit = pLimit(Math.max(1, maxInFlight));
	return {
		name: 'scheduler',
		get pending() {
			return limit.pendingCount;
		},
		get active() {
			return limit.activeCount;
		},
		handle(call, next) {
			const enqueued = performance.now();
			return limit(() => {
				call.trace.queueMs += performance.now() - enqueued;
				if (call.options.signal?.aborted) throw call.options.signal.reason ?? new Error('aborted');
				return next(call);
			});
		},
	};
}
