/**
 * One tiktoken encoder per encoding per process. Building an encoder parses a ~1-2 MB rank table
 * inside WASM (about 100 ms), so it must never happen per call.
 */
import { get_encoding, type Tiktoken } from 'tiktoken';

export type TokenEncoding = 'cl100k_base' | 'o200k_base';

export const DEFAULT_ENCODING: TokenEncoding = 'cl100k_base';

const encoders = new Map<TokenEncoding, Tiktoken>();
let creations = 0;

export function getEncoder(encoding: TokenEncoding = DEFAULT_ENCODING): Tiktoken {
	let encoder = encoders.get(encoding);
	if (!encoder) {
		encoder = get_encoding(encoding);
		creations++;
		encoders.set(encoding, encoder);
	}
	return encoder;
}

/** How many encoders this process has built; tests use it to prove the singleton holds. */
export function encoderCreations(): number {
	return creations;
}
