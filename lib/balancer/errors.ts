import { AgentTeamError } from '../errors';

/**
 * How the balancer reads an attempt's error. Duck-typed on the transport's `OllamaError` fields
 * (`code`, `kind`, `status`, `retryable`) so any Backend implementation can report the same way.
 */
interface ErrorLike {
	code?: string;
	kind?: string;
	status?: number;
	retryable?: boolean;
	retryAfterMs?: number;
	afterFirstToken?: boolean;
	model?: string;
}

const fields = (error: unknown): ErrorLike => (error && typeof error === 'object' ? (error as ErrorLike) : {});

export const isAborted = (error: unknown) => fields(error).code === 'ABORTED' || (error as Error)?.name === 'AbortError';
export const isModelMissing = (error: unknown) => fields(error).code === 'MODEL_NOT_FOUND';
export const isBusy = (error: unknown) => fields(error).code === 'BUSY' || fields(error).status === 429;
export const retryAfterOf = (error: unknown) => fields(error).retryAfterMs;
/** The transport's mark for an error after the first streamed token, when it sets one. */
export const markedAfterFirstToken = (error: unknown) => fields(error).afterFirstToken === true;

/** HTTP 500 from a runner that stopped: the model must load again there. */
export const isRunnerCrash = (error: unknown) => fields(error).code === 'HTTP_ERROR' && (fields(error).status ?? 0) >= 500;

/** A failure that says the backend is unwell (counts toward its circuit breaker). */
export function isBackendFailure(error: unknown): boolean {
	const { code, kind, status } = fields(error);
	if (code === 'UNREACHABLE' || code === 'MALFORMED_RESPONSE') return true;
	if (code === 'TIMEOUT') return kind !== 'total';
	if (code === 'HTTP_ERROR') return (status ?? 0) >= 500;
	return false;
}

/** Whether the same call may succeed on another backend (or the same one later). */
export function canFailOver(error: unknown): boolean {
	return isBackendFailure(error) || isBusy(error) || fields(error).code === 'MOVED';
}

/**
 * An attempt the balancer took back because its backend is now known to be unhealthy: a probe
 * got no answer or the circuit opened. When nothing reached the caller yet (no first token, or a
 * caller that takes the reply whole) the call goes to another backend at once.
 */
export class AttemptMovedError extends AgentTeamError {
	readonly retryable = true;

	constructor(
		readonly backend: string,
		why: string,
	) {
		super('MOVED', `Ollama backend "${backend}" ${why}; the call was moved to another backend`);
	}
}

export const isMoved = (error: unknown) => fields(error).code === 'MOVED';
