import type { Budgets, CallCost, StopReason, TokenTotals } from './types';

export const emptyTokens = (): TokenTotals => ({ promptTokens: 0, completionTokens: 0, totalTokens: 0 });

export function addCost(into: CallCost, cost: CallCost): void {
	into.tokens.promptTokens += cost.tokens.promptTokens;
	into.tokens.completionTokens += cost.tokens.completionTokens;
	into.tokens.totalTokens += cost.tokens.totalTokens;
	into.backendCalls += cost.backendCalls;
	into.cacheHits += cost.cacheHits;
	into.queueMs += cost.queueMs;
	if (cost.backend) into.backend = cost.backend;
}

const STOP_TEXT: Record<StopReason, string> = {
	attempts: 'the attempt budget (Max Attempts) was used up',
	steps: 'the step budget (Max Steps) was used up',
	tokens: 'the token budget (Tokens per Run) was used up',
	deadline: 'the run deadline (Run Timeout) passed',
	loopGuard: 'the loop guard stopped a repeated step or plan',
	failures: 'more than half of the steps failed',
	cancelled: 'the execution was cancelled',
	invalidPlan: 'the planner never returned a valid plan',
};

export const describeStop = (reason: StopReason) => STOP_TEXT[reason];

/**
 * The run's budgets and its abort signal. `signal` aborts when the execution is cancelled or the
 * run deadline passes (running and queued steps stop); the step and token budgets only stop new
 * work from starting, so what already ran is kept as the best result so far.
 */
export class RunControl {
	readonly signal: AbortSignal;
	readonly cost: CallCost = { tokens: emptyTokens(), backendCalls: 0, cacheHits: 0, queueMs: 0 };
	readonly startedAt = performance.now();
	stepsStarted = 0;
	private reason?: StopReason;
	private readonly controller = new AbortController();
	private readonly timer: NodeJS.Timeout;
	private readonly onOuterAbort: () => void;

	constructor(
		readonly budgets: Budgets,
		private readonly outer?: AbortSignal,
	) {
		this.signal = this.controller.signal;
		this.onOuterAbort = () => this.stop('cancelled');
		if (outer?.aborted) this.onOuterAbort();
		else outer?.addEventListener('abort', this.onOuterAbort, { once: true });
		this.timer = setTimeout(() => this.stop('deadline'), budgets.runTimeoutMs);
		this.timer.unref?.();
	}

	/** Why the run stopped early, if it did. */
	get stoppedBy(): StopReason | undefined {
		return this.reason;
	}

	get stopped(): boolean {
		return this.reason !== undefined;
	}

	/** Records the first reason; deadline and cancellation also abort running work. */
	stop(reason: StopReason): void {
		if (this.reason) return;
		this.reason = reason;
		if (reason === 'deadline' || reason === 'cancelled') this.controller.abort(new Error(describeStop(reason)));
	}

	/** Claims one member execution from the step budget; false (and stopped) when none is left. */
	takeStep(): boolean {
		if (this.stopped) return false;
		if (this.stepsStarted >= this.budgets.maxSteps) {
			this.stop('steps');
			return false;
		}
		this.stepsStarted++;
		return true;
	}

	/** Counts a call's cost; stops the run when the token budget is spent. */
	charge(cost: CallCost): void {
		addCost(this.cost, cost);
		if (this.budgets.maxTokens > 0 && this.cost.tokens.totalTokens >= this.budgets.maxTokens) this.stop('tokens');
	}

	/**
	 * A signal for one step: aborted with the run's, or when the step timeout passes. Call `done`
	 * when the step ends: it clears the timer and the listener (no timers left for 180 s per step).
	 */
	stepSignal(): { signal: AbortSignal; timedOut: () => boolean; done: () => void } {
		const controller = new AbortController();
		let timedOut = false;
		const onRunAbort = () => controller.abort(this.signal.reason);
		const timer = setTimeout(() => {
			timedOut = true;
			controller.abort(new Error(`the step timed out after ${this.budgets.stepTimeoutMs / 1000} s (Step Timeout)`));
		}, this.budgets.stepTimeoutMs);
		if (this.signal.aborted) onRunAbort();
		else this.signal.addEventListener('abort', onRunAbort, { once: true });
		return {
			signal: controller.signal,
			timedOut: () => timedOut,
			done: () => {
				clearTimeout(timer);
				this.signal.removeEventListener('abort', onRunAbort);
			},
		};
	}

	elapsedMs(): number {
		return performance.now() - this.startedAt;
	}

	dispose(): void {
		clearTimeout(this.timer);
		this.outer?.removeEventListener('abort', this.onOuterAbort);
	}
}
