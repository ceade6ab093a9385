import Redis, { type RedisOptions } from 'ioredis';

/** What the Agent Team Redis credential holds. */
export interface RedisConfig {
	host: string;
	port: number;
	username?: string;
	password?: string;
	database?: number;
	tls?: boolean;
	/** With `tls`: server name (SNI) and whether the certificate is checked (default true). */
	tlsOptions?: { servername?: string; rejectUnauthorized?: boolean };
	/** 0: IPv4 and IPv6 (n8n's QUEUE_BULL_REDIS_DUALSTACK); default IPv4. */
	family?: number;
	keyPrefix?: string;
}

/**
 * An ioredis client that fails fast instead of queueing commands forever when Redis is down,
 * so a node reports a clear error rather than hanging the workflow.
 */
export function createRedisClient(config: RedisConfig, overrides: RedisOptions = {}): Redis {
	return new Redis({
		host: config.host,
		port: config.port,
		username: config.username || undefined,
		password: config.password || undefined,
		db: config.database ?? 0,
		tls: config.tls ? { ...config.tlsOptions } : undefined,
		...(config.family === undefined ? {} : { family: config.family }),
		keyPrefix: config.keyPrefix || undefined,
		connectTimeout: 5_000,
		maxRetriesPerRequest: 2,
		enableOfflineQueue: true,
		lazyConnect: true,
		...overrides,
	});
}

/** Connects, PINGs and disconnects: the credential test. */
export async function pingRedis(config: RedisConfig): Promise<void> {
	const client = createRedisClient(config, { maxRetriesPerRequest: 0, retryStrategy: () => null });
	let socketError: Error | undefined;
	client.on('error', (error: Error) => (socketError ??= error)); // reported through the rejection below
	try {
		await client.connect().catch((error: Error) => {
			throw socketError ?? error;
		});
		const reply = await client.ping();
		if (reply !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(reply)}`);
	} finally {
		await closeRedisClient(client);
	}
}

/**
 * Closes a client without leaving a handle behind: quit() when it is connected (waits for the
 * socket to close), disconnect() while it is still connecting, nothing once it has ended.
 * disconnect() on an ended client arms ioredis' 2 s "stream still open" timer on a socket that
 * already closed, which keeps the process (or a jest worker) alive.
 */
export async function closeRedisClient(client: Redis): Promise<void> {
	if (client.status === 'end') return;
	if (client.status === 'ready') {
		await client.quit().catch(() => undefined);
		if ((client.status as string) === 'end') return;
	}
	client.disconnect();
}

export function redisConfigFromCredential(data: Record<string, unknown>): RedisConfig {
	return {
		host: String(data.host ?? '127.0.0.1'),
		port: Number(data.port ?? 6379),
		username: data.username ? String(data.username) : undefined,
		password: data.password ? String(data.password) : undefined,
		database: Number(data.database ?? 0),
		tls: data.tls === true,
		keyPrefix: data.keyPrefix === undefined ? 'agent-team:' : String(data.keyPrefix),
	};
}
