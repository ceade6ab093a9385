import { DEFAULT_TIMEOUTS } from '../ollama/timeouts';

/**
 * The Ollama Cluster credential's timeouts and load-balancing settings are plain top-level fields:
 * n8n's credential form renders no `collection` (only its heading, no control). Each field names
 * its key in the collection that 0.1 saved (`timeouts`, `loadBalancing`), so those credentials keep
 * working. One list for the credential's description (names, defaults) and for the parser.
 */
export interface CredentialField {
	/** The credential property. */
	name: string;
	/** Its key in the 0.1 collection. */
	key: string;
	default: number | string | boolean;
}

export interface CredentialFieldGroup {
	/** The 0.1 collection's property name. */
	collection: string;
	fields: CredentialField[];
}

export const TIMEOUT_FIELDS: CredentialFieldGroup = {
	collection: 'timeouts',
	fields: [
		{ name: 'connectTimeout', key: 'connect', default: DEFAULT_TIMEOUTS.connectMs / 1000 },
		{ name: 'firstOutputTimeout', key: 'firstToken', default: DEFAULT_TIMEOUTS.firstTokenMs / 1000 },
		{ name: 'idleTimeout', key: 'idle', default: DEFAULT_TIMEOUTS.idleMs / 1000 },
		{ name: 'totalTimeout', key: 'total', default: DEFAULT_TIMEOUTS.totalMs / 1000 },
		// Not in 0.1's collection; 0 = a call waits for a slot as long as it must (a long batch run queues its later items for most of the run).
		{ name: 'queueWaitTimeout', key: 'queueWait', default: 0 },
	],
};

/** The balancer's own defaults (lib/balancer), in the credential's units (seconds). */
export const LOAD_BALANCING_FIELDS: CredentialFieldGroup = {
	collection: 'loadBalancing',
	fields: [
		{ name: 'balancingStrategy', key: 'strategy', default: 'default' },
		{ name: 'healthInterval', key: 'healthInterval', default: 5 },
		{ name: 'failureThreshold', key: 'failureThreshold', default: 3 },
		{ name: 'cooldown', key: 'cooldown', default: 5 },
		{ name: 'failoverRetries', key: 'retries', default: 3 },
		{ name: 'lookAhead', key: 'lookAhead', default: 1 },
		{ name: 'pullMissing', key: 'pullMissing', default: false },
		// Not in 0.1's collection.
		{ name: 'hedging', key: 'hedging', default: true },
	],
};

/** The default of a field by property name (for the credential's description). */
export function credentialFieldDefault(group: CredentialFieldGroup, name: string): CredentialField['default'] {
	const field = group.fields.find((f) => f.name === name);
	if (!field) throw new Error(`no credential field "${name}" in ${group.collection}`);
	return field.default;
}

/**
 * The group's values keyed as the 0.1 collection was. n8n hands every field over with its default
 * filled in, so a field still at its default gives way to a value saved in the old collection;
 * a field the user changed wins.
 */
export function credentialGroupValues(data: Record<string, unknown>, group: CredentialFieldGroup): Record<string, unknown> {
	const saved = (data[group.collection] ?? {}) as Record<string, unknown>;
	const values: Record<string, unknown> = { ...saved };
	for (const field of group.fields) {
		const value = data[field.name];
		if (value === undefined) continue;
		if (value !== field.default || saved[field.key] === undefined) values[field.key] = value;
	}
	return values;
}
