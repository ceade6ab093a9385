import { randomUUID } from 'node:crypto';

import type Redis from 'ioredis';

import type { PrefixChain } from './prefix';

/** `backend\u0000model` → value */
export type PerModel<T> = Record<string, T>;

export interface LocalView {
	inFlight: PerModel<number>;
	limits: PerModel<{ value: number; at: number }>;
}

export interface RemoteView {
	/** In flight from every other live worker, summed. */
	inFlight: PerModel<number>;
	limits: PerModel<{ value: number; at: number }>;
	/** backend → open until (ms since the epoch) */
	circuits: Record<string, number>;
	workers: number;
}

export interface PrefixEntry {
	backend: string;
	model: string;
	chain: PrefixChain;
}

export interface SharedStateHooks {
	local(): LocalView;
	apply(remote: RemoteView): void;
	prefix(entry: PrefixEntry): void;
}

/**
 * The balancer's state shared by several workers (n8n queue mode) through Redis, so they
 * balance as one:
 * - in-flight counts: each worker writes its own under `w:<worker>` with an expiry of a few sync
 *   periods, so a worker that dies leaves nothing behind; readers sum the live workers' counts;
 * - circuits: `circuits` hash, backend → open-until (a worker that opens one tells the others);
 * - learned limits: `limits` hash, newest change wins, expiring after an hour unused;
 * - the prefix table: new routing entries published on a channel (a second connection
 *   subscribes), so a conversation follows its backend whichever worker serves the next turn.
 * Everything is best effort: when Redis fails, each worker balances on its own.
 */
export class SharedState {
	readonly workerId = randomUUID();
	private readonly ttlMs: number;
	private timer?: NodeJS.Timeout;
	private subscriber?: Redis;
	private readonly channel: string;
	private pendingPrefix: PrefixEntry[] = [];
	private pendingCircuits = new Map<string, number>();
	private syncing?: Promise<void>;
	private soon?: NodeJS.Timeout;
	private closed = false;
	lastError?: string;

	constructor(
		private readonly redis: Redis,
		private readonly namespace: string,
		private readonly syncMs: number,
		private readonly hooks: SharedStateHooks,
	) {
		this.ttlMs = Math.max(3000, syncMs * 10);
		this.channel = `${redis.options.keyPrefix ?? ''}${namespace}prefix`;
	}

	start(): void {
		this.subscriber = this.redis.duplicate({ lazyConnect: false });
		this.subscriber.on('error', (error: Error) => (this.lastError = error.message));
		this.subscriber.on('message', (_channel: string, message: string) => this.onMessage(message));
		this.subscriber.subscribe(this.channel).catch((error: Error) => (this.lastError = error.message));
		this.timer = setInterval(() => void this.sync(), this.syncMs);
		this.timer.unref();
		void this.sync();
	}

	/** Sends the local view now (also runs every `syncMs`). */
	sync(): Promise<void> {
		this.syncing ??= this.exchange()
			.catch((error: Error) => {
				this.lastError = error.message;
			})
			.finally(() => (this.syncing = undefined));
		return this.syncing;
	}

	/** The local view changed (a call started or ended): send it within a few ms, not at the next period. */
	changed(): void {
		if (this.soon || this.closed) return;
		this.soon = setTimeout(() => {
			this.soon = undefined;
			void this.sync();
		}, 5);
		this.soon.unref();
	}

	circuitOpened(backend: string, until: number): void {
		this.pendingCircuits.set(backend, until);
	}

	circuitClosed(backend: string): void {
		this.pendingCircuits.set(backend, 0);
	}

	routed(entry: PrefixEntry): void {
		if (this.pendingPrefix.length < 500) this.pendingPrefix.push(entry);
	}

	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		clearInterval(this.timer);
		clearTimeout(this.soon);
		await this.syncing;
		await this.redis.del(this.key(`w:${this.workerId}`)).catch(() => undefined);
		await this.redis.zrem(this.key('workers'), this.workerId).catch(() => undefined);
		const subscriber = this.subscriber;
		if (subscriber && subscriber.status !== 'end') {
			if (subscriber.status === 'ready') await subscriber.quit().catch(() => undefined);
			if ((subscriber.status as string) !== 'end') subscriber.disconnect();
		}
	}

	private key(name: string): string {
		return `${this.namespace}${name}`;
	}

	private async exchange(): Promise<void> {
		if (this.closed) return;
		const now = Date.now();
		const local = this.hooks.local();
		const tx = this.redis.multi();
		tx.set(this.key(`w:${this.workerId}`), JSON.stringify(local.inFlight), 'PX', this.ttlMs);
		tx.zadd(this.key('workers'), now, this.workerId);
		tx.zremrangebyscore(this.key('workers'), 0, now - this.ttlMs);
		tx.zrange(this.key('workers'), 0, -1);
		const limits = Object.entries(local.limits).map(([k, v]) => [k, JSON.stringify(v)]);
		if (limits.length) tx.hset(this.key('limits'), Object.fromEntries(limits));
		tx.pexpire(this.key('limits'), 3_600_000);
		tx.hgetall(this.key('limits'));
		for (const [backend, until] of this.pendingCircuits) {
			if (until > now) tx.hset(this.key('circuits'), backend, String(until));
			else tx.hdel(this.key('circuits'), backend);
		}
		this.pendingCircuits.clear();
		tx.pexpire(this.key('circuits'), 3_600_000);
		tx.hgetall(this.key('circuits'));
		const replies = (await tx.exec()) ?? [];
		const value = (i: number) => {
			const [error, result] = replies.at(i) ?? [null, undefined];
			if (error) throw error;
			return result;
		};
		const workers = (value(3) as string[]).filter((id) => id !== this.workerId);
		const remoteLimits = (value(-3) as Record<string, string>) ?? {};
		const circuits = (value(-1) as Record<string, string>) ?? {};

		const inFlight: PerModel<number> = {};
		if (workers.length) {
			const counts = await this.redis.mget(workers.map((id) => this.key(`w:${id}`)));
			for (const text of counts) {
				if (!text) continue;
				for (const [k, n] of Object.entries(JSON.parse(text) as PerModel<number>)) inFlight[k] = (inFlight[k] ?? 0) + n;
			}
		}
		const parsedLimits: RemoteView['limits'] = {};
		for (const [k, text] of Object.entries(remoteLimits)) parsedLimits[k] = JSON.parse(text) as { value: number; at: number };
		const openUntil: Record<string, number> = {};
		for (const [backend, until] of Object.entries(circuits)) if (Number(until) > now) openUntil[backend] = Number(until);
		if (!this.closed) this.hooks.apply({ inFlight, limits: parsedLimits, circuits: openUntil, workers: workers.length + 1 });

		if (this.pendingPrefix.length) {
			const entries = this.pendingPrefix.splice(0);
			await this.redis.publish(this.channel, JSON.stringify({ w: this.workerId, e: entries }));
		}
	}

	private onMessage(message: string): void {
		try {
			const parsed = JSON.parse(message) as { w: string; e: PrefixEntry[] };
			if (parsed.w === this.workerId) return;
			for (const entry of parsed.e) this.hooks.prefix(entry);
		} catch {
			// a message from another version: ignored
		}
	}
}
