import { latencyPercentiles, nearestRank, type LatencyPercentiles } from '../metrics/percentile';
import { LatencyWindow } from '../metrics/latency-window';
import type { QueueCounters } from '../metrics/snapshot';
import { onAbort as onAbortOf } from '../ollama/abort';
import { RequestAbortedError } from '../ollama/errors';
import type { Call, Lease, Router, Stage } from '../pipeline';
import { runAttempt } from './attempt';
import { QueueFullError, QueuedCallCancelledError, QueueTimeoutError } from './errors';
import { Heap } from './heap';
import { LengthPredictor } from './length-predictor';

export interface MultiBinOptions {
	/** Upper bounds (predicted output tokens) of every bin but the last. Default [64, 256, 1024]. */
	edges?: number[];
	/** How much later than its arrival a call of the next longer bin is ordered (ms). Default 2000. */
	penaltyMs?: number;
}

export interface SchedulerOptions {
	/** Most calls waiting at once; one more is rejected with QueueFullError (backpressure). Default 10,000. */
	maxQueue?: number;
	/** Longest a call may wait for a slot before it fails with QueueTimeoutError; 0 = no limit (default). */
	queueTimeoutMs?: number;
	/** A waiting call gains one priority level per this many ms, so nothing starves. Default 1000. */
	ageingMs?: number;
	/** Order waiting generation calls by predicted output length (short first, with ageing). Off by default. */
	multiBin?: boolean | MultiBinOptions;
	/** Static batching: a model's calls are released in waves of `size` (or what waited `maxWaitMs`, default 50). */
	staticBatch?: { size: number; maxWaitMs?: number };
}

export interface SchedulerStats extends QueueCounters {
	/** Queue wait of the last 1,024 dispatched attempts (ms). */
	waitMs: LatencyPercentiles;
	/**
	 * The scheduler's own added latency, last 1,024 dispatches (ms): from the moment a call could
	 * go (it arrived with a slot free, or a slot freed for it) to its hand-over to the next stage.
	 * Waiting for a slot and the backend's time are not in it.
	 */
	dispatchMs: { p50: number | null; p99: number | null; max: number | null };
}

interface Waiter {
	readonly call: Call;
	/** Larger runs sooner; a static key (see `orderKey`). */
	readonly key: number;
	readonly seq: number;
	readonly enqueuedAt: number;
	done: boolean;
	resolve(lease: Lease): void;
	reject(error: unknown): void;
}

interface WaitClass {
	heap: Heap<Waiter>;
	/** Live (not cancelled) waiters. */
	size: number;
	/** Static batching: dispatches left in the current wave. */
	budget: number;
	waveTimer?: NodeJS.Timeout;
}

/** p50, p99 and max (nearest rank), rounded to 1 µs; nulls when empty. */
function dispatchPercentiles(values: number[]): SchedulerStats['dispatchMs'] {
	const sorted = values.sort((a, b) => a - b);
	const round = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);
	return { p50: round(nearestRank(sorted, 50)), p99: round(nearestRank(sorted, 99)), max: round(nearestRank(sorted, 100)) };
}

const better = (a: Waiter, b: Waiter) => a.key > b.key || (a.key === b.key && a.seq < b.seq);

/**
 * Calls that share a model (and pinned backend) are interchangeable for the router's capacity,
 * so each such class is one ordered queue: when its best call finds no slot, none of it does.
 */
const classOf = (call: Call) => `${call.target?.name ?? ''}\u0000${call.kind}\u0000${call.request.model}`;

export type SchedulerStage = Stage & {
	readonly pending: number;
	readonly active: number;
	stats(): SchedulerStats;
	/** Queue waits (ms) of the last 1,024 dispatched attempts, oldest first (process metrics merge these). */
	waitSamples(): number[];
};

/**
 * Holds calls until the router has a backend slot for them, so extra calls wait here, where
 * they can be ordered, cancelled, timed out and measured, rather than in Ollama's queue.
 * Dispatch is continuous: whenever the router reports freed capacity the next waiting calls
 * start. A retryable failure (503) goes back to the front of the queue after the router's
 * backoff.
 */
export function createSchedulerStage(router: Router, options: SchedulerOptions = {}): SchedulerStage {
	const maxQueue = options.maxQueue ?? 10_000;
	const queueTimeoutMs = options.queueTimeoutMs ?? 0;
	const ageingMs = options.ageingMs ?? 1000;
	const multiBin = options.multiBin ? { edges: [64, 256, 1024], penaltyMs: 2000, ...(options.multiBin === true ? {} : options.multiBin) } : undefined;
	const staticBatch = options.staticBatch && options.staticBatch.size > 1 ? { maxWaitMs: 50, ...options.staticBatch } : undefined;
	const predictor = new LengthPredictor();
	const classes = new Map<string, WaitClass>();
	const waits = new LatencyWindow(1024);
	const dispatchDelays = new LatencyWindow(1024);
	/** When a queued call was given its slot (the slot freed): its dispatch delay counts from there. */
	const grantedAt = new WeakMap<Lease, number>();
	const counts = { waiting: 0, maxWaiting: 0, running: 0, dispatched: 0, rejectedFull: 0, timedOut: 0, aborted: 0, requeued: 0 };
	let seq = 0;
	let draining = false;
	let drainAgain = false;

	/** Priority levels are worth `ageingMs` of waiting each; a longer bin counts as arriving later; a requeued attempt goes first. */
	const orderKey = (call: Call, now: number, front: boolean): number => {
		if (front) return Number.MAX_VALUE;
		let key = (call.priority ?? 0) * ageingMs - now;
		if (multiBin) {
			const predicted = predictor.predict(call);
			let bin = 0;
			while (bin < multiBin.edges.length && predicted > multiBin.edges[bin]) bin++;
			key -= bin * multiBin.penaltyMs;
		}
		return key;
	};

	const classFor = (name: string): WaitClass => {
		let cls = classes.get(name);
		if (!cls) {
			cls = { heap: new Heap(better), size: 0, budget: 0 };
			classes.set(name, cls);
		}
		return cls;
	};

	/** Static batching: whether the class may dispatch now; arms the wave timer when it may not. */
	const gateOpen = (cls: WaitClass): boolean => {
		if (!staticBatch || cls.budget > 0) return true;
		if (cls.size >= staticBatch.size) {
			clearTimeout(cls.waveTimer);
			cls.waveTimer = undefined;
			cls.budget = staticBatch.size;
			return true;
		}
		if (!cls.waveTimer) {
			cls.waveTimer = setTimeout(() => {
				cls.waveTimer = undefined;
				cls.budget = Math.min(staticBatch.size, cls.size);
				drain();
			}, staticBatch.maxWaitMs);
			cls.waveTimer.unref?.();
		}
		return false;
	};

	const drainClass = (name: string, cls: WaitClass) => {
		for (;;) {
			const head = cls.heap.peek();
			if (!head) break;
			if (head.done) {
				cls.heap.pop();
				continue;
			}
			if (!gateOpen(cls)) break;
			let lease: Lease | undefined;
			try {
				lease = router.tryAcquire(head.call);
			} catch (error) {
				cls.heap.pop();
				leave(cls, head);
				head.reject(error);
				continue;
			}
			if (!lease) break;
			cls.heap.pop();
			leave(cls, head);
			if (staticBatch) cls.budget--;
			grantedAt.set(lease, performance.now());
			head.resolve(lease);
		}
		if (cls.heap.length === 0 && !cls.waveTimer) classes.delete(name);
	};

	function drain(): void {
		if (draining) {
			drainAgain = true;
			return;
		}
		draining = true;
		try {
			do {
				drainAgain = false;
				for (const [name, cls] of classes) drainClass(name, cls);
			} while (drainAgain);
		} finally {
			draining = false;
		}
	}
	const unsubscribe = router.onCapacity(drain);

	const leave = (cls: WaitClass, waiter: Waiter) => {
		waiter.done = true;
		cls.size--;
		counts.waiting--;
	};

	const enqueue = (call: Call, front: boolean, deadline: number): Promise<Lease> =>
		new Promise<Lease>((resolve, reject) => {
			const now = performance.now();
			if (counts.waiting >= maxQueue && !front) {
				counts.rejectedFull++;
				return reject(new QueueFullError(maxQueue));
			}
			const signal = call.options.signal;
			if (signal?.aborted) {
				counts.aborted++;
				return reject(new QueuedCallCancelledError());
			}
			const name = classOf(call);
			const cls = classFor(name);
			let timer: NodeJS.Timeout | undefined;
			let unlisten: (() => void) | undefined;
			const settle = () => {
				unlisten?.();
				clearTimeout(timer);
			};
			const giveUp = (error: unknown) => {
				if (waiter.done) return;
				leave(cls, waiter);
				settle();
				reject(error);
				// The cancelled waiter may have been the head that blocked a static wave or nothing at all; cheap to re-check.
				if (staticBatch) drain();
			};
			const onAbort = () => {
				counts.aborted++;
				giveUp(new QueuedCallCancelledError());
			};
			const waiter: Waiter = {
				call,
				key: orderKey(call, now, front),
				seq: seq++,
				enqueuedAt: now,
				done: false,
				resolve(lease) {
					settle();
					resolve(lease);
				},
				reject(error) {
					settle();
					reject(error);
				},
			};
			if (signal) unlisten = onAbortOf(signal, onAbort);
			if (deadline !== Infinity) {
				timer = setTimeout(() => {
					counts.timedOut++;
					giveUp(new QueueTimeoutError(call.queueTimeoutMs ?? queueTimeoutMs));
				}, Math.max(0, deadline - now));
			}
			cls.heap.push(waiter);
			cls.size++;
			counts.waiting++;
			if (counts.waiting > counts.maxWaiting) counts.maxWaiting = counts.waiting;
			drain();
		});

	const acquire = (call: Call, front: boolean, deadline: number): Lease | Promise<Lease> => {
		// Fast path: nothing of this class is waiting (so nobody is overtaken) and a slot is free.
		const cls = classes.size === 0 ? undefined : classes.get(classOf(call));
		if ((!cls || cls.size === 0) && !staticBatch && !call.options.signal?.aborted) {
			const lease = router.tryAcquire(call);
			if (lease) return lease;
		}
		return enqueue(call, front, deadline);
	};

	const sleep = (ms: number, signal?: AbortSignal, backend?: string) =>
		new Promise<void>((resolve, reject) => {
			const onAbort = () => {
				clearTimeout(timer);
				reject(new RequestAbortedError(backend ?? 'gateway queue'));
			};
			let unlisten: (() => void) | undefined;
			const timer = setTimeout(() => {
				unlisten?.();
				resolve();
			}, ms);
			if (signal?.aborted) return onAbort();
			if (signal) unlisten = onAbortOf(signal, onAbort);
		});

	return {
		name: 'scheduler',
		get pending() {
			return counts.waiting;
		},
		get active() {
			return counts.running;
		},
		stats: () => ({ ...counts, waitMs: latencyPercentiles(waits.values()), dispatchMs: dispatchPercentiles(dispatchDelays.values()) }),
		waitSamples: () => waits.values(),
		async handle(call, next) {
			const pinned = call.target;
			const timeoutMs = call.queueTimeoutMs ?? queueTimeoutMs;
			const deadline = timeoutMs > 0 ? performance.now() + timeoutMs : Infinity;
			for (let attempt = 1; ; attempt++) {
				const enqueued = performance.now();
				// A slot free now: go on in the same turn (an await would let the caller's other work run first).
				const acquired = acquire(call, attempt > 1, deadline);
				const lease = acquired instanceof Promise ? await acquired : acquired;
				const started = performance.now();
				waits.push(started - enqueued);
				dispatchDelays.push(started - (grantedAt.get(lease) ?? enqueued));
				call.trace.queueMs += started - enqueued;
				counts.dispatched++;
				counts.running++;
				try {
					// runs the attempt (maybe hedged, maybe taken back by the router) and releases its lease
					const result = await runAttempt(call, lease, next, router);
					counts.running--;
					if (multiBin && call.kind === 'chat') predictor.observe(call, (result as { evalCount?: number }).evalCount ?? -1);
					return result;
				} catch (error) {
					counts.running--;
					const delay = call.options.signal?.aborted ? undefined : router.retryDelay(call, error, attempt);
					if (delay === undefined) throw error;
					call.trace.retries++;
					counts.requeued++;
					call.target = pinned;
					await sleep(delay, call.options.signal, lease.backend.name);
				}
			}
		},
		async close() {
			unsubscribe();
			for (const cls of classes.values()) clearTimeout(cls.waveTimer);
			await router.close?.();
		},
	};
}
