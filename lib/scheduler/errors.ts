import { AgentTeamError } from '../errors';
import { RequestAbortedError } from '../ollama/errors';

/** A duration in the unit of the editor's fields: seconds (`0.1 s`, `30 s`). */
const formatSeconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

/**
 * Why a call never left the gateway's queue. Both name the queue, not a backend: the call never
 * reached one. Neither is retryable by the gateway itself (the caller decides).
 */
export class QueueFullError extends AgentTeamError {
	readonly retryable = true;

	constructor(readonly limit: number) {
		super('QUEUE_FULL', `The gateway queue is full (${limit} calls waiting); the limit is fixed per n8n process: send fewer items at once or add backend slots`);
	}
}

export class QueueTimeoutError extends AgentTeamError {
	readonly retryable = true;

	constructor(readonly timeoutMs: number) {
		super('QUEUE_TIMEOUT', `The call waited in the gateway queue longer than its Queue Wait Timeout (${formatSeconds(timeoutMs)}) without getting a backend slot`);
	}
}

/**
 * A call cancelled (execution stopped, item failed, caller gone) while it waited in the gateway's
 * queue: it never reached a backend, so the message names none. Still a RequestAbortedError (code
 * ABORTED), so every place that treats a cancellation as one does the same here.
 */
export class QueuedCallCancelledError extends RequestAbortedError {
	constructor() {
		super('gateway queue');
		this.message = 'The call was cancelled while it waited in the gateway queue for a backend slot (it never reached a backend)';
	}
}
