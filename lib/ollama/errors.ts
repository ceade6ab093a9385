import { AgentTeamError } from '../errors';

/**
 * Errors a call to an Ollama backend can end with. Each names the backend by its configured
 * name (never its URL's credentials or headers) so messages are safe to show in n8n.
 */
export type OllamaErrorCode =
	| 'UNREACHABLE'
	| 'BUSY'
	| 'TIMEOUT'
	| 'MODEL_NOT_FOUND'
	| 'MALFORMED_RESPONSE'
	| 'HTTP_ERROR'
	| 'BAD_CONFIG'
	| 'ABORTED';

export type TimeoutKind = 'connect' | 'firstToken' | 'idle' | 'total';

export class OllamaError extends AgentTeamError {
	declare readonly code: OllamaErrorCode;
	readonly backend: string;
	/** Whether the same request may succeed on a retry or on another backend. */
	readonly retryable: boolean;
	/**
	 * Set by the transport: the error came after the first streamed token, so the caller may
	 * already have shown part of the reply (a retry elsewhere would repeat it).
	 */
	afterFirstToken = false;

	constructor(code: OllamaErrorCode, backend: string, message: string, retryable: boolean, options?: { cause?: unknown }) {
		super(code, message, options);
		this.backend = backend;
		this.retryable = retryable;
	}
}

export class BackendUnreachableError extends OllamaError {
	constructor(backend: string, detail: string, options?: { cause?: unknown }) {
		super('UNREACHABLE', backend, `Ollama backend "${backend}" is unreachable: ${detail}`, true, options);
	}
}

/** HTTP 503: Ollama's queue (OLLAMA_MAX_QUEUE) is full. */
export class BackendBusyError extends OllamaError {
	constructor(backend: string, detail: string) {
		super('BUSY', backend, `Ollama backend "${backend}" is busy (HTTP 503): ${detail}`, true);
	}
}

/** The credential field that sets each timeout, as the editor labels it. */
const timeoutField: Record<TimeoutKind, string> = {
	connect: 'Connect Timeout',
	firstToken: 'First Token Timeout',
	idle: 'Idle Timeout',
	total: 'Total Timeout',
};

const timeoutWhat: Record<TimeoutKind, string> = {
	connect: 'connecting',
	firstToken: 'waiting for the first token',
	idle: 'waiting for the next token',
	total: 'waiting for the whole response',
};

export class OllamaTimeoutError extends OllamaError {
	readonly kind: TimeoutKind;
	readonly timeoutMs: number;

	constructor(backend: string, kind: TimeoutKind, timeoutMs: number) {
		super(
			'TIMEOUT',
			backend,
			`Ollama backend "${backend}" timed out ${timeoutWhat[kind]} after ${timeoutMs / 1000} s (the credential's ${timeoutField[kind]})`,
			kind === 'connect',
		);
		this.kind = kind;
		this.timeoutMs = timeoutMs;
	}
}

export class ModelNotFoundError extends OllamaError {
	readonly model: string;

	constructor(backend: string, model: string, detail: string) {
		super(
			'MODEL_NOT_FOUND',
			backend,
			`Model "${model}" is not available on Ollama backend "${backend}" (${detail}); pull it with \`ollama pull ${model}\``,
			false,
		);
		this.model = model;
	}
}

export class MalformedResponseError extends OllamaError {
	constructor(backend: string, detail: string, options?: { cause?: unknown }) {
		super('MALFORMED_RESPONSE', backend, `Ollama backend "${backend}" sent a malformed response: ${detail}`, true, options);
	}
}

export class OllamaHttpError extends OllamaError {
	readonly status: number;

	constructor(backend: string, status: number, detail: string) {
		super('HTTP_ERROR', backend, `Ollama backend "${backend}" answered HTTP ${status}: ${detail}`, status >= 500);
		this.status = status;
	}
}

/** The backend cannot be called as configured (e.g. a Base URL with user:password handed to fetch). */
export class BackendConfigError extends OllamaError {
	constructor(backend: string, detail: string) {
		super('BAD_CONFIG', backend, `Ollama backend "${backend}" cannot be called as configured: ${detail}`, false);
	}
}

export class RequestAbortedError extends OllamaError {
	constructor(backend: string) {
		super('ABORTED', backend, `Request to Ollama backend "${backend}" was cancelled`, false);
	}
}
