import type { Call } from '../pipeline';

/**
 * Predicts how many tokens a generation call will produce, for multi-bin ordering: the call's
 * own `num_predict` when it sets one, else a running mean of what calls of the same prompt
 * template (model + system prompt, or the caller's namespace hint) produced so far.
 */
export class LengthPredictor {
	private readonly means = new Map<string, { mean: number; n: number }>();

	constructor(
		/** Used for a template not seen yet. */
		private readonly fallback = 256,
		/** Templates remembered (oldest forgotten first): model names and prompts come from expressions. */
		private readonly maxTemplates = 1000,
	) {}

	private key(call: Call): string | undefined {
		if (call.kind !== 'chat') return undefined;
		const system = call.request.messages?.find((m) => m.role === 'system')?.content ?? '';
		return `${call.request.model}\u0000${system}`;
	}

	predict(call: Call): number {
		if (call.kind !== 'chat') return 1;
		const numPredict = (call.request.options as { num_predict?: number } | undefined)?.num_predict;
		if (typeof numPredict === 'number' && numPredict > 0) return numPredict;
		const key = this.key(call);
		return (key !== undefined && this.means.get(key)?.mean) || this.fallback;
	}

	/** Learns from a finished call's `evalCount`. */
	observe(call: Call, evalCount: number): void {
		const key = this.key(call);
		if (key === undefined || !(evalCount >= 0)) return;
		const entry = this.means.get(key);
		if (entry) {
			// A mean over the first 20, then an exponential average, so it follows a drifting template.
			entry.n = Math.min(entry.n + 1, 20);
			entry.mean += (evalCount - entry.mean) / entry.n;
			return;
		}
		if (this.means.size >= this.maxTemplates) this.means.delete(this.means.keys().next().value as string);
		this.means.set(key, { mean: evalCount, n: 1 });
	}
}
