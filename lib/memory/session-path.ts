import type { SessionRef } from './store';

/**
 * One part of a key, percent-encoded so that nothing in it can act as a separator (':'), a
 * Redis pattern ('*', '?', '[') or whitespace: encodeURIComponent plus the five characters it
 * leaves alone (! ' ( ) *).
 */
export function encodeKeyPart(text: string): string {
	return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * `wf:<workflow>:<session>` or `shared:<session>`, each part encoded: a session key cannot name
 * another workflow's or another session's conversation, whatever characters it holds.
 */
export function sessionPath(session: SessionRef): string {
	const scope = session.workflowId === undefined ? 'shared' : `wf:${encodeKeyPart(session.workflowId)}`;
	return `${scope}:${encodeKeyPart(session.sessionKey)}`;
}
