import { STRATEGIES, type BalancerSettings, type Strategy } from '../balancer';
import { DEFAULT_TIMEOUTS } from '../ollama/timeouts';
import { credentialGroupValues, LOAD_BALANCING_FIELDS, TIMEOUT_FIELDS } from './credential-fields';
import type { ClusterConfig } from './config';

/** The credential's decrypted data, as n8n hands it over. */
type CredentialData = Record<string, unknown>;

interface BackendRow {
	name?: string;
	baseUrl?: string;
	weight?: number;
	parallel?: number;
}

/** A credential that cannot describe a cluster; the message names the field, never a value. */
export class ClusterConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ClusterConfigError';
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
	const timeouts = credentialGroupValues(data, TIMEOUT_FIELDS);
	return {
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
		balancer: balancerSettings(credentialGroupValues(data, LOAD_BALANCING_FIELDS)),
	};
}

/** The credential's Load Balancing options (seconds → ms); unset ones keep the balancer's defaults. */
function balancerSettings(lb: Record<string, unknown>): BalancerSettings {
	const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined);
	const ms = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v * 1000 : undefined);
	if (lb.strategy !== undefined && !(STRATEGIES as readonly unknown[]).includes(lb.strategy)) {
		throw new ClusterConfigError(`Load Balancing → Strategy must be one of ${STRATEGIES.join(', ')}`);
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
