import { Pool } from 'undici';

export interface PoolOptions {
	/** Most sockets kept open to this backend. */
	connections: number;
	connectTimeoutMs: number;
	/** Accept self-signed TLS certificates (Ollama behind an internal proxy). */
	allowSelfSigned: boolean;
}

/**
 * One keep-alive pool per backend origin. Timeouts for headers and body are disabled here:
 * the per-call Watchdog owns them (see watchdog.ts), so a slow generation is never cut by a
 * pool-wide default.
 */
export function createPool(baseUrl: string, options: PoolOptions): Pool {
	const origin = new URL(baseUrl).origin;
	return new Pool(origin, {
		connections: options.connections,
		pipelining: 1,
		keepAliveTimeout: 30_000,
		keepAliveMaxTimeout: 10 * 60_000,
		headersTimeout: 0,
		bodyTimeout: 0,
		connect: {
			timeout: options.connectTimeoutMs || undefined,
			rejectUnauthorized: !options.allowSelfSigned,
		},
	});
}
