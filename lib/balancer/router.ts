import { createHash } from 'node:crypto';

import type Redis from 'ioredis';

import type { AttemptOutcome, Backend, Call, Lease, Router } from '../pipeline';
import { BackendHttp, normalizeModel } from './backend-http';
import { BackendState, type AttemptRecord, type ModelOnBackend } from './backend-state';
import { choose, completionMs, expectedMs, nextInRotation, type Candidate } from './choose';
import { AttemptMovedError, canFailOver, isAborted, isBackendFailure, isBusy, isModelMissing, isMoved, isRunnerCrash, markedAfterFirstToken, retryAfterOf } from './errors';
import { HedgeBudget, hedgeable, hedgeDelay } from './hedge';
import { snapshotOf, type BackendHealth } from './health';
import { LearnedLimit } from './learned-limit';
import { closeLoadGate, gatedCapacity, isLoadQueueFull, openLoadGate } from './loading';
import { resolveOptions, type ResolvedOptions, type RouterOptions, type Strategy } from './options';
import { prefixChain, type PrefixChain } from './prefix';
import { SharedState, type LocalView, type RemoteView } from './shared-state';

/** A load gate that no call of ours got through (another model's or worker's load) opens after this. */
const UNSEEN_LOAD_RECHECK_MS = 1000;
/** How long a 404 keeps a backend out of a model's rotation before it is tried again. */
const MISSING_MS = 60_000;
const PULL_TIMEOUT_MS = 30 * 60_000;
/** End of a burst: how much faster (decode rate) a backend must be for a call to wait for it. */
const FASTER = 1.5;
/** ...and how long a call must be expected to take there for waiting to be worth it. */
const MIN_HOLD_MS = 50;
/** An idle backend's average older than this many of the best fresh call times (and STALE_MS) is measured again. */
const STALE_CALLS = 4;
const STALE_MS = 1000;

/** What the balancer remembers about one call across its attempts. */
interface CallState {
	firstSeen: number;
	/** Round-robin strategies: the backend this call was dealt. */
	dealt?: BackendState;
	/** Backends this call failed on (failover goes elsewhere first). */
	failed: Set<string>;
	last?: AttemptOutcome;
	chain?: PrefixChain | null;
	/** When a full load queue first refused this call: it waits for the load until `loadWaitMs` after. */
	refusedAt?: number;
}

/** The Router the scheduler asks, plus what the Load Balancer node reads and does. */
export interface BalancerRouter extends Router {
	readonly strategy: Strategy;
	/** Calls in flight on a backend (all models, every worker when shared). */
	inFlight(name: string): number;
	/** The slots the balancer uses for a backend and model now (configured, or learned). */
	slots(name: string, model: string, kind?: Call['kind']): number;
	/** Where the call would go now, without taking a slot (Select Backend). */
	select(call: Call): Backend | undefined;
	health(): BackendHealth[];
	/** Probes every backend now (also runs on the health interval). */
	probe(): Promise<void>;
	/** Shares in-flight counts, circuits, learned limits and the prefix table through Redis. */
	share(redis: Redis): void;
	readonly shared: boolean;
	/** Pulls a model on a backend (`POST /api/pull`). */
	pull(name: string, model: string): Promise<void>;
	/** Small requests beside the call path (probes, pulls, Send Request), with the cluster's auth. */
	readonly http: BackendHttp;
	/** Calls sent (not hedges) and hedges sent since the start: hedges stay within the budget's share. */
	hedgeStats(): { sent: number; hedges: number };
}

/**
 * Chooses the backend for each call and owns every backend's capacity: slots (configured or
 * learned) plus look-ahead per backend and model, only slots while a model is cold there,
 * health (probes, passive errors, a circuit breaker per backend, Retry-After) and failover.
 * The scheduler waits; this decides where.
 */
export function createRouter(backends: Backend[], options: RouterOptions = {}): BalancerRouter {
	if (backends.length === 0) throw new Error('An Ollama cluster needs at least one backend');
	const o: ResolvedOptions = resolveOptions(options);
	const now = options.now ?? Date.now;
	const states = backends.map((b) => new BackendState(b, o.failureThreshold, o.cooldownMs));
	const byName = new Map(states.map((s) => [s.name, s]));
	const calls = new WeakMap<Call, CallState>();
	const listeners = new Set<() => void>();
	const http = new BackendHttp({ apiKey: options.apiKey, headers: options.headers, allowSelfSigned: options.allowSelfSigned });
	const timers = new Set<NodeJS.Timeout>();
	let picks = 0;
	let sent = 0;
	let closed = false;
	let shared: SharedState | undefined;
	let probing: Promise<void> | undefined;
	let tailWakeAt = 0;
	const hedges = new HedgeBudget(o.hedgeRatio);
	/** Leases handed out as hedges (they earn no hedge budget). */
	const hedgeLeases = new WeakSet<Lease>();
	/** A cluster of one has nowhere to move a call or send a hedge. */
	const several = states.length > 1;

	const notify = () => {
		for (const listener of [...listeners]) listener();
	};
	/** Wakes the scheduler when something time-based changes (a cooldown ends, Retry-After passes). */
	const wakeAt = (at: number) => {
		if (closed) return;
		const timer = setTimeout(() => {
			timers.delete(timer);
			notify();
		}, Math.max(0, at - now()) + 1);
		timer.unref();
		timers.add(timer);
	};

	/**
	 * Prefix-aware routing (default strategy) needs a backend to choose: with one, hashing every
	 * prompt's prefix would only cost CPU.
	 */
	const prefixRouting = o.strategy === 'default' && states.length > 1;

	const modelOf = (call: Call) => normalizeModel(call.request.model ?? '');
	const callState = (call: Call): CallState => {
		let cs = calls.get(call);
		if (!cs) {
			cs = { firstSeen: now(), failed: new Set() };
			calls.set(call, cs);
		}
		return cs;
	};
	const chainOf = (call: Call, cs: CallState) => {
		if (cs.chain === undefined) cs.chain = prefixChain(call, o.prefixBlockChars) ?? null;
		return cs.chain ?? undefined;
	};

	const slotsOf = (s: BackendState, m: ModelOnBackend, kind: Call['kind']): number => {
		// Ollama loads embedding models with one slot whatever OLLAMA_NUM_PARALLEL says.
		if (kind === 'embed') return 1;
		if (s.configuredSlots > 0) return s.configuredSlots;
		m.learned ??= new LearnedLimit(o.initialLearnedSlots, o.maxLearnedSlots);
		return m.learned.value;
	};
	/** Slots plus look-ahead once the model is up; only slots while it loads (a cold burst never meets Ollama's load queue). */
	const capacityOf = (s: BackendState, m: ModelOnBackend, slots: number) => {
		if (s.circuit.state === 'halfOpen') return 1;
		return gatedCapacity(m, m.ready ? slots + o.lookAhead : slots);
	};
	/** The model is up on that backend (first token, reply, probe): a closed load gate opens to its slots. */
	const loadEnded = (m: ModelOnBackend) => {
		m.ready = true;
		if (openLoadGate(m)) notify();
	};
	/** Room for one more call: a slot lease this worker holds in Redis when shared (atomic across workers), else the local count. */
	const hasRoom = (s: BackendState, m: ModelOnBackend, model: string, capacity: number) => shared?.admits(key(s, model), m.inFlight, capacity) ?? m.totalInFlight < capacity;
	const healthy = (s: BackendState, t: number) => t >= s.retryAfterUntil && t >= s.remoteOpenUntil && s.circuit.allows(t);
	const missing = (m: ModelOnBackend | undefined, t: number) => m !== undefined && m.missingUntil > t;

	const placementOf = (s: BackendState, m: ModelOnBackend, model: string, slots: number, cs: CallState, t: number, alone: boolean): number | undefined => {
		if (m.loaded) return m.totalInFlight < slots ? 0 : 2;
		const others = s.othersLoaded(model);
		if (others.length === 0 || s.maxModelsSeen > others.length) return 1;
		const busy = others.some(([, other]) => other.totalInFlight > 0 || t - other.lastUsed < o.idleEvictMs);
		if (!busy) return 3;
		// With no other backend to wait for, waiting only delays: Ollama itself decides whether
		// both models fit (it often does) or which one to unload.
		if (alone || t - cs.firstSeen >= o.evictAfterMs) return 4;
		wakeAt(cs.firstSeen + o.evictAfterMs);
		return undefined;
	};

	/** The backends this call may use at all, or a throw when none ever can. */
	const eligible = (call: Call, model: string, t: number): BackendState[] => {
		const withModel = states.filter((s) => !missing(s.models.get(model), t));
		if (withModel.length === 0) {
			if (states.some((s) => s.models.get(model)?.pulling)) return [];
			throw Object.assign(
				new Error(`Model "${call.request.model}" is not available on any backend of the cluster (every backend answered 404); pull it first${o.pullMissing ? '' : ' or turn on Pull Missing Models'}`),
				{ code: 'MODEL_NOT_FOUND', model: call.request.model },
			);
		}
		const up = withModel.filter((s) => healthy(s, t));
		// Every backend down: let calls through anyway, so they fail with the backends' own errors
		// within the retry budget instead of waiting for ever.
		return up.length ? up : withModel.filter((s) => !(s.circuit.state === 'halfOpen' && s.circuit.trial));
	};

	const candidatesFor = (call: Call, cs: CallState, model: string, t: number, pool: BackendState[]): Candidate[] => {
		const chain = prefixRouting ? chainOf(call, cs) : undefined;
		const candidates: Candidate[] = [];
		/** Prefix each loaded candidate's slot caches hold, for affinity beyond what they all hold. */
		let matches: number[] | undefined;
		for (const s of pool) {
			const m = s.model(model);
			const slots = slotsOf(s, m, call.kind);
			if (!hasRoom(s, m, model, capacityOf(s, m, slots))) continue;
			let placement = 0;
			if (o.strategy === 'default') {
				const p = placementOf(s, m, model, slots, cs, t, pool.length === 1);
				if (p === undefined) continue;
				placement = p;
				if (chain && (placement === 0 || placement === 2)) (matches ??= [])[candidates.length] = m.cache.match(chain);
			}
			candidates.push({ state: s, model: m, slots, placement, affinity: 0 });
		}
		if (o.strategy === 'default') markStale(candidates, t);
		if (matches) {
			// What every loaded backend with room holds (often a shared system prompt) saves nothing
			// anywhere; only the rest is worth a pull, and only a free slot may take it (bounded).
			let shared = Infinity;
			for (const matched of matches) if (matched !== undefined) shared = Math.min(shared, matched);
			candidates.forEach((c, i) => {
				const beyond = (matches![i] ?? 0) - shared;
				if (c.placement === 0 && beyond >= o.minPrefixChars) c.affinity = beyond;
			});
		}
		return candidates;
	};

	/**
	 * Marks idle loaded candidates whose average is older than a few of the best fresh call times
	 * (at least STALE_MS), or that rests on a first call only: the others took every call meanwhile,
	 * so the average cannot correct itself. The call that tries it restarts its average (`remeasure`).
	 */
	const markStale = (candidates: Candidate[], t: number) => {
		if (candidates.length < 2) return;
		let best = Infinity;
		for (const c of candidates) {
			const d = expectedMs(c.model);
			if (d > 0 && !c.model.remeasure && t - c.model.lastUsed <= STALE_MS) best = Math.min(best, d);
		}
		if (best === Infinity) return;
		const horizon = Math.max(STALE_MS, STALE_CALLS * best);
		for (const c of candidates) {
			const m = c.model;
			if (c.placement === 0 && m.totalInFlight === 0 && m.ready && expectedMs(m) > best && (m.remeasure || t - m.lastUsed > horizon)) c.stale = true;
		}
	};

	const pick = (call: Call, cs: CallState): Candidate | undefined => {
		const t = now();
		const model = modelOf(call);
		if (call.target) {
			const s = states.find((x) => x.backend === call.target);
			if (!s) throw new Error(`Backend "${call.target.name}" is not part of this cluster`);
			const m = s.model(model);
			const slots = slotsOf(s, m, call.kind);
			return hasRoom(s, m, model, capacityOf(s, m, slots)) ? { state: s, model: m, slots, placement: 0, affinity: 0 } : undefined;
		}
		const all = eligible(call, model, t);
		const fresh = all.filter((s) => !cs.failed.has(s.name));
		const pool = fresh.length ? fresh : all;
		if (o.strategy === 'roundRobin' || o.strategy === 'weightedRoundRobin') {
			// Dealt once, like nginx: the call then waits for its backend even if another is free.
			if (!cs.dealt || !pool.includes(cs.dealt)) cs.dealt = nextInRotation(pool, o.strategy === 'weightedRoundRobin');
			return cs.dealt ? candidatesFor(call, cs, model, t, [cs.dealt])[0] : undefined;
		}
		const best = choose(o.strategy, candidatesFor(call, cs, model, t, pool));
		return best && o.strategy === 'default' && fasterFinishes(best, model, pool, t) ? undefined : best;
	};

	/**
	 * End of a burst (default strategy): whether the faster backends, full now, would finish every
	 * call still waiting before `best` (a slower backend with room) finishes this one. Then starting
	 * it there only lengthens the run (the classic slow-server threshold): the call waits and takes
	 * the next faster slot. Needs the queue length (`waiting`) and durations and decode rates
	 * measured on this traffic; a faster backend counts only while it keeps answering, so a stalled
	 * one cannot hold calls back.
	 */
	const fasterFinishes = (best: Candidate, model: string, pool: BackendState[], t: number): boolean => {
		if (!o.holdForFaster || !options.waiting || best.affinity > 0 || (best.placement !== 0 && best.placement !== 2)) return false;
		const mine = completionMs(best);
		const myRate = best.model.decodeTokensPerSec.value;
		// a call of a few ms finishes about as soon wherever it goes: holding it would only stall the queue
		if (!(mine >= MIN_HOLD_MS) || myRate === undefined) return false;
		let rate = 0;
		let soonest = Infinity;
		let stale = Infinity;
		for (const s of pool) {
			if (s === best.state) continue;
			const m = s.models.get(model);
			if (!m?.ready) continue;
			const d = expectedMs(m);
			// only a clearly faster server (decode rate per token, which the prompt and reply lengths
			// of the calls measured do not sway as they sway durations) is worth waiting for
			if (!(d > 0) || !((m.decodeTokensPerSec.value ?? 0) >= FASTER * myRate)) continue;
			const slots = slotsOf(s, m, 'chat');
			// the next call there goes into the look-ahead place: a share of a call's time later
			const finish = o.lookAhead > 0 ? d + d / slots : d;
			if (finish >= mine) continue;
			const fresh = m.lastUsed + Math.max(1000, 4 * d);
			if (fresh <= t) continue;
			stale = Math.min(stale, fresh);
			rate += slots / d;
			soonest = Math.min(soonest, finish);
		}
		if (rate === 0) return false;
		const queued = Math.max(1, options.waiting());
		if (queued / rate + soonest >= mine) return false;
		// look again when a faster backend would stop counting (it may have stalled)
		if (!(tailWakeAt > t && tailWakeAt <= stale)) {
			tailWakeAt = stale;
			wakeAt(stale);
		}
		return true;
	};

	const lease = (call: Call, cs: CallState, c: Candidate, hedge = false): Lease => {
		const { state: s, model: m } = c;
		const t = now();
		const model = modelOf(call);
		m.inFlight++;
		s.requests++;
		s.lastPick = ++picks;
		if (s.circuit.state === 'halfOpen') s.circuit.trial = true;
		if (c.stale) m.remeasure = true;
		if (!m.loaded) {
			m.loaded = true;
			m.ready = false;
		}
		const record: AttemptRecord = { seq: ++sent, sentAt: t, warm: m.ready };
		const position = m.totalInFlight;
		m.attempts.push(record);
		shared?.changed();
		// a pinned call fills that backend's slot cache as much as a routed one
		const chain = prefixRouting ? chainOf(call, cs) : undefined;
		if (chain) {
			m.cache.record(chain, c.slots);
			shared?.routed({ backend: s.name, model, chain });
		}
		let released = false;
		const granted: Lease = {
			backend: s.backend,
			cancellable: several,
			started() {
				if (!released) loadEnded(m);
			},
			release(outcome: AttemptOutcome) {
				if (released) return;
				released = true;
				s.live.delete(granted);
				m.inFlight--;
				record.endedAt = now();
				record.ok = outcome.ok;
				cs.last = outcome;
				s.circuit.trial = false;
				if (outcome.ok) succeeded(s, m, call, record, position, outcome);
				else failed(s, m, model, cs, outcome.error);
				// every call that got through a closed load gate has ended: nothing of ours waits for that load any more
				if (m.loadGate && m.loadGate.admitted > 0 && m.inFlight === 0) openLoadGate(m);
				pruneAttempts(m, record.endedAt);
				shared?.changed();
				notify();
			},
		};
		if (several) {
			s.live.add(granted);
			if (hedge) hedgeLeases.add(granted);
			else hedges.earn();
		}
		return granted;
	};

	/**
	 * The backend is now known to be unhealthy (a probe got no answer, its circuit opened): every
	 * attempt there is taken back at once instead of waiting for its first-token (10 min) or idle
	 * (2 min) timeout. One that has sent nothing to its caller goes elsewhere (`retryDelay`); one
	 * whose caller already shows part of the reply ends with a clear error (a restart would repeat it).
	 */
	const moveOff = (s: BackendState, why: string) => {
		for (const granted of [...s.live]) granted.cancel?.(new AttemptMovedError(s.name, why));
	};

	const succeeded = (s: BackendState, m: ModelOnBackend, call: Call, record: AttemptRecord, position: number, outcome: AttemptOutcome) => {
		const t = record.endedAt ?? now();
		if (s.circuit.success()) shared?.circuitClosed(s.name);
		s.errorRate.add(0);
		openLoadGate(m);
		m.ready = true;
		m.lastUsed = t;
		m.missingUntil = 0;
		const r = (outcome.result ?? {}) as { latencyMs?: number; totalMs?: number; evalMs?: number; evalCount?: number; loadMs?: number; promptEvalMs?: number };
		const ttft = outcome.firstTokenMs ?? (typeof r.latencyMs === 'number' && typeof r.evalMs === 'number' ? r.latencyMs - r.evalMs : undefined);
		if (r.evalCount && r.evalMs && r.evalMs > 0) m.decodeTokensPerSec.add((r.evalCount / r.evalMs) * 1000);
		// Latency averages only from calls that found the model loaded (a cold load says nothing about
		// the next call), and the call's time only from calls sent into a free slot: its service time,
		// without a wait in the server's queue (strategies add the expected wait themselves).
		if (!record.warm) return;
		if (outcome.durationMs > 0 && position <= slotsOf(s, m, call.kind)) {
			if (m.remeasure) {
				// an out-of-date average restarts from this call
				m.remeasure = false;
				m.durationMs.value = undefined;
				m.ttftMs.value = undefined;
			}
			// the first warm call on a backend is often slow (tokenizer, kernels, caches): the second restarts the average
			else if (m.durationMs.value === undefined) m.remeasure = true;
			m.durationMs.add(outcome.durationMs);
		}
		if (ttft === undefined) return;
		m.ttftMs.add(ttft);
		m.ttftWindow.add(ttft);
		const firstAt = record.sentAt + ttft;
		// Others still running a margin after this call's first token ran beside it (the one whose
		// end freed a slot for it ends about when it starts, give or take the client's lag).
		const learning = m.learned !== undefined && s.configuredSlots === 0 && call.kind === 'chat';
		// (a scan of the records: only when something reads it)
		if (position !== 1 && !learning) return;
		const margin = Math.max(5, 0.1 * (m.durationMs.value ?? 0));
		let concurrent = 0;
		for (const a of m.attempts) if (a.seq < record.seq && (a.endedAt === undefined || a.endedAt > firstAt + margin)) concurrent++;
		if (concurrent === 0 && position === 1) m.aloneTtftMs.add(ttft);
		if (!learning || !m.learned) return;
		// Time spent waiting for a slot: as the client saw it (first token minus load and prefill) and
		// as the server accounts it (total minus load, prefill and decode). A stall on either side
		// inflates only its own view, so the smaller one is taken.
		let queueMs: number | undefined;
		if (typeof r.promptEvalMs === 'number') {
			queueMs = ttft - (r.loadMs ?? 0) - r.promptEvalMs;
			if (typeof r.totalMs === 'number' && r.totalMs > 0) queueMs = Math.min(queueMs, r.totalMs - (r.loadMs ?? 0) - r.promptEvalMs - (r.evalMs ?? 0));
		} else if (m.aloneTtftMs.value !== undefined) queueMs = ttft - 2 * m.aloneTtftMs.value;
		if (queueMs === undefined) return;
		// A call that really queued waited for part of another's generation, not one step.
		const threshold = Math.max(20, 0.25 * ((m.durationMs.value ?? 0) - (m.ttftMs.value ?? 0)));
		if (m.learned.observe({ position, concurrent, queued: queueMs > threshold }, Date.now())) notify();
	};

	const failed = (s: BackendState, m: ModelOnBackend, model: string, cs: CallState, error: unknown) => {
		const t = now();
		if (isAborted(error)) return;
		if (isModelMissing(error)) {
			m.missingUntil = t + MISSING_MS;
			m.loaded = false;
			m.ready = false;
			if (o.pullMissing) startPull(s, m, model);
			return;
		}
		if (canFailOver(error)) cs.failed.add(s.name);
		// taken back from an unhealthy backend: the probe or the circuit already counted that
		if (isMoved(error)) return;
		if (isLoadQueueFull(error)) {
			cs.refusedAt ??= t;
			const gate = closeLoadGate(m, t);
			if (gate.admitted === 0) {
				// Nothing of ours got through (another model's load, another worker's calls): no first
				// token will tell when it ends, so look again a little later.
				const since = gate.since;
				const timer = setTimeout(() => {
					timers.delete(timer);
					if (m.loadGate?.since === since && openLoadGate(m)) notify();
				}, UNSEEN_LOAD_RECHECK_MS);
				timer.unref();
				timers.add(timer);
			}
			return;
		}
		const retryAfter = retryAfterOf(error);
		if (retryAfter !== undefined) {
			s.retryAfterUntil = t + retryAfter;
			wakeAt(s.retryAfterUntil);
		}
		if (isBusy(error)) return;
		if (isRunnerCrash(error)) {
			m.loaded = false;
			m.ready = false;
		}
		if (!isBackendFailure(error)) return;
		s.errors++;
		s.errorRate.add(1);
		s.lastError = (error as Error)?.message;
		if (s.circuit.failure(t)) {
			shared?.circuitOpened(s.name, s.circuit.reopensAt);
			wakeAt(s.circuit.reopensAt);
			moveOff(s, 'failed repeatedly (circuit open)');
		}
	};

	/**
	 * Drops records that ended over a minute ago (at most 256 kept). Only once the list has doubled
	 * since the last prune: amortised O(1) per call, where pruning at every release past 64 records
	 * re-filtered up to 256 of them per call.
	 */
	const pruneAttempts = (m: ModelOnBackend, t: number) => {
		if (m.attempts.length < m.pruneAttemptsAt) return;
		const keep = m.attempts.filter((a) => a.endedAt === undefined || t - a.endedAt < 60_000);
		m.attempts.splice(0, m.attempts.length, ...keep.slice(-256));
		m.pruneAttemptsAt = Math.max(64, 2 * m.attempts.length);
	};

	const startPull = (s: BackendState, m: ModelOnBackend, model: string) => {
		if (m.pulling) return;
		m.pulling = http
			.pull(s.backend.backend, model, PULL_TIMEOUT_MS)
			.then(() => {
				m.missingUntil = 0;
			})
			.catch((error: Error) => {
				s.lastError = error.message;
			})
			.finally(() => {
				m.pulling = undefined;
				notify();
			});
	};

	/** Whether the probe answered (`ok`), got no answer at all (`silent`), or an error status. */
	type ProbeResult = 'ok' | 'silent' | 'error';
	const probeOne = async (s: BackendState): Promise<ProbeResult> => {
		// Probes are cheap and off the request path, so an open circuit is probed too: a probe that
		// succeeds closes it at once (a restarted backend takes traffic within one interval); one that
		// fails keeps it open without lengthening the cooldown (that is for failed real calls).
		try {
			const running = await http.runningModels(s.backend.backend, o.probeTimeoutMs);
			s.lastProbeOk = true;
			if (s.applyProbe(running, now())) notify();
			s.remoteOpenUntil = 0;
			if (s.circuit.success()) {
				shared?.circuitClosed(s.name);
				notify();
			}
			return 'ok';
		} catch (error) {
			s.lastProbeOk = false;
			s.lastError = (error as Error).message;
			const retryAfter = (error as { retryAfterMs?: number }).retryAfterMs;
			if (retryAfter !== undefined) s.retryAfterUntil = now() + retryAfter;
			const silent = (error as { status?: number }).status === undefined;
			if (s.circuit.state === 'closed' && s.circuit.failure(now())) {
				shared?.circuitOpened(s.name, s.circuit.reopensAt);
				wakeAt(s.circuit.reopensAt);
				moveOff(s, 'failed its health probes (circuit open)');
			}
			return silent ? 'silent' : 'error';
		} finally {
			s.lastProbeAt = now();
		}
	};
	/**
	 * A probe that got no answer at all while another backend's probe of the same round answered:
	 * that backend is down or hung (Ollama answers /api/ps even while it loads a model). Its circuit
	 * opens now and everything running there is taken back (`moveOff`). When no probe of the round
	 * answered, the fault is as likely ours (this process's event loop held past the probe timeout,
	 * the network): only the usual failure count applies.
	 */
	const judgeRound = (results: ProbeResult[]) => {
		if (closed || !results.includes('ok')) return;
		results.forEach((result, i) => {
			if (result !== 'silent') return;
			const s = states[i];
			if (s.circuit.trip(now())) {
				shared?.circuitOpened(s.name, s.circuit.reopensAt);
				wakeAt(s.circuit.reopensAt);
			}
			moveOff(s, 'did not answer its health probe');
		});
	};
	const probeAll = () => {
		probing ??= Promise.all(states.map(probeOne))
			.then(judgeRound)
			.finally(() => (probing = undefined));
		return probing;
	};
	// Probes run beside the call path, only for a real cluster (one backend has nowhere else to go;
	// the Health operation probes it on demand).
	let prober: NodeJS.Timeout | undefined;
	if (o.healthIntervalMs > 0 && states.length > 1) {
		prober = setInterval(() => void probeAll(), o.healthIntervalMs);
		prober.unref();
	}

	const key = (s: BackendState, model: string) => `${s.name}\u0000${model}`;
	const localView = (): LocalView => {
		const view: LocalView = { inFlight: {}, limits: {} };
		for (const s of states) {
			for (const [model, m] of s.models) {
				if (m.inFlight) view.inFlight[key(s, model)] = m.inFlight;
				if (m.learned && m.learned.changedAt) view.limits[key(s, model)] = { value: m.learned.value, at: m.learned.changedAt };
			}
		}
		return view;
	};
	const applyRemote = (remote: RemoteView) => {
		const t = now();
		let freed = false;
		for (const s of states) {
			for (const [model, m] of s.models) {
				const n = remote.inFlight[key(s, model)] ?? 0;
				if (n < m.remoteInFlight) freed = true;
				m.remoteInFlight = n;
				const limit = remote.limits[key(s, model)];
				if (limit && m.learned?.adopt(limit.value, limit.at)) freed = true;
			}
			for (const k of Object.keys(remote.inFlight)) {
				const [name, model] = k.split('\u0000');
				if (name === s.name && !s.models.has(model)) s.model(model).remoteInFlight = remote.inFlight[k];
			}
			const until = remote.circuits[s.name] ?? 0;
			if (until > t && s.circuit.state === 'closed') s.remoteOpenUntil = until;
			if (until <= t && s.remoteOpenUntil > t) {
				s.remoteOpenUntil = 0;
				freed = true;
			}
		}
		if (freed) notify();
	};

	const router: BalancerRouter = {
		strategy: o.strategy,
		http,
		get shared() {
			return shared !== undefined;
		},
		inFlight: (name) => byName.get(name)?.inFlight ?? 0,
		slots(name, model, kind = 'chat') {
			const s = byName.get(name);
			return s ? slotsOf(s, s.model(normalizeModel(model)), kind) : 0;
		},
		tryAcquire(call) {
			const cs = callState(call);
			const chosen = pick(call, cs);
			return chosen ? lease(call, cs, chosen) : undefined;
		},
		select(call) {
			const cs = callState(call);
			const chosen = pick(call, cs);
			if (chosen) return chosen.state.backend;
			// All full: the best eligible backend anyway (the caller sends on its own, beside the queue).
			const pool = eligible(call, modelOf(call), now());
			return choose('leastConnections', pool.map((s) => ({ state: s, model: s.model(modelOf(call)), slots: slotsOf(s, s.model(modelOf(call)), call.kind), placement: 0, affinity: 0 })))?.state.backend;
		},
		onCapacity(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		retryDelay(call, error, attempt) {
			const cs = callState(call);
			if (isAborted(error)) return undefined;
			const model = modelOf(call);
			if (isModelMissing(error)) {
				if (call.target || attempt > o.retries + states.length) return undefined;
				const t = now();
				if (states.some((s) => !missing(s.models.get(model), t))) return 0;
				return states.some((s) => s.models.get(model)?.pulling) ? 1000 : undefined;
			}
			const afterFirstToken = cs.last?.firstTokenMs !== undefined || markedAfterFirstToken(error);
			if (afterFirstToken && call.options.onChunk) {
				// Already streaming to a client: a retry would send the start of the reply twice.
				if (error instanceof Error && !/not retried/.test(error.message)) {
					error.message += ' (the reply was already streaming to the client, so it was not retried on another backend)';
				}
				return undefined;
			}
			if (!canFailOver(error)) return undefined;
			// taken back before anything reached the caller: elsewhere, now
			if (isMoved(error)) return attempt > o.retries + states.length ? undefined : 0;
			const backoff = Math.min(2000, o.backoffMs * 2 ** Math.max(0, attempt - 1));
			// A full load queue: wait for the load (the gate holds the call back until it ends), or
			// go elsewhere at once; no busy retries are spent, only the time the credential allows.
			if (isLoadQueueFull(error)) return now() - (cs.refusedAt ?? now()) > o.loadWaitMs ? undefined : 0;
			if (isBusy(error)) return attempt > o.busyRetries ? undefined : (retryAfterOf(error) ?? backoff);
			if (attempt > o.retries || call.target) return call.target && attempt <= o.retries ? backoff : undefined;
			const t = now();
			const elsewhere = states.some((s) => !cs.failed.has(s.name) && healthy(s, t) && !missing(s.models.get(model), t));
			return elsewhere ? 0 : backoff;
		},
		hedgeDelay(call, granted) {
			if (!o.hedging || !several || hedgeLeases.has(granted) || !hedgeable(call)) return undefined;
			const s = states.find((x) => x.backend === granted.backend);
			const m = s?.models.get(modelOf(call));
			// warm models only: a cold load's first token says nothing about a tail
			if (!s || !m?.ready) return undefined;
			return hedgeDelay(m.ttftWindow, o.hedgeMultiple);
		},
		tryHedge(call, primary) {
			const cs = callState(call);
			const model = modelOf(call);
			const t = now();
			const pool = eligible(call, model, t).filter((s) => s.backend !== primary.backend && s.models.get(model)?.ready);
			const best = choose('leastConnections', candidatesFor(call, cs, model, t, pool));
			if (!best || !hedges.take()) return undefined;
			return lease(call, cs, best, true);
		},
		hedgeStats: () => ({ sent: hedges.sent, hedges: hedges.hedges }),
		health: () => states.map((s) => snapshotOf(s, o.strategy, (m, kind) => slotsOf(s, m, kind), now())),
		probe: probeAll,
		share(redis) {
			if (shared || closed) return;
			const cluster = createHash('sha256')
				.update(JSON.stringify(states.map((s) => [s.name, s.backend.backend.baseUrl])))
				.digest('hex')
				.slice(0, 16);
			shared = new SharedState(redis, `lb:${cluster}:`, o.syncMs, {
				local: localView,
				apply: applyRemote,
				granted: notify,
				prefix: (entry) => {
					const s = byName.get(entry.backend);
					if (!s) return;
					const m = s.model(entry.model);
					m.cache.record(entry.chain, slotsOf(s, m, 'chat'));
				},
			});
			shared.start();
		},
		async pull(name, model) {
			const s = byName.get(name);
			if (!s) throw new Error(`Backend "${name}" is not part of this cluster`);
			await http.pull(s.backend.backend, model, PULL_TIMEOUT_MS);
			s.model(normalizeModel(model)).missingUntil = 0;
			notify();
		},
		async close() {
			if (closed) return;
			closed = true;
			clearInterval(prober);
			for (const timer of timers) clearTimeout(timer);
			timers.clear();
			await probing;
			await shared?.close();
			await http.close();
		},
	};
	return router;
}
