import { AgentTeamError } from '../errors';

/**
 * The parts that must always be sent (system prompt, new prompt) plus the room reserved for the
 * reply do not fit the context window. Nothing can be dropped to fix it, so the caller has to
 * shorten a field or raise num_ctx; the fields say which is large.
 */
export interface ContextOverflowDetails {
	/** Tokens required: system + prompt + framing (calibrated) + reserved output. */
	needed: number;
	/** The context window: num_ctx. */
	available: number;
	systemTokens: number;
	promptTokens: number;
	reserveOutput: number;
}

export class ContextOverflowError extends AgentTeamError {
	readonly needed: number;
	readonly available: number;
	readonly systemTokens: number;
	readonly promptTokens: number;
	readonly reserveOutput: number;

	constructor(details: ContextOverflowDetails) {
		super('CONTEXT_OVERFLOW', 
			`The system prompt (~${details.systemTokens} tokens) and the prompt (~${details.promptTokens} tokens) ` +
				`plus ${details.reserveOutput} tokens reserved for the reply need ~${details.needed} tokens, ` +
				`but the context window (num_ctx) holds ${details.available}. Shorten the system prompt or the prompt, ` +
				'lower the reply length (num_predict) or raise num_ctx.',
		);
		this.needed = details.needed;
		this.available = details.available;
		this.systemTokens = details.systemTokens;
		this.promptTokens = details.promptTokens;
		this.reserveOutput = details.reserveOutput;
	}
}
