/**
 * Model loading, memory and slot scheduling, after Ollama's server/sched.go, llm/server.go and the
 * runner's prompt cache (see README.md for the table of behaviours and their Ollama functions):
 *  - getRunner: a request for a model that is loaded with compatible runner options is handed the
 *    runner at once and waits there for a slot without limit (llm/server.go's semaphore). Any other
 *    request (cold model, model still loading, changed runner options) goes to the pending queue of
 *    size `maxQueue`; when it is full the request gets ErrMaxQueue (503). queueRule "legacy": every
 *    waiting request counts against maxQueue.
 *  - the pending queue is served one request at a time (processPending): hand over a usable runner,
 *    wait for a loading one, start a load when the model fits (VRAM budget, maxLoadedModels), else
 *    expire a runner (findRunnerToUnload order) and wait until it has drained and its memory is free.
 *  - a runner unloads when its last request finishes and its session (keep_alive) is 0 or it was
 *    chosen to make room / to be reloaded, else after its keep_alive.
 *  - each runner has `parallel` slots, each with a prompt (KV) cache: a request takes the free slot
 *    with the longest common prefix (LoadCacheSlot / findLongestCacheSlot).
 */
import { BatchEngine, StepCosts } from './compute';
import type { ResolvedModel } from './models';
import { AbortedError, Timers } from './timers';
import type { CostModel, LoadedModelInfo, SimStats } from './types';

export const ERR_MAX_QUEUE = 'server busy, please try again.  maximum pending requests exceeded';
/** llm/server.go (Completion / Embedding when the runner process is gone) */
export const ERR_RUNNER_STOPPED =
	'model runner has unexpectedly stopped, this may be due to resource limitations or an internal error, check ollama server logs for details';
/** llm/llama_server.go (WaitUntilRunning when the process exits during a load) */
export const ERR_LOAD_FAILED = 'llama-server process has terminated: exit status 1: error loading model: failed to load model';

export class MaxQueueError extends Error {
	constructor() {
		super(ERR_MAX_QUEUE);
	}
}

/** An error with the HTTP status Ollama answers it with (500 unless said otherwise). */
export class SchedError extends Error {
	constructor(
		message: string,
		readonly status = 500,
	) {
		super(message);
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
const GIB = 1024 ** 3;

/** format.HumanBytes2 */
export function humanBytes2(b: number): string {
	if (b >= GIB) return `${(b / GIB).toFixed(1)} GiB`;
	if (b >= 1024 ** 2) return `${(b / 1024 ** 2).toFixed(1)} MiB`;
	if (b >= 1024) return `${(b / 1024).toFixed(1)} KiB`;
	return `${Math.max(0, Math.round(b))} B`;
}

/** What a slot's KV cache holds: token ids (prompt + reply of its last sequence). */
export type CacheContent = readonly number[];

export interface CacheSlot {
	content?: CacheContent;
	inUse: boolean;
	lastUsed: number;
	/** tokens the slot holds (for /_sim/state) */
	tokens: number;
}

/** runner cache.go countCommonPrefix */
export function commonPrefix(a: CacheContent | undefined, b: CacheContent): number {
	if (!a) return 0;
	const n = Math.min(a.length, b.length);
	let i = 0;
	while (i < n && a[i] === b[i]) i++;
	return i;
}

/** runner cache.go findLongestCacheSlot: the free slot with the longest common prefix. */
function findLongestCacheSlot(slots: CacheSlot[], prompt?: CacheContent): { cache: CacheSlot; cached: number } {
	let best: CacheSlot | undefined;
	let bestLen = -1;
	for (const c of slots) {
		if (c.inUse) continue;
		const len = prompt ? commonPrefix(c.content, prompt) : 0;
		if (len > bestLen) {
			best = c;
			bestLen = len;
		}
	}
	return { cache: best ?? { inUse: false, tokens: 0, lastUsed: 0 }, cached: Math.max(0, bestLen) };
}

/**
 * runner cache.go findBestCacheSlot (OLLAMA_MULTIUSER_CACHE): reuse the longest-prefix slot only when
 * the prompt extends all of it; otherwise take the least recently used free slot and copy the prefix
 * into it, so one user's conversation does not overwrite another's.
 */
function findBestCacheSlot(slots: CacheSlot[], prompt?: CacheContent): { cache: CacheSlot; cached: number } {
	let longest = -1;
	let longestSlot: CacheSlot | undefined;
	let oldest: CacheSlot | undefined;
	for (const c of slots) {
		const len = prompt ? commonPrefix(c.content, prompt) : 0;
		if (len > longest) {
			longest = len;
			longestSlot = c;
		}
		if (!c.inUse && (!oldest || c.lastUsed < oldest.lastUsed)) oldest = c;
	}
	if (longestSlot && !longestSlot.inUse && longest === (longestSlot.content?.length ?? 0)) return { cache: longestSlot, cached: longest };
	if (!oldest) return findLongestCacheSlot(slots, prompt);
	return { cache: oldest, cached: Math.max(0, longest) };
}

export class Runner {
	state: 'loading' | 'ready' | 'unloaded' = 'loading';
	/** requests this runner was handed and that have not finished (sched.go refCount) */
	refCount = 0;
	/** slots in use */
	active = 0;
	/** chosen to be unloaded (eviction, reload, crash): unloads when refCount reaches 0 */
	draining = false;
	crashed = false;
	expiresAt = 0;
	expireTimer?: NodeJS.Timeout;
	lastUsed = Date.now();
	readonly slotWaiters: SlotWaiter[] = [];
	readonly cache: CacheSlot[];
	readonly engine: BatchEngine;
	readonly readyPromise: Promise<void>;
	markReady!: () => void;
	failReady!: (e: Error) => void;

	constructor(
		readonly model: ResolvedModel,
		readonly opts: RunnerOpts,
		public sessionMs: number,
		readonly numParallel: number,
		/** weights + KV cache */
		readonly sizeBytes: number,
		readonly vramBytes: number,
		timers: Timers,
		costs: () => StepCosts,
		onStep: () => void,
	) {
		this.cache = Array.from({ length: numParallel }, () => ({ inUse: false, tokens: 0, lastUsed: 0 }));
		this.engine = new BatchEngine(timers, costs, onStep);
		this.readyPromise = new Promise<void>((resolve, reject) => {
			this.markReady = resolve;
			this.failReady = reject;
		});
		this.readyPromise.catch(() => undefined);
	}

	get ready(): boolean {
		return this.state === 'ready';
	}
}

interface SlotWaiter {
	resolve(s: Slot): void;
	reject(e: Error): void;
	signal?: AbortSignal;
	onAbort?: () => void;
	content?: CacheContent;
}

/** A slot of a runner, with the KV cache slot LoadCacheSlot chose for the request. */
export interface Slot {
	grantedAt: bigint;
	cache: CacheSlot;
	/** prompt tokens already in that cache slot (common prefix; may equal the whole prompt) */
	cachedTokens: number;
	/** frees the slot; `content` is what its cache holds now (prompt + reply) */
	release(content?: CacheContent): void;
}

/** A runner handed to a request (sched.go useLoadedRunner); `release` when the request is done. */
export interface Handle {
	runner: Runner;
	/** process.hrtime.bigint() when the runner was handed over (load_duration ends here) */
	handedAt: bigint;
	/** whether this request waited for a load of the model */
	cold: boolean;
	/** wait at the runner for a slot (FIFO, no limit unless queueRule is "legacy") */
	acquireSlot(signal?: AbortSignal, content?: CacheContent): Promise<Slot>;
	release(): void;
}

interface Ticket {
	model: ResolvedModel;
	opts: RunnerOpts;
	keepAliveMs?: number;
	resolve(h: Handle): void;
	reject(e: Error): void;
	signal?: AbortSignal;
	onAbort?: () => void;
	cancelled: boolean;
	cold: boolean;
}

export interface SchedulerHost {
	options: CostModel;
	stats: SimStats;
	timers: Timers;
	defaultKeepAliveMs(): number;
	/** step costs of a model (time scale applied) */
	stepCosts(model: ResolvedModel, numBatch: number): StepCosts;
	/** consumes a loadFailNext fault; true when this load must fail */
	takeLoadFailure(): boolean;
}

export class Scheduler {
	/** sched.go `loaded`: loading and ready runners by model name */
	readonly runners = new Map<string, Runner>();
	private pending: Ticket[] = [];
	/** the pending loop waits for a load or an unload */
	private blocked = false;
	/** bytes of runners unloaded whose memory is not free yet */
	private unloadingBytes = 0;
	private unloadWaiters: Array<() => void> = [];
	private closed = false;

	constructor(private readonly host: SchedulerHost) {}

	private get opts(): CostModel {
		return this.host.options;
	}

	parallelFor(model: ResolvedModel): number {
		const p = model.kind === 'embedding' ? this.opts.embeddingParallel : this.opts.parallel;
		return Math.max(1, Math.floor(p || 1));
	}

	/** Bytes a runner of `model` needs: weights + KV cache of num_ctx x parallel tokens. */
	sizeFor(model: ResolvedModel, opts: RunnerOpts): number {
		const ctx = Math.min(opts.numCtx, model.contextLength);
		return model.size + model.kvBytesPerToken * ctx * this.parallelFor(model);
	}

	private slotWaiting(): number {
		let n = 0;
		for (const r of this.runners.values()) n += r.slotWaiters.length;
		return n;
	}

	private syncQueueStats(): void {
		const s = this.host.stats;
		s.queued = this.pending.length + this.slotWaiting();
		if (s.queued > s.maxQueued) s.maxQueued = s.queued;
	}

	private legacy(): boolean {
		return this.opts.queueRule === 'legacy';
	}

	/**
	 * sched.go getRunner: resolves with a handle once a runner of `model` with compatible `opts` is
	 * ready for the request. Rejects with MaxQueueError, SchedError (load failed) or AbortedError.
	 */
	getRunner(model: ResolvedModel, opts: RunnerOpts, keepAliveMs: number | undefined, signal?: AbortSignal): Promise<Handle> {
		if (signal?.aborted) return Promise.reject(new AbortedError());
		if (this.closed) return Promise.reject(new AbortedError('closed'));
		return new Promise<Handle>((resolve, reject) => {
			const t: Ticket = { model, opts, keepAliveMs, resolve, reject, signal, cancelled: false, cold: false };
			const r = this.runners.get(model.name);
			if (r && r.ready && !r.crashed && !needsReload(r.opts, opts)) {
				this.handOver(t, r);
				return;
			}
			// pendingReqCh: a buffered channel of maxQueue; the pending loop takes one request at a time
			const waiting = this.legacy() ? this.pending.length + this.slotWaiting() : this.pending.length;
			if ((this.blocked || this.pending.length > 0) && waiting >= Math.max(0, this.opts.maxQueue)) {
				this.host.stats.rejected503++;
				reject(new MaxQueueError());
				return;
			}
			t.cold = true;
			this.leaveOnAbort(t, this.pending, reject, () => (t.cancelled = true));
			this.pending.push(t);
			this.syncQueueStats();
			this.pump();
		});
	}

	/** When the waiter's signal aborts, it leaves `queue` and rejects with AbortedError. */
	private leaveOnAbort<W extends { signal?: AbortSignal; onAbort?: () => void }>(w: W, queue: W[], reject: (e: Error) => void, before?: () => void): void {
		if (!w.signal) return;
		w.onAbort = () => {
			before?.();
			const i = queue.indexOf(w);
			if (i >= 0) queue.splice(i, 1);
			this.syncQueueStats();
			reject(new AbortedError());
		};
		w.signal.addEventListener('abort', w.onAbort, { once: true });
	}

	private detach(t: Ticket): void {
		if (t.signal && t.onAbort) t.signal.removeEventListener('abort', t.onAbort);
	}

	private block(p: Promise<unknown>): void {
		this.blocked = true;
		const done = () => {
			this.blocked = false;
			if (!this.closed) this.pump();
		};
		p.then(done, done);
	}

	/** sched.go processPending, one pending request at a time. */
	private pump(): void {
		while (!this.blocked && !this.closed && this.pending.length > 0) {
			const t = this.pending[0];
			if (t.cancelled) {
				this.pending.shift();
				continue;
			}
			const name = t.model.name;
			const r = this.runners.get(name);
			let expire: Runner | undefined;
			if (r) {
				if (r.state === 'loading') {
					this.block(r.readyPromise);
					break;
				}
				if (r.crashed || needsReload(r.opts, t.opts)) {
					expire = r;
					if (!r.crashed) this.reloadedNames.add(name);
				} else {
					this.pending.shift();
					this.handOver(t, r);
					continue;
				}
			} else if (this.runners.size >= Math.max(1, this.opts.maxLoadedModels)) {
				expire = this.findRunnerToUnload();
			} else {
				const need = this.sizeFor(t.model, t.opts);
				const free = this.opts.vramGiB * GIB - this.usedVram() - this.unloadingBytes;
				if (need <= free) {
					this.pending.shift();
					this.startLoad(t, need, need);
					continue;
				}
				if (this.runners.size > 0) expire = this.findRunnerToUnload();
				else if (this.unloadingBytes > 0) {
					this.block(new Promise<void>((res) => this.unloadWaiters.push(res)));
					break;
				} else {
					// alone and still too big: llama.cpp offloads what does not fit to system memory
					this.pending.shift();
					const vram = Math.max(0, free);
					const cpu = need - vram;
					const ram = this.opts.systemMemoryGiB * GIB;
					if (cpu <= ram) this.startLoad(t, need, vram);
					else {
						this.detach(t);
						this.host.stats.loadFailures++;
						t.reject(new SchedError(`model requires more system memory (${humanBytes2(cpu)}) than is available (${humanBytes2(ram)})`));
					}
					continue;
				}
			}
			if (!expire) break; // nothing loaded and nothing to wait for (cannot happen)
			// expire it now or as soon as its requests are done, then wait for the unload
			expire.draining = true;
			expire.sessionMs = 0;
			this.host.timers.cancel(expire.expireTimer);
			expire.expireTimer = undefined;
			const unloaded = new Promise<void>((res) => this.unloadWaiters.push(res));
			if (expire.refCount === 0 && expire.state !== 'loading') this.unload(expire);
			this.block(unloaded);
			break;
		}
		this.syncQueueStats();
	}

	private usedVram(): number {
		let n = 0;
		for (const r of this.runners.values()) n += r.vramBytes;
		return n;
	}

	/** sched.go findRunnerToUnload: by session duration (negative = forever last), then name; idle first. */
	private findRunnerToUnload(): Runner | undefined {
		const list = [...this.runners.values()].sort((a, b) => {
			const da = a.sessionMs < 0 || !Number.isFinite(a.sessionMs) ? Infinity : a.sessionMs;
			const db = b.sessionMs < 0 || !Number.isFinite(b.sessionMs) ? Infinity : b.sessionMs;
			if (da !== db) return da < db ? -1 : 1;
			return a.model.name < b.model.name ? -1 : a.model.name > b.model.name ? 1 : 0;
		});
		return list.find((r) => r.refCount === 0 && r.state !== 'loading') ?? list[0];
	}

	private startLoad(t: Ticket, size: number, vram: number): void {
		const { model, opts } = t;
		const numParallel = this.parallelFor(model);
		const r: Runner = new Runner(
			model,
			opts,
			t.keepAliveMs ?? this.host.defaultKeepAliveMs(),
			numParallel,
			size,
			vram,
			this.host.timers,
			(): StepCosts => this.host.stepCosts(model, opts.numBatch),
			() => {
				this.host.stats.steps = this.totalSteps();
			},
		);
		this.runners.set(model.name, r);
		this.host.stats.loads++;
		if (this.reloadedNames.delete(model.name)) this.host.stats.reloads++;
		const fail = this.host.takeLoadFailure();
		const ms = (model.loadMs ?? this.opts.loadMs) * this.opts.timeScale;
		const done = () => {
			if (this.closed || this.runners.get(model.name) !== r) return;
			if (fail) {
				this.runners.delete(model.name);
				r.state = 'unloaded';
				this.host.stats.loadFailures++;
				const e = new SchedError(ERR_LOAD_FAILED);
				r.failReady(e);
				this.detach(t);
				t.reject(e);
				this.pump();
				return;
			}
			r.state = 'ready';
			r.markReady();
			this.handOver(t, r);
			this.pump();
		};
		if (ms > 0) this.host.timers.after(ms, done);
		else queueMicrotask(done);
	}

	/** names whose runner was expired for a reload (counted when the new runner loads) */
	private readonly reloadedNames = new Set<string>();

	private totalSteps(): number {
		return this.stepsOfUnloaded + [...this.runners.values()].reduce((n, r) => n + r.engine.steps, 0);
	}
	private stepsOfUnloaded = 0;

	/** sched.go useLoadedRunner */
	private handOver(t: Ticket, r: Runner): void {
		this.detach(t);
		if (t.cancelled) {
			if (r.refCount === 0) this.onIdle(r);
			return;
		}
		r.refCount++;
		this.host.timers.cancel(r.expireTimer);
		r.expireTimer = undefined;
		if (t.keepAliveMs !== undefined && !r.draining) r.sessionMs = t.keepAliveMs;
		r.lastUsed = Date.now();
		let released = false;
		const handle: Handle = {
			runner: r,
			handedAt: process.hrtime.bigint(),
			cold: t.cold,
			acquireSlot: (signal, content) => this.acquireSlot(r, signal, content),
			release: () => {
				if (released) return;
				released = true;
				r.refCount--;
				r.lastUsed = Date.now();
				if (r.refCount === 0) this.onIdle(r);
			},
		};
		t.resolve(handle);
	}

	private acquireSlot(r: Runner, signal?: AbortSignal, content?: CacheContent): Promise<Slot> {
		if (signal?.aborted) return Promise.reject(new AbortedError());
		return new Promise<Slot>((resolve, reject) => {
			const w: SlotWaiter = { resolve, reject, signal, content };
			if (r.active < r.numParallel && r.slotWaiters.length === 0) {
				this.grantSlot(r, w);
				return;
			}
			if (this.legacy() && this.pending.length + this.slotWaiting() >= Math.max(0, this.opts.maxQueue)) {
				this.host.stats.rejected503++;
				reject(new MaxQueueError());
				return;
			}
			this.leaveOnAbort(w, r.slotWaiters, reject);
			r.slotWaiters.push(w);
			this.syncQueueStats();
		});
	}

	private grantSlot(r: Runner, w: SlotWaiter): void {
		if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
		const s = this.host.stats;
		r.active++;
		s.active++;
		if (s.active > s.maxActive) s.maxActive = s.active;
		const { cache, cached: bestLen } = this.opts.multiUserCache ? findBestCacheSlot(r.cache, w.content) : findLongestCacheSlot(r.cache, w.content);
		cache.inUse = true;
		cache.lastUsed = Date.now();
		let released = false;
		w.resolve({
			grantedAt: process.hrtime.bigint(),
			cache,
			cachedTokens: Math.max(0, bestLen),
			release: (content) => {
				if (released) return;
				released = true;
				cache.inUse = false;
				if (content) {
					cache.content = content;
					cache.tokens = content.length;
				}
				r.active--;
				s.active--;
				const next = r.slotWaiters.shift();
				if (next) this.grantSlot(r, next);
				this.syncQueueStats();
			},
		});
	}

	private onIdle(r: Runner): void {
		if (this.runners.get(r.model.name) !== r || r.refCount > 0 || r.state !== 'ready') return;
		if (r.draining || r.crashed || r.sessionMs <= 0) {
			this.unload(r);
			this.pump();
			return;
		}
		this.host.timers.cancel(r.expireTimer);
		r.expireTimer = undefined;
		if (Number.isFinite(r.sessionMs)) {
			r.expiresAt = Date.now() + r.sessionMs;
			r.expireTimer = this.host.timers.after(r.sessionMs, () => {
				r.expireTimer = undefined;
				if (r.refCount === 0) {
					this.unload(r);
					this.pump();
				}
			});
		} else r.expiresAt = Date.now() + FOREVER_MS;
	}

	private unload(r: Runner): void {
		if (this.runners.get(r.model.name) !== r) return;
		this.host.timers.cancel(r.expireTimer);
		r.expireTimer = undefined;
		this.runners.delete(r.model.name);
		this.stepsOfUnloaded += r.engine.steps;
		r.engine.stop();
		r.state = 'unloaded';
		this.host.stats.unloads++;
		// waitForVRAMRecovery: the memory is free a little later
		const bytes = r.vramBytes;
		this.unloadingBytes += bytes;
		const freed = () => {
			this.unloadingBytes = Math.max(0, this.unloadingBytes - bytes);
			const waiters = this.unloadWaiters;
			this.unloadWaiters = [];
			for (const w of waiters) w();
			if (!this.blocked) this.pump();
		};
		const ms = this.opts.unloadDelayMs * this.opts.timeScale;
		if (ms > 0) this.host.timers.after(ms, freed);
		else queueMicrotask(freed);
	}

	/** The runner process died: in-flight requests fail, the next request loads the model again. */
	crash(r: Runner): void {
		if (r.crashed) return;
		r.crashed = true;
		r.draining = true;
		this.host.stats.crashes++;
		r.engine.failAll(new SchedError(ERR_RUNNER_STOPPED));
		for (const w of r.slotWaiters.splice(0)) {
			if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
			w.reject(new SchedError(ERR_RUNNER_STOPPED));
		}
		this.syncQueueStats();
		if (r.refCount === 0) this.onIdle(r);
	}

	/** keep_alive: 0 with an empty prompt: unload now, or as soon as the runner is idle. */
	expire(modelName: string): void {
		const r = this.runners.get(modelName);
		if (!r) return;
		r.sessionMs = 0;
		if (r.refCount === 0 && r.ready) this.unload(r);
		this.pump();
	}

	unloadAll(): void {
		for (const r of [...this.runners.values()]) {
			r.sessionMs = 0;
			if (r.refCount === 0 && r.ready) this.unload(r);
		}
		this.pump();
	}

	/** Re-evaluate the pending queue after live option changes (maxLoadedModels, vram, ...). */
	poke(): void {
		this.pump();
	}

	expiresAtOf(r: Runner): number {
		if (r.refCount > 0 || !r.ready || !r.expiresAt) return Date.now() + (Number.isFinite(r.sessionMs) && r.sessionMs >= 0 ? r.sessionMs : FOREVER_MS);
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
			parallel: r.numParallel,
			waiting: r.slotWaiters.length,
			size: r.sizeBytes,
			sizeVram: r.vramBytes,
			cachedTokens: r.cache.map((c) => c.tokens),
		}));
	}

	shutdown(): void {
		this.closed = true;
		for (const t of this.pending) {
			this.detach(t);
			t.reject(new AbortedError('closed'));
		}
		this.pending = [];
		for (const r of this.runners.values()) {
			this.host.timers.cancel(r.expireTimer);
			r.engine.stop();
			r.failReady(new AbortedError('closed'));
			for (const w of r.slotWaiters.splice(0)) w.reject(new AbortedError('closed'));
		}
		this.runners.clear();
		for (const w of this.unloadWaiters.splice(0)) w();
	}
}

export type SimulatorHostLike = SchedulerHost;
