import { readFileSync } from 'node:fs';

import type Redis from 'ioredis';

import type { RedisConfig } from './client';
import { getSharedRedis } from './shared-client';

/** Turns the default off: `N8N_AGENT_TEAM_QUEUE_REDIS=false` (then only a Redis credential shares state). */
export const QUEUE_REDIS_SWITCH = 'N8N_AGENT_TEAM_QUEUE_REDIS';

type Env = Record<string, string | undefined>;

/**
 * An n8n setting as n8n reads it (`@n8n/config`): the variable itself, else the file named by
 * `<NAME>_FILE` (Docker and Kubernetes secrets), trimmed; surrounding quotes are dropped.
 */
function setting(env: Env, name: string): string | undefined {
	let value = env[name];
	if (value === undefined && env[`${name}_FILE`]) {
		try {
			value = readFileSync(env[`${name}_FILE`]!, 'utf8').trim();
		} catch {
			return undefined;
		}
	}
	const trimmed = value?.trim().replace(/^(['"])(.*)\1$/, '$2');
	return trimmed === '' ? undefined : trimmed;
}

/**
 * The Redis this package shares its state through when n8n runs in queue mode and the node has no
 * Agent Team Redis credential: n8n's own queue Redis, from the same settings n8n reads
 * (`QUEUE_BULL_REDIS_HOST`, `_PORT`, `_DB`, `_USERNAME`, `_PASSWORD`, `_TLS`,
 * `_TLS_SERVERNAME`, `_TLS_VALIDATE_CERTIFICATE`, `_DUALSTACK`, each also as `<NAME>_FILE`), under
 * its own key prefix `agent-team:<QUEUE_BULL_PREFIX>:` so it never touches Bull's keys and two n8n
 * installations on one Redis (different Bull prefixes) stay apart.
 *
 * Undefined (state stays in the process unless a credential is selected) when:
 * - `EXECUTIONS_MODE` is not `queue`: regular mode has no shared Redis to find. Several regular
 *   mains are separate n8n installations as far as n8n is concerned; they share only through the
 *   credential. Multi-main (queue mode with `N8N_MULTI_MAIN_SETUP_ENABLED`) is queue mode: every
 *   main and worker shares;
 * - `QUEUE_BULL_REDIS_CLUSTER_NODES` is set: this package's clients are single-node ioredis
 *   clients; for a Redis Cluster, select a credential for one node (see docs/scale-out.md);
 * - `N8N_AGENT_TEAM_QUEUE_REDIS=false`.
 */
export function queueModeRedisConfig(env: Env = process.env): RedisConfig | undefined {
	if (setting(env, 'EXECUTIONS_MODE') !== 'queue') return undefined;
	if (/^(false|0|off|no)$/i.test(setting(env, QUEUE_REDIS_SWITCH) ?? '')) return undefined;
	if (setting(env, 'QUEUE_BULL_REDIS_CLUSTER_NODES')) return undefined;
	const port = Number(setting(env, 'QUEUE_BULL_REDIS_PORT') ?? 6379);
	const database = Number(setting(env, 'QUEUE_BULL_REDIS_DB') ?? 0);
	const tls = setting(env, 'QUEUE_BULL_REDIS_TLS') === 'true';
	return {
		host: setting(env, 'QUEUE_BULL_REDIS_HOST') ?? 'localhost',
		port: Number.isFinite(port) ? port : 6379,
		username: setting(env, 'QUEUE_BULL_REDIS_USERNAME'),
		password: setting(env, 'QUEUE_BULL_REDIS_PASSWORD'),
		database: Number.isFinite(database) ? database : 0,
		tls,
		tlsOptions: tls
			? {
					servername: setting(env, 'QUEUE_BULL_REDIS_TLS_SERVERNAME'),
					rejectUnauthorized: setting(env, 'QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE') !== 'false',
				}
			: undefined,
		family: setting(env, 'QUEUE_BULL_REDIS_DUALSTACK') === 'true' ? 0 : undefined,
		keyPrefix: `agent-team:${setting(env, 'QUEUE_BULL_PREFIX') ?? 'bull'}:`,
	};
}

/** n8n's settings do not change while it runs: the process's own are read (files included) once. */
let processConfig: { config: RedisConfig | undefined } | undefined;

/** The process-wide client on n8n's queue Redis in queue mode (see `queueModeRedisConfig`), else undefined. */
export function queueModeRedis(env?: Env): Redis | undefined {
	const config = env ? queueModeRedisConfig(env) : (processConfig ??= { config: queueModeRedisConfig(process.env) }).config;
	return config && getSharedRedis(config);
}
