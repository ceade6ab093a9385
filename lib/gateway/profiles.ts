import { DEFAULT_TIMEOUTS } from '../ollama/timeouts';

/**
 * Environment profiles: one choice that sets the defaults a development and a production n8n
 * want differently (the design's own two examples), so the same workflow moves between instances
 * unchanged. Custom is today's defaults, exactly; a credential saved before profiles existed has
 * no Profile field and is Custom. `AGENT_TEAM_PROFILE` (development | production | custom) on
 * the n8n instance overrides the credential's choice. A setting the user changed on the
 * credential or a node always wins over the profile.
 */
export type ProfileName = 'development' | 'production' | 'custom';
export const PROFILE_NAMES: readonly ProfileName[] = ['development', 'production', 'custom'];
export const PROFILE_ENV = 'AGENT_TEAM_PROFILE';

export interface ProfileDefaults {
	/** Seconds, as the credential's timeout fields (0 = none). */
	timeouts: { connect: number; firstToken: number; idle: number; total: number; queueWait: number };
	/** Failover retries per call (the retry budget) and the health probe interval (s). */
	retries: number;
	healthInterval: number;
	/** Embedding coalescing window (ms), flush size and limit. */
	embedBatching: { maxDelayMs: number; targetSize: number; limit: number };
	/** The gateway cache: default TTL (s), L1 entries, and compression of L2 values. */
	cache: { ttlSeconds: number; maxEntries: number; compress: boolean };
	/** num_ctx a call gets when neither it nor a loaded runner sets one (0 = Ollama's own default). */
	defaultNumCtx: number;
}

const CUSTOM: ProfileDefaults = {
	timeouts: {
		connect: DEFAULT_TIMEOUTS.connectMs / 1000,
		firstToken: DEFAULT_TIMEOUTS.firstTokenMs / 1000,
		idle: DEFAULT_TIMEOUTS.idleMs / 1000,
		total: DEFAULT_TIMEOUTS.totalMs / 1000,
		queueWait: 0,
	},
	retries: 3,
	healthInterval: 5,
	embedBatching: { maxDelayMs: 2, targetSize: 64, limit: 512 },
	cache: { ttlSeconds: 3600, maxEntries: 10_000, compress: true },
	defaultNumCtx: 0,
};

export const PROFILES: Record<ProfileName, ProfileDefaults> = {
	custom: CUSTOM,
	// Fail fast, small context, short-lived cache, no waiting for company: quick feedback on one GPU.
	development: {
		timeouts: { connect: 5, firstToken: 120, idle: 60, total: 600, queueWait: 60 },
		retries: 1,
		healthInterval: 15,
		embedBatching: { maxDelayMs: 0, targetSize: 16, limit: 128 },
		cache: { ttlSeconds: 300, maxEntries: 1_000, compress: false },
		defaultNumCtx: 2048,
	},
	// Long-lived cache, bigger embedding batches, bounded queue wait, more retries across backends.
	production: {
		timeouts: { connect: 10, firstToken: 600, idle: 120, total: 3600, queueWait: 300 },
		retries: 5,
		healthInterval: 5,
		embedBatching: { maxDelayMs: 5, targetSize: 64, limit: 512 },
		cache: { ttlSeconds: 86_400, maxEntries: 50_000, compress: true },
		defaultNumCtx: 8192,
	},
};

export interface ResolvedProfile {
	name: ProfileName;
	/** Where the choice came from. */
	source: 'environment' | 'credential' | 'default';
	defaults: ProfileDefaults;
}

/** The profile in effect: the environment variable, else the credential's field, else Custom. Throws on an unknown name. */
export function resolveProfile(credentialValue: unknown, env: NodeJS.ProcessEnv = process.env): ResolvedProfile {
	const fromEnv = env[PROFILE_ENV]?.trim().toLowerCase();
	if (fromEnv) {
		if (!(PROFILE_NAMES as readonly string[]).includes(fromEnv)) throw new Error(`${PROFILE_ENV} must be one of ${PROFILE_NAMES.join(', ')}`);
		return { name: fromEnv as ProfileName, source: 'environment', defaults: PROFILES[fromEnv as ProfileName] };
	}
	if (credentialValue === undefined || credentialValue === null || credentialValue === '') return { name: 'custom', source: 'default', defaults: CUSTOM };
	const name = String(credentialValue).toLowerCase();
	if (!(PROFILE_NAMES as readonly string[]).includes(name)) throw new Error(`Profile must be one of ${PROFILE_NAMES.join(', ')}`);
	return { name: name as ProfileName, source: 'credential', defaults: PROFILES[name as ProfileName] };
}
