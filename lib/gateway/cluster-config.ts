import { STRATEGIES, type BalancerSettings, type Strategy } from '../balancer';
import { DEFAULT_TIMEOUTS } from '../ollama/timeouts';
import { credentialGroupValues, LOAD_BALANCING_FIELDS, TIMEOUT_FIELDS, type CredentialFieldGroup } from './credential-fields';
import type { ClusterConfig } from './config';
import { resolveProfile, type ProfileDefaults } from './profiles';
import { AgentTeamError } from '../errors';

/** The credential's decrypted data, as n8n hands it over. */
type CredentialData = Record<string, unknown>;

interface BackendRow {
	name?: string;
	baseUrl?: string;
	weight?: number;
	parallel?: number;
	/** GiB; 0 or absent = unknown (Plan Capacity reads /api/ps). */
	gpuMemory?: number;
}

/** A credential that cannot describe a cluster; the message names the field, never a value. */
export class ClusterConfigError extends AgentTeamError {
	constructor(message: string) {
		super('CLUSTER_CONFIG', message);
	}
}

/** `Basic …` for a URL's user:password (percent-decoded, as a browser would send it), if it has one. */
function basicAuthOf(url: URL): string | undefined {
	if (!url.username && !url.password) return undefined;
	const user = decodeURIComponent(url.username);
	const password = decodeURIComponent(url.password);
	return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/**
 * The one Authorization header for the cluster. Headers are sent to every backend, so
 * user:password must be the same in every Base URL, or absent from all of them: otherwise one
 * backend's password would be sent to another. Messages name backends, never the values.
 */
function clusterBasicAuth(perBackend: Array<{ backend: string; value?: string }>): string | undefined {
	const withAuth = perBackend.find((b) => b.value !== undefined);
	if (!withAuth) return undefined;
	for (const b of perBackend) {
		if (b.value === undefined) {
			throw new ClusterConfigError(
				`Backend "${b.backend}" has no user:password in its Base URL but "${withAuth.backend}" has; the credentials are sent to every backend, so give all backends the same user:password or none`,
			);
		}
		if (b.value !== withAuth.value) {
			throw new ClusterConfigError(
				`Backends "${withAuth.backend}" and "${b.backend}" have different user:password in their Base URLs; one credential serves the whole cluster, so use one user:password (or a separate credential per user)`,
			);
		}
	}
	return withAuth.value;
}

/** A timeout field (seconds) in ms, or the transport's default (in ms) when unset or invalid. */
const seconds = (value: unknown, fallbackMs: number) =>
	typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value * 1000 : fallbackMs;

/**
 * Turns the Ollama Cluster credential into a cluster config, or throws an Error whose message
 * names the offending field (never a value: URLs may carry basic-auth secrets).
 */
export function clusterConfigFromCredential(data: CredentialData): ClusterConfig {
	const rows = ((data.backends as { backend?: BackendRow[] } | undefined)?.backend ?? []) as BackendRow[];
	if (rows.length === 0) throw new ClusterConfigError('The Ollama Cluster credential lists no backend');
	const names = new Set<string>();
	const basicAuth: Array<{ backend: string; value?: string }> = [];
	const backends = rows.map((row, index) => {
		const name = String(row.name ?? '').trim() || `backend-${index + 1}`;
		if (names.has(name)) throw new ClusterConfigError(`Two backends are named "${name}"; names must be unique`);
		names.add(name);
		const baseUrl = String(row.baseUrl ?? '').trim();
		if (!URL.canParse(baseUrl)) throw new ClusterConfigError(`Backend "${name}" has an invalid Base URL`);
		const url = new URL(baseUrl);
		if (url.protocol !== 'http:' && url.protocol !== 'https:') {
			throw new ClusterConfigError(`Backend "${name}" Base URL must start with http:// or https://`);
		}
		basicAuth.push({ backend: name, value: basicAuthOf(url) });
		url.username = '';
		url.password = '';
		return {
			name,
			// fetch refuses a URL with credentials: they travel as a header instead (below).
			baseUrl: url.href.replace(/\/+$/, ''),
			weight: typeof row.weight === 'number' && row.weight >= 0 ? row.weight : 1,
			// 0 (the default) = learn the server's slots; a stated number wins.
			parallel: typeof row.parallel === 'number' && row.parallel >= 1 ? Math.floor(row.parallel) : 0,
		};
	});
	if (backends.every((b) => b.weight === 0)) throw new ClusterConfigError('Every backend has weight 0; give one a positive weight');
	const gpuMemoryBytes: Record<string, number> = {};
	rows.forEach((row, index) => {
		if (typeof row.gpuMemory === 'number' && Number.isFinite(row.gpuMemory) && row.gpuMemory > 0) gpuMemoryBytes[backends[index].name] = Math.round(row.gpuMemory * 1024 ** 3);
	});
	let profile;
	try {
		profile = resolveProfile(data.profile);
	} catch (error) {
		throw new ClusterConfigError((error as Error).message);
	}

	const headerRows = ((data.headers as { header?: Array<{ name?: string; value?: string }> } | undefined)?.header ?? []);
	const headers: Record<string, string> = {};
	for (const row of headerRows) {
		const name = String(row.name ?? '').trim();
		if (name) headers[name] = String(row.value ?? '');
	}
	const apiKey = typeof data.apiKey === 'string' && data.apiKey ? data.apiKey : undefined;
	const authorization = clusterBasicAuth(basicAuth);
	if (authorization) {
		if (apiKey) {
			throw new ClusterConfigError(
				`The "API Key" and a user:password in Backend "${basicAuth[0].backend}"'s Base URL both set the Authorization header; use one of them`,
			);
		}
		headers.Authorization = authorization;
	}
	const custom = profile.name === 'custom';
	const timeouts = withProfile(data, TIMEOUT_FIELDS, custom ? {} : profileTimeouts(profile.defaults));
	const config: ClusterConfig = {
		backends,
		apiKey,
		headers,
		allowSelfSigned: data.allowSelfSigned === true,
		maxConnections: typeof data.maxConnections === 'number' ? data.maxConnections : 0,
		timeouts: {
			connectMs: seconds(timeouts.connect, DEFAULT_TIMEOUTS.connectMs),
			firstTokenMs: seconds(timeouts.firstToken, DEFAULT_TIMEOUTS.firstTokenMs),
			idleMs: seconds(timeouts.idle, DEFAULT_TIMEOUTS.idleMs),
			totalMs: seconds(timeouts.total, DEFAULT_TIMEOUTS.totalMs),
		},
		// Longest wait in the gateway queue for a backend slot; 0 = no limit (the scheduler's default).
		scheduler: { queueTimeoutMs: seconds(timeouts.queueWait, 0) },
		balancer: balancerSettings(withProfile(data, LOAD_BALANCING_FIELDS, custom ? {} : { retries: profile.defaults.retries, healthInterval: profile.defaults.healthInterval })),
	};
	if (Object.keys(gpuMemoryBytes).length > 0) config.gpuMemoryBytes = gpuMemoryBytes;
	// Custom (and every credential saved before profiles) adds nothing: today's config, to the byte.
	if (!custom) {
		const d = profile.defaults;
		config.profile = { name: profile.name, source: profile.source };
		config.embedBatching = { ...d.embedBatching };
		config.cache = { defaultTtlSeconds: d.cache.ttlSeconds, maxEntries: d.cache.maxEntries, ...(d.cache.compress ? {} : { compressAbove: Number.MAX_SAFE_INTEGER }) };
		if (d.defaultNumCtx > 0) config.defaultNumCtx = d.defaultNumCtx;
	} else if (profile.source === 'environment') {
		config.profile = { name: 'custom', source: 'environment' };
	}
	return config;
}

/** The profile's timeouts keyed as the 0.1 collection (seconds). */
function profileTimeouts(d: ProfileDefaults): Record<string, number> {
	return { connect: d.timeouts.connect, firstToken: d.timeouts.firstToken, idle: d.timeouts.idle, total: d.timeouts.total, queueWait: d.timeouts.queueWait };
}

/**
 * The group's values with the profile filling every field the user left alone. n8n hands a field
 * over at its default when it was never changed, so "at its default, and not saved in the 0.1
 * collection" means "not set": the profile's value applies. A changed field wins.
 */
function withProfile(data: Record<string, unknown>, group: CredentialFieldGroup, fromProfile: Record<string, unknown>): Record<string, unknown> {
	const values = credentialGroupValues(data, group);
	const saved = (data[group.collection] ?? {}) as Record<string, unknown>;
	for (const field of group.fields) {
		if (!(field.key in fromProfile)) continue;
		const value = data[field.name];
		const untouched = (value === undefined || value === field.default) && saved[field.key] === undefined;
		if (untouched) values[field.key] = fromProfile[field.key];
	}
	return values;
}

/** The credential's Load Balancing options (seconds → ms); unset ones keep the balancer's defaults. */
function balancerSettings(lb: Record<string, unknown>): BalancerSettings {
	const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined);
	const ms = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v * 1000 : undefined);
	if (lb.strategy !== undefined && !(STRATEGIES as readonly unknown[]).includes(lb.strategy)) {
		throw new ClusterConfigError(`The "Strategy" field of the Ollama Cluster API credential must be one of ${STRATEGIES.join(', ')}, got ${String(lb.strategy)}: pick one in the credential`);
	}
	const settings: BalancerSettings = {
		strategy: lb.strategy as Strategy | undefined,
		lookAhead: count(lb.lookAhead),
		healthIntervalMs: ms(lb.healthInterval),
		failureThreshold: count(lb.failureThreshold),
		cooldownMs: ms(lb.cooldown),
		retries: count(lb.retries),
		pullMissing: typeof lb.pullMissing === 'boolean' ? lb.pullMissing : undefined,
		hedging: typeof lb.hedging === 'boolean' ? lb.hedging : undefined,
	};
	return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as BalancerSettings;
}
