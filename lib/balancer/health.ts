import type { Call } from '../pipeline';
import type { BackendState, ModelOnBackend } from './backend-state';
import type { CircuitState } from './circuit';
import type { Strategy } from './options';

/** One backend as the Health operation reports it (never its URL). */
export interface BackendHealth {
	backend: string;
	up: boolean;
	circuit: CircuitState;
	/** Until when (ISO) an open circuit stays open, or a Retry-After holds the backend off. */
	heldUntil?: string;
	inFlight: number;
	weight: number;
	/** Parallel Slots from the credential; 0 = learned (see `models[].slots`). */
	configuredSlots: number;
	models: Array<{
		model: string;
		loaded: boolean;
		sizeVram?: number;
		expiresAt?: string;
		inFlight: number;
		slots: number;
		learned: boolean;
		ttftMs?: number;
		latencyMs?: number;
		decodeTokensPerSec?: number;
		missing?: boolean;
	}>;
	requests: number;
	errors: number;
	/** Moving average of failed calls and probes (0..1). */
	errorRate: number;
	lastError?: string;
	lastProbe?: string;
	strategy: Strategy;
}

const round = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * 10) / 10);
const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : undefined);

export function snapshotOf(s: BackendState, strategy: Strategy, slotsOf: (m: ModelOnBackend, kind: Call['kind']) => number, now: number): BackendHealth {
	const held = Math.max(s.circuit.state === 'open' ? s.circuit.reopensAt : 0, s.retryAfterUntil, s.remoteOpenUntil);
	return {
		backend: s.name,
		up: s.circuit.state === 'closed' && held <= now && s.lastProbeOk !== false,
		circuit: s.remoteOpenUntil > now ? 'open' : s.circuit.state,
		heldUntil: held > now ? iso(held) : undefined,
		inFlight: s.inFlight,
		weight: s.backend.backend.weight,
		configuredSlots: s.configuredSlots,
		models: [...s.models]
			.filter(([, m]) => m.loaded || m.totalInFlight > 0 || m.learned || m.durationMs.value !== undefined || m.missingUntil > now)
			.map(([model, m]) => ({
				model,
				loaded: m.loaded,
				sizeVram: m.sizeVram || undefined,
				expiresAt: iso(m.expiresAt),
				inFlight: m.totalInFlight,
				slots: slotsOf(m, 'chat'),
				learned: s.configuredSlots === 0,
				ttftMs: round(m.ttftMs.value),
				latencyMs: round(m.durationMs.value),
				decodeTokensPerSec: round(m.decodeTokensPerSec.value),
				missing: m.missingUntil > now || undefined,
			})),
		requests: s.requests,
		errors: s.errors,
		errorRate: Math.round((s.errorRate.value ?? 0) * 1000) / 1000,
		lastError: s.lastError,
		lastProbe: iso(s.lastProbeAt),
		strategy,
	};
}
