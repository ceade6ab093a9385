export type MetricKind = 'backend' | 'model';

/**
 * The key layout of RedisMetricsStore under its namespace (the client's keyPrefix comes before it):
 *   <ns>:backend:<name>          hash of counters      <ns>:backends  set of known backend names
 *   <ns>:backend:<name>:latency  list, newest first    <ns>:models    set of known model names
 *   <ns>:model:<name>[:latency]  the same per model    <ns>:since     epoch ms of the first record
 *   <ns>:errors                  hash: failed calls per error kind (code or class name)
 * Names are URI-encoded, so a ':' in a model name ('llama3.1:8b') cannot be read as a separator.
 */
export class MetricKeys {
	constructor(readonly namespace: string) {
		if (namespace === '') throw new RangeError('namespace must not be empty');
	}

	get since(): string {
		return `${this.namespace}:since`;
	}

	get errorKinds(): string {
		return `${this.namespace}:errors`;
	}

	index(kind: MetricKind): string {
		return `${this.namespace}:${kind}s`;
	}

	counters(kind: MetricKind, encodedName: string): string {
		return `${this.namespace}:${kind}:${encodedName}`;
	}

	latencies(kind: MetricKind, encodedName: string): string {
		return `${this.counters(kind, encodedName)}:latency`;
	}

	/** SCAN patterns that match every per-name key, and nothing of a namespace that merely starts like ours. */
	scanPatterns(keyPrefix: string): string[] {
		const base = escapeGlob(`${keyPrefix}${this.namespace}`);
		return [`${base}:backend:*`, `${base}:model:*`];
	}

	/** The keys that are not per name. */
	fixedKeys(): string[] {
		return [this.since, this.index('backend'), this.index('model'), this.errorKinds];
	}
}

export const encodeName = (name: string): string => encodeURIComponent(name);
export function decodeName(encoded: string): string {
	try {
		return decodeURIComponent(encoded);
	} catch {
		return encoded; // not written by us; show it as it is rather than fail the snapshot
	}
}

function escapeGlob(text: string): string {
	return text.replace(/[*?[\]\\]/g, '\\$&');
}
