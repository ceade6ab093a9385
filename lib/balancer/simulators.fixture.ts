import { chatPromptTokens } from '../../test/simulator';

export const MODEL = 'llama3.2:3b';

/**
 * The simulator counts Llama prompts with the real tokenizer, loaded on first use (seconds,
 * blocking the event loop). Load it before anything is timed, so it does not stall routing,
 * timers or the averages a test or benchmark measures.
 */
export function preloadSimulatorTokenizer(): void {
	chatPromptTokens([{ role: 'user', content: 'warm up' }], null, MODEL);
}
