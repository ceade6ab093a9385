import type { OllamaTransport } from '../ollama';
import type { Stage } from '../gateway/stage';

/**
 * Chooses the backend for a call. For now: smooth weighted round-robin over all backends
 * (no health checks or failover yet), so several configured backends already share the work.
 */
export function createBalancerStage(backends: OllamaTransport[]): Stage {
	if (backends.length === 0) throw new Error('An Ollama cluster needs at least one backend');
	const current = backends.map(() => 0);
	const totalWeight = backends.reduce((sum, b) => sum + b.backend.weight, 0);
	const pick = (): OllamaTransport => {
		let best = 0;
		for (let i = 0; i < backends.length; i++) {
			current[i] += backends[i].backend.weight;
			if (current[i] > current[best]) best = i;
		}
		current[best] -= totalWeight;
		return backends[best];
	};
	return {
		name: 'balancer',
		handle(call, next) {
			// A call may come pinned to a backend (e.g. warming a model up on each one).
			call.target ??= pick();
			return next(call);
		},
	};
}
