/**
 * Shared compute of one loaded model, after the runner's batch loop (runner/ollamarunner
 * `forwardBatch`, llama.cpp's server `update_slots`): all active sequences of a model advance
 * together, one forward step at a time. A step carries one token per decoding sequence plus
 * prompt tokens of sequences still in prefill, at most `numBatch` tokens in all (sequences taken
 * round-robin, so a long prompt does not starve the others), and costs
 *
 *     stepMs + decodeTokens x decodeTokenMs + promptTokens x prefillTokenMs
 *
 * so one stream alone decodes fastest, N streams share the GPU (sublinear aggregate), and a long
 * prompt in prefill slows every other stream's tokens while it runs.
 *
 * Time is virtual: a step ends at start + cost (performance.now() milliseconds); one timer per
 * model wakes the loop, and steps that ended while the event loop was busy are caught up at once,
 * so short steps (small time scales) cost no extra timers and reported durations stay exact.
 */
import { performance } from 'node:perf_hooks';

import { AbortedError, Timers } from './timers';

export interface StepCosts {
	/** fixed cost of a step, ms (already multiplied by the time scale) */
	stepMs: number;
	/** per decoding sequence, ms */
	decodeTokenMs: number;
	/** per prompt token, ms */
	prefillTokenMs: number;
	/** most tokens in one step */
	numBatch: number;
}

/** One request's work on the model: `prompt` tokens to prefill, then `generate` tokens. */
export class Sequence {
	promptLeft: number;
	genLeft: number;
	/** tokens generated so far */
	emitted = 0;
	addedAt = 0;
	/** start of the first step that carried this sequence */
	startedAt?: number;
	/** end of the step that finished its prompt */
	prefillDoneAt?: number;
	/** end of the step that produced its last token so far */
	lastTokenAt?: number;
	done = false;
	error?: Error;
	removed = false;
	private wake?: { resolve(): void; reject(e: Error): void };

	constructor(promptTokens: number, generateTokens: number) {
		this.promptLeft = Math.max(0, Math.floor(promptTokens));
		this.genLeft = Math.max(0, Math.floor(generateTokens));
	}

	/** Resolves at the next progress (a token, prefill done, done); rejects on error or abort. */
	changed(signal?: AbortSignal): Promise<void> {
		if (this.error) return Promise.reject(this.error);
		if (signal?.aborted) return Promise.reject(new AbortedError());
		return new Promise<void>((resolve, reject) => {
			const onAbort = () => reject(new AbortedError());
			signal?.addEventListener('abort', onAbort, { once: true });
			this.wake = {
				resolve: () => {
					signal?.removeEventListener('abort', onAbort);
					resolve();
				},
				reject: (e) => {
					signal?.removeEventListener('abort', onAbort);
					reject(e);
				},
			};
		});
	}

	/** Waits until the sequence is done (or failed). */
	async finished(signal?: AbortSignal): Promise<void> {
		while (!this.done) await this.changed(signal);
		if (this.error) throw this.error;
	}

	notify(): void {
		const w = this.wake;
		this.wake = undefined;
		if (!w) return;
		if (this.error) w.reject(this.error);
		else w.resolve();
	}
}

interface Take {
	seq: Sequence;
	tokens: number;
	decode: boolean;
}

interface Step {
	start: number;
	end: number;
	takes: Take[];
}

export class BatchEngine {
	private seqs: Sequence[] = [];
	private current?: Step;
	private timer?: NodeJS.Timeout;
	private next = 0;
	/** steps computed (for stats) */
	steps = 0;

	constructor(
		private readonly timers: Timers,
		private readonly costs: () => StepCosts,
		private readonly onStep?: () => void,
	) {}

	get size(): number {
		return this.seqs.length;
	}

	add(seq: Sequence): void {
		seq.addedAt = performance.now();
		if (seq.promptLeft === 0 && seq.genLeft === 0) {
			seq.startedAt = seq.prefillDoneAt = seq.lastTokenAt = seq.addedAt;
			seq.done = true;
			return;
		}
		this.seqs.push(seq);
		if (!this.current) {
			this.plan(seq.addedAt);
			this.arm();
		}
	}

	/** The client went away: its sequence leaves the batch at the next step. */
	remove(seq: Sequence): void {
		seq.removed = true;
		const i = this.seqs.indexOf(seq);
		if (i >= 0) this.seqs.splice(i, 1);
	}

	/** The runner died: every sequence fails with `error`. */
	failAll(error: Error): void {
		this.timers.cancel(this.timer);
		this.timer = undefined;
		this.current = undefined;
		const seqs = this.seqs;
		this.seqs = [];
		for (const s of seqs) {
			s.error = error;
			s.done = true;
			s.notify();
		}
	}

	private plan(start: number): void {
		this.current = undefined;
		if (this.seqs.length === 0) return;
		let eligible = this.seqs.filter((s) => s.addedAt <= start);
		if (eligible.length === 0) {
			start = Math.min(...this.seqs.map((s) => s.addedAt));
			eligible = this.seqs.filter((s) => s.addedAt <= start);
		}
		const c = this.costs();
		let budget = Math.max(1, Math.floor(c.numBatch));
		const takes: Take[] = [];
		let decodeTokens = 0;
		let promptTokens = 0;
		const n = eligible.length;
		const first = this.next % n;
		for (let k = 0; k < n && budget > 0; k++) {
			const seq = eligible[(first + k) % n];
			if (seq.promptLeft > 0) {
				const t = Math.min(seq.promptLeft, budget);
				takes.push({ seq, tokens: t, decode: false });
				promptTokens += t;
				budget -= t;
			} else if (seq.genLeft > 0) {
				takes.push({ seq, tokens: 1, decode: true });
				decodeTokens++;
				budget--;
			}
		}
		this.next = (first + 1) % Math.max(1, n);
		const cost = c.stepMs + decodeTokens * c.decodeTokenMs + promptTokens * c.prefillTokenMs;
		this.current = { start, end: start + Math.max(0, cost), takes };
	}

	private arm(): void {
		if (!this.current || this.timer) return;
		const delay = this.current.end - performance.now();
		this.timer = this.timers.after(Math.max(0, delay), () => {
			this.timer = undefined;
			this.tick();
		});
	}

	private tick(): void {
		const now = performance.now();
		const touched = new Set<Sequence>();
		while (this.current && this.current.end <= now + 0.05) {
			const step = this.current;
			this.apply(step, touched);
			this.plan(step.end);
		}
		for (const s of touched) s.notify();
		this.onStep?.();
		this.arm();
	}

	private apply(step: Step, touched: Set<Sequence>): void {
		this.steps++;
		for (const { seq, tokens, decode } of step.takes) {
			if (seq.removed || seq.done) continue;
			seq.startedAt ??= step.start;
			touched.add(seq);
			if (!decode) {
				seq.promptLeft -= tokens;
				if (seq.promptLeft <= 0) seq.prefillDoneAt = step.end;
			} else {
				seq.genLeft--;
				seq.emitted++;
				seq.lastTokenAt = step.end;
			}
			if (seq.promptLeft <= 0 && seq.genLeft <= 0) {
				seq.done = true;
				seq.lastTokenAt ??= step.end;
				const i = this.seqs.indexOf(seq);
				if (i >= 0) this.seqs.splice(i, 1);
			}
		}
	}

	stop(): void {
		this.timers.cancel(this.timer);
		this.timer = undefined;
		this.current = undefined;
		this.seqs = [];
	}
}
