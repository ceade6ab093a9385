import type { TracedChatResult } from '../pipeline';

/**
 * One LLM call as the metrics see it: numbers, names and an error label only, never prompt or
 * response text, so records can be logged, kept in memory and written to Redis safely.
 */
export interface CallRecord {
	model: string;
	/** The backend's configured display name. */
	backend: string;
	ok: boolean;
	/** Error class or code (e.g. 'TIMEOUT'), never a message: messages can carry user data. */
	error?: string;
	/** Wall time of the call as the client saw it. */
	latencyMs: number;
	/** Time waiting in the gateway plus time waiting inside Ollama before it computed anything. */
	queueMs: number;
	loadMs: number;
	promptEvalMs: number;
	evalMs: number;
	promptTokens: number;
	completionTokens: number;
	/** Our own (tiktoken) count of the prompt, to compare with the model's. */
	estimatedPromptTokens?: number;
	retries: number;
	cacheHit: boolean;
	/** Which cache layer answered, on a hit (L1 memory, L2 Redis, semantic, or a single-flight join). */
	cacheLayer?: CacheLayer;
}

export type CacheLayer = NonNullable<TracedChatResult['cacheLayer']>;

export interface CallRecordExtra {
	estimatedPromptTokens?: number;
}

/** What is known about a call that failed before a result came back. */
export interface FailedCallContext {
	model: string;
	/** Defaults to the error's own `backend` when it has one (OllamaError does), else 'unknown'. */
	backend?: string;
	latencyMs: number;
	queueMs?: number;
	retries?: number;
	estimatedPromptTokens?: number;
}

export function recordFromChatResult(result: TracedChatResult, extra: CallRecordExtra = {}): CallRecord {
	// Ollama's total minus the phases it reports is the time the request waited inside Ollama.
	const serverQueueMs = Math.max(0, result.totalMs - result.loadMs - result.promptEvalMs - result.evalMs);
	const record: CallRecord = {
		model: result.model,
		backend: result.backend,
		ok: true,
		latencyMs: result.latencyMs,
		queueMs: result.queueMs + serverQueueMs,
		loadMs: result.loadMs,
		promptEvalMs: result.promptEvalMs,
		evalMs: result.evalMs,
		promptTokens: result.promptEvalCount,
		completionTokens: result.evalCount,
		retries: result.retries,
		cacheHit: result.cacheHit,
	};
	if (result.cacheHit && result.cacheLayer) record.cacheLayer = result.cacheLayer;
	if (extra.estimatedPromptTokens !== undefined) record.estimatedPromptTokens = extra.estimatedPromptTokens;
	return record;
}

// Errors that carry a backend but were no call to it: cancelled by the caller (a sibling item
// failed, the execution was stopped) or a configuration the transport refused before sending.
const NOT_A_BACKEND_CALL = new Set(['ABORTED', 'BAD_CONFIG']);

/**
 * Whether an error ended a real call to a backend (timeout, unreachable, 503, 404, malformed
 * reply …), as opposed to a parameter error, a cancelled call or one that never left the gateway.
 * Only those are counted as failed model calls.
 */
export function isBackendCallError(error: unknown): boolean {
	if (!backendOf(error)) return false;
	const code = (error as { code?: unknown }).code;
	return typeof code === 'string' && !NOT_A_BACKEND_CALL.has(code);
}

/** The gateway's trace of a failed call, when it attached one to the error. */
function traceOf(error: unknown): { queueMs?: number; retries?: number } {
	const trace = error && typeof error === 'object' ? (error as { trace?: unknown }).trace : undefined;
	return trace && typeof trace === 'object' ? (trace as { queueMs?: number; retries?: number }) : {};
}

export function recordFromError(error: unknown, context: FailedCallContext): CallRecord {
	const trace = traceOf(error);
	const record: CallRecord = {
		model: context.model,
		backend: context.backend ?? backendOf(error) ?? 'unknown',
		ok: false,
		error: errorLabel(error),
		latencyMs: context.latencyMs,
		queueMs: context.queueMs ?? (typeof trace.queueMs === 'number' ? trace.queueMs : 0),
		loadMs: 0,
		promptEvalMs: 0,
		evalMs: 0,
		promptTokens: 0,
		completionTokens: 0,
		retries: context.retries ?? (typeof trace.retries === 'number' ? trace.retries : 0),
		// A call that failed was answered by no cache.
		cacheHit: false,
	};
	if (context.estimatedPromptTokens !== undefined) record.estimatedPromptTokens = context.estimatedPromptTokens;
	return record;
}

// Only identifier-like tokens pass, so a code or name can never smuggle message text through.
const SAFE_LABEL = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** The error's code (OllamaError's, Node's 'ECONNRESET'…) or else its class name; never its message. */
export function errorLabel(error: unknown): string {
	if (error && typeof error === 'object') {
		const { code, name } = error as { code?: unknown; name?: unknown };
		if (typeof code === 'string' && SAFE_LABEL.test(code)) return code;
		if (typeof name === 'string' && SAFE_LABEL.test(name)) return name;
	}
	return 'Error';
}

function backendOf(error: unknown): string | undefined {
	const backend = error && typeof error === 'object' ? (error as { backend?: unknown }).backend : undefined;
	return typeof backend === 'string' && backend !== '' ? backend : undefined;
}
