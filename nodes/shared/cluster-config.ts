import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import type { ClusterConfig } from '../../lib/gateway';

interface BackendRow {
	name?: string;
	baseUrl?: string;
	weight?: number;
	parallel?: number;
}

const seconds = (value: unknown, fallback: number) =>
	typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value * 1000 : fallback * 1000;

/**
 * Turns the Ollama Cluster credential into a cluster config, or throws an Error whose message
 * names the offending field (never a value: URLs may carry basic-auth secrets).
 */
export function clusterConfigFromCredential(data: ICredentialDataDecryptedObject): ClusterConfig {
	const rows = ((data.backends as { backend?: BackendRow[] } | undefined)?.backend ?? []) as BackendRow[];
	if (rows.length === 0) throw new Error('The Ollama Cluster credential lists no backend');
	const names = new Set<string>();
	const backends = rows.map((row, index) => {
		const name = String(row.name ?? '').trim() || `backend-${index + 1}`;
		if (names.has(name)) throw new Error(`Two backends are named "${name}"; names must be unique`);
		names.add(name);
		const baseUrl = String(row.baseUrl ?? '').trim();
		let url: URL;
		try {
			url = new URL(baseUrl);
		} catch {
			throw new Error(`Backend "${name}" has an invalid Base URL`);
		}
		if (url.protocol !== 'http:' && url.protocol !== 'https:') {
			throw new Error(`Backend "${name}" Base URL must start with http:// or https://`);
		}
		return {
			name,
			baseUrl: baseUrl.replace(/\/+$/, ''),
			weight: typeof row.weight === 'number' && row.weight >= 0 ? row.weight : 1,
			parallel: typeof row.parallel === 'number' && row.parallel >= 1 ? Math.floor(row.parallel) : 1,
		};
	});
	if (backends.every((b) => b.weight === 0)) throw new Error('Every backend has weight 0; give one a positive weight');

	const headerRows = ((data.headers as { header?: Array<{ name?: string; value?: string }> } | undefined)?.header ?? []);
	const headers: Record<string, string> = {};
	for (const row of headerRows) {
		const name = String(row.name ?? '').trim();
		if (name) headers[name] = String(row.value ?? '');
	}
	const timeouts = (data.timeouts ?? {}) as Record<string, unknown>;
	return {
		backends,
		apiKey: typeof data.apiKey === 'string' && data.apiKey ? data.apiKey : undefined,
		headers,
		allowSelfSigned: data.allowSelfSigned === true,
		maxConnections: typeof data.maxConnections === 'number' ? data.maxConnections : 0,
		timeouts: {
			connectMs: seconds(timeouts.connect, 10),
			firstTokenMs: seconds(timeouts.firstToken, 600),
			idleMs: seconds(timeouts.idle, 120),
			totalMs: seconds(timeouts.total, 3600),
		},
	};
}
