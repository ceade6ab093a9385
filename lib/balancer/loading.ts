import { isBusy } from './errors';

/**
 * Cold loads behind OLLAMA_MAX_QUEUE (issue 21).
 *
 * Ollama (server/sched.go, `getRunner` and `processPending`) hands a request for a model that is
 * not loaded to one pending loop through a channel of OLLAMA_MAX_QUEUE places; the loop takes one
 * request and loads the model (`load` → `llama.Load`, which waits until the runner is up), so
 * while a load runs only that request plus OLLAMA_MAX_QUEUE more are held. Every further request
 * gets 503 `ErrMaxQueue` at once. A load can take a minute; retrying into it on a fixed budget
 * either fails the calls (budget spent before the load ends) or hammers the server.
 *
 * So the first such refusal closes a *load gate* on that backend and model: only the calls that
 * already got through stay there (what the server holds), nothing new is sent until the load
 * ends, and the refused call waits in the gateway's queue (or goes to another backend) without
 * spending busy retries. The load has ended when a call there streams its first token or
 * succeeds, when a probe's `/api/ps` lists the model (Ollama registers a runner in `loaded`
 * only once `llama.Load` returned), or when every call that got through has ended.
 */

/** Ollama's 503 for a full pending (load) queue, as opposed to any other 503 (a proxy's, say). */
export function isLoadQueueFull(error: unknown): boolean {
	return isBusy(error) && /maximum pending requests/i.test((error as Error)?.message ?? '');
}

/**
 * What the gate reads and writes of a model on a backend (backend-state.ts's ModelOnBackend), named
 * here so this file does not import backend-state (which holds the gate: no import cycle).
 */
export interface GatedModel {
	readonly inFlight: number;
	ready: boolean;
	loaded: boolean;
	loadGate?: LoadGate;
}

export interface LoadGate {
	/** Calls of this model in flight on this backend when the server refused one: the most it gets until the load ends. */
	admitted: number;
	since: number;
}

/** A refusal for a full load queue: closes the gate (or narrows it to what is still in flight). */
export function closeLoadGate(m: GatedModel, now: number): LoadGate {
	const inFlight = m.inFlight;
	m.ready = false;
	m.loaded = true;
	if (!m.loadGate) m.loadGate = { admitted: inFlight, since: now };
	else m.loadGate.admitted = Math.min(m.loadGate.admitted, inFlight);
	return m.loadGate;
}

/** The load ended (first token, a reply, a probe): the model is up, the gate opens to its slots. Returns whether it was closed. */
export function openLoadGate(m: GatedModel): boolean {
	if (!m.loadGate) return false;
	m.loadGate = undefined;
	return true;
}

/** Capacity while a gate is closed: no more than the calls that got through. */
export function gatedCapacity(m: GatedModel, capacity: number): number {
	return m.loadGate ? Math.min(capacity, m.loadGate.admitted) : capacity;
}
