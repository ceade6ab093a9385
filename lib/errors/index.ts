/**
 * The base of every error the library throws (after undici's UndiciError): a stable `code` that
 * callers match, with `instanceof` for the class, never the message or the `name` text. Each
 * concern keeps its own classes in its folder (lib/ollama/errors.ts, lib/scheduler/errors.ts …);
 * this file sits below all of them and imports nothing.
 */
export type AgentTeamErrorCode =
	// lib/ollama: one call to one backend
	| 'UNREACHABLE'
	| 'BUSY'
	| 'TIMEOUT'
	| 'MODEL_NOT_FOUND'
	| 'MALFORMED_RESPONSE'
	| 'HTTP_ERROR'
	| 'BAD_CONFIG'
	| 'ABORTED'
	// lib/balancer
	| 'MOVED'
	| 'BACKEND_REQUEST'
	// lib/scheduler: the gateway's queue
	| 'QUEUE_FULL'
	| 'QUEUE_TIMEOUT'
	// lib/gateway: the credential's values
	| 'CLUSTER_CONFIG'
	// lib/tokens, lib/agent, lib/orchestrator: what a node asked for
	| 'CONTEXT_OVERFLOW'
	| 'INVALID_SCHEMA'
	| 'OUTPUT_VALIDATION'
	| 'TOOL_OUTPUT'
	| 'MAX_TOOL_ITERATIONS'
	| 'TEAM_INPUT';

export class AgentTeamError extends Error {
	readonly code: AgentTeamErrorCode;

	constructor(code: AgentTeamErrorCode, message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = new.target.name;
		this.code = code;
	}
}

/** Whether `error` is one of the library's errors, optionally with one of these codes. */
export function isAgentTeamError(error: unknown, ...codes: AgentTeamErrorCode[]): error is AgentTeamError {
	return error instanceof AgentTeamError && (codes.length === 0 || codes.includes(error.code));
}
