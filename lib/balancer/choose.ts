import type { BackendState, ModelOnBackend } from './backend-state';
import type { Strategy } from './options';

/** A backend that could take the call now, with what the strategies compare. */
export interface Candidate {
	state: BackendState;
	model: ModelOnBackend;
	slots: number;
	/**
	 * Model placement, lower is better: 0 loaded here with a free slot, 1 cold where it fits
	 * (nothing else loaded, or this backend has held more models at once), 2 loaded here but
	 * only look-ahead room, 3 cold and would evict an idle model, 4 cold and would evict a busy
	 * one (only after the call waited `evictAfterMs`).
	 */
	placement: number;
	/**
	 * Characters of the call's prompt that this backend's slot caches hold beyond what every other
	 * loaded backend with room holds too (a system prompt cached everywhere saves nothing here):
	 * the prefill this backend saves. 0 under the minimum that counts.
	 */
	affinity: number;
	/**
	 * Idle here while the other backends answered for a while: its average is out of date (it may
	 * be one slow first call) and nothing would ever correct it, so the call counts it as unknown
	 * and measures it again, as a new backend gets tried.
	 */
	stale?: boolean;
}

/** In flight per slot: what "least connections" means for an Ollama server. */
const load = (c: Candidate) => c.model.totalInFlight / Math.max(1, c.slots);

/** Expected time for a call here: TTFT plus decode, from the moving averages (0 when unknown, so new backends get tried). */
export const expectedMs = (m: ModelOnBackend) => m.durationMs.value ?? m.ttftMs.value ?? 0;

/**
 * When a call sent here now would finish: its own expected time, plus (when every slot is busy
 * and it would wait in the server's queue) the share of a call's time until a slot frees. So a
 * fast backend's look-ahead place beats a free slot on a backend three times slower.
 */
export const completionMs = (c: Candidate) => {
	const d = expectedMs(c.model);
	const queued = c.model.totalInFlight - c.slots + 1;
	return queued > 0 ? d + (d * queued) / Math.max(1, c.slots) : d;
};
/**
 * What one more stream beside it costs each stream of a backend, as a share of its time alone.
 * Ollama's parallel slots share one GPU (a batched step costs a fixed part plus a part per
 * sequence): four streams give about 2.8x one stream's throughput, so each runs about 1.43x
 * slower, 0.14 per stream beside it. A little under that, so a call moves to a backend whose
 * calls take longer only when it clearly finishes sooner there.
 */
const STREAM_COST = 0.125;

/**
 * When a call sent here would finish, counting that it slows down (and is slowed by) the calls
 * already decoding here: among backends with free slots, equal ones take turns instead of the one
 * with the lowest average taking calls until it is full.
 */
export const sharedCompletionMs = (c: Candidate) => completionMs(c) * (1 + STREAM_COST * Math.min(c.model.totalInFlight, Math.max(0, c.slots - 1)));

/** Loaded here (free slot or look-ahead room) first, then cold where it fits, then evicting. */
const placementRank = (c: Candidate) => [0, 1, 0, 2, 3][c.placement];

/** Ties go to the backend picked longest ago, so equal backends take turns. */
const byTurn = (a: Candidate, b: Candidate) => a.state.lastPick - b.state.lastPick;

const comparators: Record<Exclude<Strategy, 'roundRobin' | 'weightedRoundRobin'>, (a: Candidate, b: Candidate) => number> = {
	default: (a, b) =>
		placementRank(a) - placementRank(b) ||
		b.affinity - a.affinity ||
		(a.stale ? 0 : sharedCompletionMs(a)) - (b.stale ? 0 : sharedCompletionMs(b)) ||
		load(a) - load(b) ||
		b.state.backend.backend.weight - a.state.backend.backend.weight ||
		byTurn(a, b),
	leastConnections: (a, b) => load(a) - load(b) || byTurn(a, b),
	leastLatency: (a, b) => expectedMs(a.model) - expectedMs(b.model) || load(a) - load(b) || byTurn(a, b),
};

/** The best candidate by a load-aware strategy. */
export function choose(strategy: Exclude<Strategy, 'roundRobin' | 'weightedRoundRobin'>, candidates: Candidate[]): Candidate | undefined {
	const compare = comparators[strategy];
	let best: Candidate | undefined;
	for (const c of candidates) if (!best || compare(c, best) < 0) best = c;
	return best;
}

/**
 * Smooth weighted round-robin (nginx): each pick adds every backend's weight to its credit,
 * takes the highest and subtracts the total. With weights all 1 it is plain round-robin.
 */
export function nextInRotation(states: BackendState[], weighted: boolean): BackendState | undefined {
	let best: BackendState | undefined;
	let total = 0;
	for (const s of states) {
		const weight = weighted ? s.backend.backend.weight : 1;
		if (weight <= 0) continue;
		s.rotation += weight;
		total += weight;
		if (!best || s.rotation > best.rotation) best = s;
	}
	if (best) best.rotation -= total;
	return best;
}
