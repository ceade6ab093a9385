import { createHash } from 'node:crypto';

import type Redis from 'ioredis';

import { closeRedisClient, createRedisClient, type RedisConfig } from './client';

// One client per Redis credential for the whole process (kept on globalThis, like the
// gateway registry), keyed by a hash of the values so no secret is kept as a key.
const KEY = Symbol.for('n8n-nodes-agent-team.redis-clients');
const clients: Map<string, Redis> = ((globalThis as Record<symbol, unknown>)[KEY] as Map<string, Redis> | undefined) ?? new Map();
(globalThis as Record<symbol, unknown>)[KEY] = clients;

export function getSharedRedis(config: RedisConfig): Redis {
	const key = createHash('sha256').update(JSON.stringify([config.host, config.port, config.username, config.password, config.database, config.tls, config.tlsOptions, config.family, config.keyPrefix])).digest('hex');
	let client = clients.get(key);
	if (!client || client.status === 'end') {
		client = createRedisClient(config, { lazyConnect: false });
		// Errors surface on the commands that fail; an unhandled 'error' event would crash n8n.
		client.on('error', () => undefined);
		clients.set(key, client);
	}
	return client;
}

export async function closeSharedRedis(): Promise<void> {
	const all = [...clients.values()];
	clients.clear();
	await Promise.all(all.map(closeRedisClient));
}
