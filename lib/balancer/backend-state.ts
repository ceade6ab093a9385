import type { Backend, Lease } from '../pipeline';
import type { RunningModel } from './backend-http';
import { CircuitBreaker } from './circuit';
import { LearnedLimit } from './learned-limit';
import { TtftWindow } from './hedge';
import type { LoadGate } from './loading';
import { SlotCacheTable } from './prefix';

const ALPHA = 0.2;

/** An exponentially weighted moving average that starts at its first sample. */
export class Ewma {
	value: number | undefined;
	add(sample: number): void {
		this.value = this.value === undefined ? sample : this.value + ALPHA * (sample - this.value);
	}
}

/** One attempt in flight (or just finished), kept to learn how many ran at once. */
export interface AttemptRecord {
	/** Order of sending (calls sent in the same millisecond still have one). */
	seq: number;
	sentAt: number;
	/** The model was loaded when the attempt was sent. */
	warm: boolean;
	endedAt?: number;
	ok?: boolean;
}

/** What the balancer knows about one model on one backend. */
export class ModelOnBackend {
	inFlight = 0;
	/** In flight from other workers (shared state). */
	remoteInFlight = 0;
	/** Loaded (or loading, `ready` false) as far as probes and served calls tell. */
	loaded = false;
	ready = false;
	sizeVram = 0;
	expiresAt = 0;
	lastUsed = 0;
	/** Picked while its average was out of date: the next warm call's time replaces the average. */
	remeasure = false;
	/** 404 from this backend for this model: skipped until then. */
	missingUntil = 0;
	pulling?: Promise<void>;
	readonly ttftMs = new Ewma();
	readonly durationMs = new Ewma();
	readonly decodeTokensPerSec = new Ewma();
	/** TTFT of calls that ran alone: the no-queue baseline when a reply carries no timings. */
	readonly aloneTtftMs = new Ewma();
	/** Recent warm first-token times: their p99 sets when a call here is hedged (hedge.ts). */
	readonly ttftWindow = new TtftWindow();
	readonly cache = new SlotCacheTable();
	readonly attempts: AttemptRecord[] = [];
	/** Length at which the attempt records are pruned next (doubles with what a prune keeps). */
	pruneAttemptsAt = 64;
	learned?: LearnedLimit;
	/** A 503 for a full load queue came back: only the calls that got through until the load ends (loading.ts). */
	loadGate?: LoadGate;

	get totalInFlight(): number {
		return this.inFlight + this.remoteInFlight;
	}
}

/** What the balancer knows about one backend. */
export class BackendState {
	readonly circuit: CircuitBreaker;
	readonly models = new Map<string, ModelOnBackend>();
	/** Most models seen loaded here at once: loading one more than this may evict one. */
	maxModelsSeen = 0;
	retryAfterUntil = 0;
	/** Circuit opened by another worker (shared state) until then. */
	remoteOpenUntil = 0;
	requests = 0;
	errors = 0;
	readonly errorRate = new Ewma();
	lastError?: string;
	lastProbeAt = 0;
	lastProbeOk?: boolean;
	/** Smooth weighted round-robin credit. */
	rotation = 0;
	/** Sequence number of the last call routed here (ties go to the one picked longest ago). */
	lastPick = 0;
	/** Attempts running here that the balancer may take back (only in a cluster of several). */
	readonly live = new Set<Lease>();

	constructor(
		readonly backend: Backend,
		threshold: number,
		cooldownMs: number,
	) {
		this.circuit = new CircuitBreaker(threshold, cooldownMs);
	}

	get name(): string {
		return this.backend.name;
	}

	get configuredSlots(): number {
		return this.backend.backend.parallel;
	}

	model(name: string): ModelOnBackend {
		let state = this.models.get(name);
		if (!state) {
			state = new ModelOnBackend();
			this.models.set(name, state);
		}
		return state;
	}

	get inFlight(): number {
		let total = 0;
		for (const m of this.models.values()) total += m.totalInFlight;
		return total;
	}

	/** Loaded models other than `model`. */
	othersLoaded(model: string): Array<[string, ModelOnBackend]> {
		return [...this.models].filter(([name, m]) => name !== model && m.loaded);
	}

	/** Replaces what is loaded with a probe's view; keeps models with calls in flight (they are loading). Returns whether a load gate opened. */
	applyProbe(running: RunningModel[], now: number): boolean {
		let opened = false;
		this.maxModelsSeen = Math.max(this.maxModelsSeen, running.length);
		const seen = new Set(running.map((r) => r.name));
		for (const r of running) {
			const m = this.model(r.name);
			m.loaded = true;
			m.ready = true;
			// Ollama lists a runner only once its load has finished: a closed load gate opens
			if (m.loadGate) {
				m.loadGate = undefined;
				opened = true;
			}
			m.sizeVram = r.sizeVram;
			m.expiresAt = r.expiresAt;
		}
		for (const [name, m] of this.models) {
			if (!seen.has(name) && m.loaded && m.totalInFlight === 0 && now - m.lastUsed > 1000) {
				m.loaded = false;
				m.ready = false;
			}
		}
		return opened;
	}
}
