import { createHash } from 'node:crypto';

import { Gateway, type ClusterConfig } from '../gateway';
import { canonicalJson } from '../json';

/** How long an unused gateway keeps its pools open. */
const IDLE_CLOSE_MS = 10 * 60_000;

interface Registry {
	gateways: Map<string, Gateway>;
	sweeper?: NodeJS.Timeout;
	hooked: boolean;
}

// Kept on globalThis so every node of this package shares it even if n8n loads our
// files through more than one module instance.
const REGISTRY_KEY = Symbol.for('n8n-nodes-agent-team.gateway-registry');
const registry: Registry = ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] as Registry | undefined) ?? {
	gateways: new Map(),
	hooked: false,
};
(globalThis as Record<symbol, unknown>)[REGISTRY_KEY] = registry;

/** The registry key of a cluster: a hash, so no credential value is ever kept as a key. */
export function clusterKey(config: ClusterConfig): string {
	return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

/** The process-wide gateway for this cluster configuration, created on first use. */
export function getGateway(config: ClusterConfig): Gateway {
	const key = clusterKey(config);
	let gateway = registry.gateways.get(key);
	if (!gateway) {
		gateway = new Gateway(config);
		registry.gateways.set(key, gateway);
		startSweeper();
	}
	gateway.lastUsed = Date.now();
	return gateway;
}

export function gatewayCount(): number {
	return registry.gateways.size;
}

/** Closes every gateway (tests, shutdown). */
export async function closeAllGateways(): Promise<void> {
	const all = [...registry.gateways.values()];
	registry.gateways.clear();
	clearInterval(registry.sweeper);
	registry.sweeper = undefined;
	await Promise.all(all.map((g) => g.close()));
}

function startSweeper(): void {
	if (!registry.hooked) {
		registry.hooked = true;
		process.once('beforeExit', () => void closeAllGateways());
	}
	if (registry.sweeper) return;
	registry.sweeper = setInterval(() => {
		const now = Date.now();
		for (const [key, gateway] of registry.gateways) {
			if (gateway.busy === 0 && now - gateway.lastUsed > IDLE_CLOSE_MS) {
				registry.gateways.delete(key);
				void gateway.close();
			}
		}
	}, 60_000);
	registry.sweeper.unref();
}
