import { createHash } from 'node:crypto';
import { canonicalJson } from '../json';

export { canonicalJson };

export function sha256(text: string | Buffer): string {
	return createHash('sha256').update(text).digest('hex');
}

/** A short, fixed-width hash for a key segment (never the text itself: keys carry no prompt or secret). */
export function shortHash(text: string, length = 16): string {
	return sha256(text).slice(0, length);
}

/** The cache scope of a cluster credential: a hash of its canonical values (different credentials never share entries). */
export function credentialScope(config: unknown): string {
	return shortHash(canonicalJson(config));
}
