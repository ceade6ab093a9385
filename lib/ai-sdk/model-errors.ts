import type { Gateway } from '../gateway';
import { ModelNotFoundError } from '../ollama';
import { AgentTeamError } from '../errors';

/**
 * An unknown model named with every backend of the cluster and what to pull; the backends' own 404
 * text is kept as the cause. No HTTP status on purpose: n8n's NodeApiError would swap a 404's
 * message for "The resource you are requesting could not be found".
 */
export class ClusterModelNotFoundError extends AgentTeamError {
	constructor(
		readonly model: string,
		readonly backends: string[],
		options?: { cause?: unknown },
	) {
		super('MODEL_NOT_FOUND', `Model "${model}" is not available on any backend of the Ollama cluster (${backends.join(', ')}); pull it on each backend with \`ollama pull ${model}\``, options);
		this.name = 'ModelNotFoundError';
	}
}

/** `error` itself, or, for an unknown model, the same failure said for the whole cluster. */
export function explainModelNotFound(gateway: Gateway, model: string, error: unknown): unknown {
	if (!(error instanceof ModelNotFoundError)) return error;
	return new ClusterModelNotFoundError(model, gateway.backends.map((b) => b.name), { cause: error });
}
