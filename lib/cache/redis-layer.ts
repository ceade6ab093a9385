import type Redis from 'ioredis';

import { Codec } from './codec';

export interface RedisLayerOptions {
	/** A Redis command slower than this counts as a failure (ms, default 250). */
	timeoutMs?: number;
	/** First wait before Redis is tried again after a failure (ms, default 1000; doubles up to 30 s). */
	retryAfterMs?: number;
	compressAbove?: number;
	encryptionKey?: string;
}

/** A value as L2 returns it: the JSON text, when it was stored and (when known) when it expires. */
export interface StoredValue {
	json: string;
	createdAt: number;
	/** ms since epoch; carried in the value so a hit needs one GET, not GET + PTTL. */
	expiresAt?: number;
}

/** What an L2 operation gives back: its value (the fallback when Redis failed) and a warning then. */
export interface Guarded<T> {
	value: T;
	warning?: string;
}

/** The Redis layer's view of Redis: up, or down until it is tried again. */
export interface RedisHealth {
	up: boolean;
	failures: number;
	lastProblem?: string;
}

const DOWN_WARNING = (problem: string) =>
	`Redis cache unavailable (${problem}): using this process's memory cache only; Redis is tried again shortly.`;

/**
 * L2: entries in Redis (TTL per entry, compressed when large, optionally encrypted), shared by
 * every worker with the same Redis credential. Every command is bounded by a timeout; a failure
 * marks Redis down for a backoff, during which the cache answers from L1 with a warning instead
 * of waiting on Redis. ioredis reconnects by itself; the next command after the backoff finds out.
 */
export class RedisLayer {
	readonly redis: Redis;
	private readonly codec: Codec;
	private readonly timeoutMs: number;
	private readonly retryAfterMs: number;
	private downUntil = 0;
	private failures = 0;
	private lastProblem?: string;
	private answered = false;

	constructor(redis: Redis, options: RedisLayerOptions = {}) {
		this.redis = redis;
		this.codec = new Codec({ compressAbove: options.compressAbove, encryptionKey: options.encryptionKey });
		this.timeoutMs = options.timeoutMs ?? 250;
		this.retryAfterMs = options.retryAfterMs ?? 1000;
	}

	health(): RedisHealth {
		return { up: this.failures === 0, failures: this.failures, lastProblem: this.lastProblem };
	}

	/** Runs one Redis operation within the timeout, or returns `fallback` and a warning. */
	async guard<T>(operation: () => Promise<T>, fallback: T, timeoutMs = this.timeoutMs): Promise<Guarded<T>> {
		if (Date.now() < this.downUntil) return { value: fallback, warning: DOWN_WARNING(this.lastProblem ?? 'down') };
		// The very first command may have to wait for the connection itself: give it a second more.
		if (!this.answered && this.redis.status !== 'ready') timeoutMs += 1000;
		let timer: NodeJS.Timeout | undefined;
		const pending = operation();
		try {
			const value = await Promise.race([
				pending,
				new Promise<never>((_resolve, reject) => {
					// When this process's own event loop was held past the deadline (a long synchronous
					// stretch), the reply may be waiting unread on the socket: timers run before I/O is
					// read, so give it that one turn (setImmediate runs after it) before calling Redis slow.
					timer = setTimeout(() => setImmediate(() => reject(Object.assign(new Error('timeout'), { code: `timeout after ${timeoutMs} ms` }))), timeoutMs);
				}),
			]);
			// Redis answered: it is up, whatever an earlier command concluded meanwhile.
			this.failures = 0;
			this.lastProblem = undefined;
			this.downUntil = 0;
			this.answered = true;
			return { value };
		} catch (error) {
			pending.catch(() => undefined); // it may still fail later: never an unhandled rejection
			this.failures++;
			this.lastProblem = problemOf(error);
			this.downUntil = Date.now() + Math.min(30_000, this.retryAfterMs * 2 ** (this.failures - 1));
			return { value: fallback, warning: DOWN_WARNING(this.lastProblem) };
		} finally {
			clearTimeout(timer);
		}
	}

	async get(key: string): Promise<Guarded<StoredValue | undefined>> {
		const result = await this.guard(() => this.redis.getBuffer(key), null);
		if (!result.value) return { value: undefined, warning: result.warning };
		try {
			return { value: this.unpack(result.value) };
		} catch (error) {
			return { value: undefined, warning: `A cached value could not be read (${(error as Error).message}); treated as a miss.` };
		}
	}

	async set(key: string, value: StoredValue, ttlMs: number): Promise<Guarded<boolean>> {
		const px = Math.max(1, Math.round(ttlMs));
		const packed = this.pack({ ...value, expiresAt: value.createdAt + px });
		return await this.guard(async () => (await this.redis.set(key, packed, 'PX', px)) === 'OK', false);
	}

	/** `<createdAt>[ <expiresAt>]\n<json>`, through the codec. */
	pack(value: StoredValue): Buffer {
		return this.codec.encode(`${value.createdAt}${value.expiresAt === undefined ? '' : ` ${value.expiresAt}`}\n${value.json}`);
	}

	unpack(raw: Buffer): StoredValue {
		const text = this.codec.decode(raw);
		const newline = text.indexOf('\n');
		const space = text.lastIndexOf(' ', newline);
		if (space < 0) return { createdAt: Number(text.slice(0, newline)), json: text.slice(newline + 1) }; // written without its expiry
		return { createdAt: Number(text.slice(0, space)), expiresAt: Number(text.slice(space + 1, newline)), json: text.slice(newline + 1) };
	}

	/** Keys matching a glob (without the client's key prefix), by SCAN. */
	async scan(pattern: string): Promise<string[]> {
		const prefix = (this.redis.options.keyPrefix as string | undefined) ?? '';
		const keys: string[] = [];
		let cursor = '0';
		do {
			const [next, batch] = await this.redis.scan(cursor, 'MATCH', `${prefix}${pattern}`, 'COUNT', 1000);
			cursor = next;
			for (const key of batch) keys.push(key.slice(prefix.length));
		} while (cursor !== '0');
		return keys;
	}

	/** Deletes the keys matching `pattern` (and, when `olderThan` is set, stored before it); returns how many. */
	async deleteMatching(pattern: string, olderThan?: number): Promise<Guarded<number>> {
		return await this.guard(async () => {
			let keys = await this.scan(pattern);
			if (olderThan !== undefined && keys.length) {
				const values = await this.redis.mgetBuffer(...keys);
				keys = keys.filter((_key, i) => {
					const raw = values[i];
					if (!raw) return false;
					try {
						return this.unpack(raw).createdAt < olderThan;
					} catch {
						return true; // unreadable: drop it too
					}
				});
			}
			let deleted = 0;
			for (let i = 0; i < keys.length; i += 500) deleted += await this.redis.del(...keys.slice(i, i + 500));
			return deleted;
		}, 0, 30_000);
	}

	async delete(key: string): Promise<Guarded<number>> {
		return await this.guard(() => this.redis.del(key), 0);
	}
}

function problemOf(error: unknown): string {
	const code = (error as { code?: unknown }).code;
	if (typeof code === 'string') return code;
	const message = (error as Error).message ?? String(error);
	// ioredis messages can carry host:port; keep only the kind of failure.
	if (/Connection is closed|Stream isn't writeable|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH/i.test(message)) return 'connection lost';
	if (/max retries/i.test(message)) return 'not reachable';
	return 'error';
}
