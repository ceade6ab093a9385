/**
 * Model loading / slot scheduling, after Ollama's server/sched.go and the runner's slot semaphore:
 *  - each loaded model (runner) has `parallel` slots (embedding models `embeddingParallel`);
 *  - requests that cannot start wait in one FIFO queue (FIFO per model; a blocked model does not
 *    block other models); more than `maxQueue` waiting requests -> 503 ErrMaxQueue;
 *  - a request for a model that is not loaded loads it (`loadMs`), evicting an idle model when
 *    `maxLoadedModels` are loaded (or draining the least recently used busy one);
 *  - a request whose runner options differ from the loaded runner's waits until the runner is idle,
 *    then the model is reloaded (counted in stats.reloads);
 *  - after the last in-flight request of a runner finishes, it expires after its keep-alive
 *    (request `keep_alive`, which sticks to the runner like in Ollama, else OLLAMA_KEEP_ALIVE);
 *    0 unloads right away, negative keeps it forever.
 */
import type { ResolvedModel } from './models';
import { AbortedError, Timers } from './timers';
import type { CostModel, LoadedModelInfo, SimStats } from './types';

export const ERR_MAX_QUEUE = 'server busy, please try again.  maximum pending requests exceeded';

export class MaxQueueError extends Error {
	constructor() {
		super(ERR_MAX_QUEUE);
	}
}

/** Options that, like Ollama's api.Runner, require a reload when they change. */
export interface RunnerOpts {
	numCtx: number;
	numBatch: number;
	numGpu: number;
	mainGpu: number;
	numThread: number;
	useMmap: boolean | null;
}

export function runnerOptsKey(o: RunnerOpts): string {
	return JSON.stringify([o.numCtx, o.numBatch, o.numGpu, o.mainGpu, o.numThread, o.useMmap]);
}

/** Like sched.needsReload: a request asking for num_gpu < 0 ("auto") accepts any loaded num_gpu. */
export function needsReload(loaded: RunnerOpts, requested: RunnerOpts): boolean {
	const a = requested.numGpu < 0 ? { ...loaded, numGpu: -1 } : loaded;
	const b = requested.numGpu < 0 ? { ...requested, numGpu: -1 } : requested;
	return runnerOptsKey(a) !== runnerOptsKey(b);
}

const FOREVER_MS = 292 * 365.25 * 24 * 3600 * 1000;

export class Runner {
	active = 0;
	ready = false;
	draining = false;
	expiresAt = 0;
	expireTimer?: NodeJS.Timeout;
	lastUsed = Date.now();
	readonly readyPromise: Promise<void>;
	markReady!: () => void;
	failReady!: (e: Error) => void;

	constructor(
		readonly model: ResolvedModel,
		readonly opts: RunnerOpts,
		readonly optsKey: string,
		public sessionMs: number,
	) {
		this.readyPromise = new Promise<void>((resolve, reject) => {
			this.markReady = resolve;
			this.failReady = reject;
		});
		this.readyPromise.catch(() => undefined);
	}
}

export interface Grant {
	runner: Runner;
	/** process.hrtime.bigint() when the request got its slot */
	grantedAt: bigint;
	/** whether the runner was (still) loading when the request got it */
	cold: boolean;
	release(): void;
}

interface Ticket {
	model: ResolvedModel;
	opts: RunnerOpts;
	optsKey: string;
	keepAliveMs?: number;
	needSlot: boolean;
	resolve(g: Grant): void;
	reject(e: Error): void;
	signal?: AbortSignal;
	onAbort?: () => void;
}

export interface SchedulerHost {
	options: CostModel;
	stats: SimStats;
	timers: Timers;
	defaultKeepAliveMs(): number;
}

export class Scheduler {
	readonly runners = new Map<string, Runner>();
	private queue: Ticket[] = [];
	private readonly pendingReload = new Set<string>();

	constructor(private readonly host: SimulatorHostLike) {}

	private get opts(): CostModel {
		return this.host.options;
	}

	parallelOf(r: Runner): number {
		const p = r.model.kind === 'embedding' ? this.opts.embeddingParallel : this.opts.parallel;
		return Math.max(1, Math.floor(p || 1));
	}

	/**
	 * Wait for a runner of `model` with `opts` (and a slot when needSlot). Rejects with
	 * MaxQueueError when too many requests wait, AbortedError when `signal` aborts first.
	 */
	acquire(model: ResolvedModel, opts: RunnerOpts, keepAliveMs: number | undefined, needSlot: boolean, signal?: AbortSignal): Promise<Grant> {
		if (signal?.aborted) return Promise.reject(new AbortedError());
		return new Promise<Grant>((resolve, reject) => {
			const ticket: Ticket = { model, opts, optsKey: runnerOptsKey(opts), keepAliveMs, needSlot, resolve, reject, signal };
			if (signal) {
				ticket.onAbort = () => {
					const i = this.queue.indexOf(ticket);
					if (i >= 0) {
						this.queue.splice(i, 1);
						this.syncQueueStats();
						reject(new AbortedError());
						this.pump();
					}
				};
				signal.addEventListener('abort', ticket.onAbort, { once: true });
			}
			this.queue.push(ticket);
			this.pump();
			const i = this.queue.indexOf(ticket);
			if (i >= 0 && this.queue.length > Math.max(0, this.opts.maxQueue)) {
				this.queue.splice(i, 1);
				if (signal && ticket.onAbort) signal.removeEventListener('abort', ticket.onAbort);
				this.syncQueueStats();
				this.host.stats.rejected503++;
				reject(new MaxQueueError());
			}
		});
	}

	private syncQueueStats(): void {
		const s = this.host.stats;
		s.queued = this.queue.length;
		if (s.queued > s.maxQueued) s.maxQueued = s.queued;
	}

	private pump(): void {
		if (this.host.timers.closed) return;
		let changed = true;
		while (changed) {
			changed = false;
			const blocked = new Set<string>();
			for (let i = 0; i < this.queue.length; i++) {
				const t = this.queue[i];
				const name = t.model.name;
				if (blocked.has(name)) continue;
				const r = this.runners.get(name);
				if (r && !r.draining && !needsReload(r.opts, t.opts)) {
					if (!t.needSlot || r.active < this.parallelOf(r)) {
						this.queue.splice(i, 1);
						this.assign(t, r);
						changed = true;
						break;
					}
					blocked.add(name);
					continue;
				}
				if (r && !r.draining) {
					// runner options changed: let in-flight requests finish, then reload
					r.draining = true;
					this.pendingReload.add(name);
				}
				if (r) {
					if (r.active === 0 && r.ready) {
						this.unload(r);
						changed = true;
						break;
					}
					blocked.add(name);
					continue;
				}
				if (this.runners.size >= Math.max(1, this.opts.maxLoadedModels)) {
					const victim = this.idleVictim();
					if (victim) {
						this.unload(victim);
						changed = true;
						break;
					}
					if (![...this.runners.values()].some((x) => x.draining)) {
						const busy = [...this.runners.values()].filter((x) => x.ready).sort((a, b) => a.lastUsed - b.lastUsed)[0];
						if (busy) busy.draining = true;
					}
					blocked.add(name);
					continue;
				}
				this.queue.splice(i, 1);
				this.assign(t, this.load(t.model, t.opts, t.optsKey, t.keepAliveMs));
				changed = true;
				break;
			}
		}
		this.syncQueueStats();
	}

	private idleVictim(): Runner | undefined {
		return [...this.runners.values()]
			.filter((r) => r.ready && r.active === 0)
			.sort((a, b) => a.expiresAt - b.expiresAt || a.lastUsed - b.lastUsed)[0];
	}

	private load(model: ResolvedModel, opts: RunnerOpts, optsKey: string, keepAliveMs: number | undefined): Runner {
		const r = new Runner(model, opts, optsKey, keepAliveMs ?? this.host.defaultKeepAliveMs());
		this.runners.set(model.name, r);
		this.host.stats.loads++;
		if (this.pendingReload.delete(model.name)) this.host.stats.reloads++;
		const ms = (model.loadMs ?? this.opts.loadMs) * this.opts.timeScale;
		const done = () => {
			if (this.runners.get(model.name) !== r) return;
			r.ready = true;
			r.markReady();
			if (r.active === 0) this.onIdle(r);
			this.pump();
		};
		if (ms > 0) this.host.timers.after(ms, done);
		else queueMicrotask(done); // after the caller has assigned its slot

		return r;
	}

	private assign(t: Ticket, r: Runner): void {
		if (t.signal && t.onAbort) t.signal.removeEventListener('abort', t.onAbort);
		const s = this.host.stats;
		if (t.needSlot) {
			r.active++;
			s.active++;
			if (s.active > s.maxActive) s.maxActive = s.active;
		}
		this.host.timers.cancel(r.expireTimer);
		r.expireTimer = undefined;
		r.lastUsed = Date.now();
		if (t.keepAliveMs !== undefined) r.sessionMs = t.keepAliveMs;
		let released = false;
		const cold = !r.ready;
		t.resolve({
			runner: r,
			grantedAt: process.hrtime.bigint(),
			cold,
			release: () => {
				if (released) return;
				released = true;
				if (t.needSlot) {
					r.active--;
					s.active--;
				}
				r.lastUsed = Date.now();
				if (r.active === 0) this.onIdle(r);
				this.pump();
			},
		});
	}

	private onIdle(r: Runner): void {
		if (this.runners.get(r.model.name) !== r || !r.ready || r.active > 0) return;
		if (r.draining || r.sessionMs <= 0) {
			this.unload(r);
			return;
		}
		this.host.timers.cancel(r.expireTimer);
		r.expireTimer = undefined;
		if (Number.isFinite(r.sessionMs)) {
			r.expiresAt = Date.now() + r.sessionMs;
			r.expireTimer = this.host.timers.after(r.sessionMs, () => {
				r.expireTimer = undefined;
				if (r.active === 0) {
					this.unload(r);
					this.pump();
				}
			});
		} else {
			r.expiresAt = Date.now() + FOREVER_MS;
		}
	}

	private unload(r: Runner): void {
		if (this.runners.get(r.model.name) !== r) return;
		this.host.timers.cancel(r.expireTimer);
		r.expireTimer = undefined;
		this.runners.delete(r.model.name);
		this.host.stats.unloads++;
	}

	/** keep_alive: 0 with an empty prompt: unload now, or as soon as the runner is idle. */
	expire(modelName: string): void {
		const r = this.runners.get(modelName);
		if (!r) return;
		r.sessionMs = 0;
		if (r.active === 0 && r.ready) this.unload(r);
		this.pump();
	}

	unloadAll(): void {
		for (const r of [...this.runners.values()]) {
			r.sessionMs = 0;
			if (r.active === 0 && r.ready) this.unload(r);
		}
		this.pump();
	}

	/** Re-evaluate the queue after live option changes (parallel, maxLoadedModels, ...). */
	poke(): void {
		this.pump();
	}

	expiresAtOf(r: Runner): number {
		if (r.active > 0 || !r.ready || !r.expiresAt) return Date.now() + (Number.isFinite(r.sessionMs) ? r.sessionMs : FOREVER_MS);
		return r.expiresAt;
	}

	info(): LoadedModelInfo[] {
		return [...this.runners.values()].map((r) => ({
			name: r.model.name,
			state: r.ready ? 'ready' : 'loading',
			active: r.active,
			numCtx: r.opts.numCtx,
			expiresAt: new Date(this.expiresAtOf(r)).toISOString(),
			draining: r.draining,
		}));
	}

	shutdown(): void {
		for (const t of this.queue) {
			if (t.signal && t.onAbort) t.signal.removeEventListener('abort', t.onAbort);
			t.reject(new AbortedError('closed'));
		}
		this.queue = [];
		for (const r of this.runners.values()) {
			this.host.timers.cancel(r.expireTimer);
			r.failReady(new AbortedError('closed'));
		}
		this.runners.clear();
	}
}

export type SimulatorHostLike = SchedulerHost;
