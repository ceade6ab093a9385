import { createHash, randomUUID as uuid } from 'node:crypto';

import type Redis from 'ioredis';

import { reserveSlots, type ReserveRequest } from '../redis/slot-leases';

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
	/** New slot leases arrived (or sharing stopped): waiting calls may start now. */
	granted(): void;
}

/** How long an exchange may take before this worker balances on its own (Redis down or stuck). */
const EXCHANGE_TIMEOUT_MS = 1000;
/** Calls that found no lease count as waiting this long after the last one asked. */
const WANT_MS = 1000;
/** A key this worker holds no lease on is read at every this-many-th full sync (1 s at the default 200 ms). */
const IDLE_EVERY = 5;

/** One backend and model: the leases this worker holds in Redis and who waits for them. */
interface SlotKey {
	/** Redis key of the lease set (hash-tagged). */
	redisKey: string;
	/** Lease members this worker holds (one per call running, plus leases not yet used). */
	held: string[];
	/** Slots + look-ahead as the router saw them at the last call. */
	capacity: number;
	/** Calls that found no free lease since the last exchange. */
	wanted: number;
	/** Leases asked for and not granted at the last exchange. */
	unmet: number;
	wantedAt: number;
	/** Other workers waiting for this key (last exchange). */
	othersWaiting: number;
	/** Leases every other worker holds (last exchange). */
	others: number;
	/** Asked and refused at the last exchange: ask again on a 'freed' signal or at the next full sync, not on every local event. */
	starved: boolean;
	/** Last time every lease held was in use or wanted (unused ones are kept HOLD for the next calls). */
	busyAt: number;
}

/**
 * The balancer's state shared by several workers (n8n queue mode) through Redis, so they
 * balance as one:
 * - slots: a worker may only send a call on a lease it holds in Redis (`lib/redis/slot-leases.ts`,
 *   reserved atomically by a script, so a burst starting on two workers at once cannot overshoot
 *   slots + look-ahead). The router stays synchronous: it spends leases this worker already holds;
 *   a call that finds none registers that it waits, the worker asks Redis at once (next turn of the
 *   event loop) and wakes the scheduler when leases arrive. A worker keeps a lease while its own
 *   calls wait for it, gives back what it does not use at the next exchange, and holds at most its
 *   fair share while other workers wait. Leases expire `ttlMs` after the last renewal (every
 *   `syncMs`), so a killed worker's slots come back within the TTL;
 * - circuits: `circuits` hash, backend → open-until (a worker that opens one tells the others);
 * - learned limits: `limits` hash, newest change wins, expiring after an hour unused;
 * - the prefix table: new routing entries published on a channel (a second connection
 *   subscribes), so a conversation follows its backend whichever worker serves the next turn.
 * When Redis fails (an error, or no answer within a second) each worker balances on its own
 * limits, so no call fails for it, and shares again at the first exchange that works: the calls
 * it started meanwhile are added to the lease sets as running (even past the capacity, since they
 * are), so the others see them.
 */
export class SharedState {
	readonly workerId = uuid();
	readonly ttlMs: number;
	private timer?: NodeJS.Timeout;
	private subscriber?: Redis;
	private readonly channel: string;
	private readonly slotChannel: string;
	private pendingPrefix: PrefixEntry[] = [];
	private pendingCircuits = new Map<string, number>();
	private readonly slots = new Map<string, SlotKey>();
	private seq = 0;
	/** Full syncs so far (idle keys are read every IDLE_EVERY-th). */
	private rounds = 0;
	private syncing?: Promise<void>;
	private again = false;
	private soon?: NodeJS.Immediate;
	private closed = false;
	/** Leases are in force (Redis answered the last exchange). False: each worker on its own limits. */
	private sharing = true;
	/** What the last full exchange read, sent again with every lease exchange's counts. */
	private remote: RemoteView = { inFlight: {}, limits: {}, circuits: {}, workers: 1 };
	lastError?: string;

	constructor(
		private readonly redis: Redis,
		private readonly namespace: string,
		private readonly syncMs: number,
		private readonly hooks: SharedStateHooks,
	) {
		this.ttlMs = Math.max(3000, syncMs * 10);
		const prefix = redis.options.keyPrefix ?? '';
		this.channel = `${prefix}${namespace}prefix`;
		this.slotChannel = `${prefix}${namespace}slots`;
	}

	/** Whether slot leases are in force now (false while Redis is away: local limits). */
	get active(): boolean {
		return this.sharing && !this.closed;
	}

	start(): void {
		this.subscriber = this.redis.duplicate({ lazyConnect: false });
		this.subscriber.on('error', (error: Error) => (this.lastError = error.message));
		this.subscriber.on('message', (channel: string, message: string) => (channel === this.slotChannel ? this.onSignal(message) : this.onMessage(message)));
		this.subscriber.subscribe(this.channel, this.slotChannel).catch((error: Error) => (this.lastError = error.message));
		this.timer = setInterval(() => void this.sync(true), this.syncMs);
		this.timer.unref();
		void this.sync(true);
	}

	/**
	 * Whether a call may start on `key` (backend\u0000model) now, with `inFlight` of this worker's
	 * calls there and `capacity` allowed cluster-wide; undefined while leases are not in force (the
	 * router then applies its own limits). A call that may not start is counted as waiting and
	 * leases are asked for at once.
	 */
	admits(key: string, inFlight: number, capacity: number): boolean | undefined {
		if (!this.active) return undefined;
		const k = this.slot(key);
		k.capacity = capacity;
		const fair = k.othersWaiting > 0 ? Math.max(1, Math.ceil(capacity / (k.othersWaiting + 1))) : capacity;
		if (inFlight < k.held.length && inFlight < capacity && inFlight < fair) return true;
		k.wanted++;
		k.wantedAt = Date.now();
		this.changed();
		return false;
	}

	/** Sends the local view now (also runs every `syncMs`). */
	sync(full = false): Promise<void> {
		if (this.syncing) {
			this.again = true;
			return this.syncing;
		}
		this.syncing = this.exchange(full)
			.catch((error: Error) => this.fallBack(error))
			.finally(() => {
				this.syncing = undefined;
				if (this.again && !this.closed) {
					this.again = false;
					void this.sync();
				}
			});
		return this.syncing;
	}

	/** The local view changed (a call started, ended or waits): exchange leases on the next turn of the loop. */
	changed(): void {
		if (this.soon || this.closed) return;
		this.soon = setImmediate(() => {
			this.soon = undefined;
			void this.sync();
		});
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
		if (this.soon) clearImmediate(this.soon);
		await this.syncing;
		// give every lease back (the calls are over or being cut off with the gateway)
		const release = [...this.slots.values()].filter((k) => k.held.length).map((k) => this.request(k, 0, k.held, []));
		await withTimeout(reserveSlots(this.redis, release), EXCHANGE_TIMEOUT_MS).catch(() => undefined);
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

	private slot(key: string): SlotKey {
		let k = this.slots.get(key);
		if (!k) {
			// hash-tagged, so the lease set and its waiters share one Redis Cluster slot
			const tag = createHash('sha256').update(key).digest('hex').slice(0, 16);
			k = { redisKey: this.key(`slots:{${tag}}`), held: [], capacity: 0, wanted: 0, unmet: 0, wantedAt: 0, othersWaiting: 0, others: 0, starved: false, busyAt: 0 };
			this.slots.set(key, k);
		}
		return k;
	}

	private request(k: SlotKey, need: number, release: string[], renew: string[], waiting = need): ReserveRequest {
		const request = { key: k.redisKey, ttlMs: this.ttlMs, capacity: k.capacity, need, waiting, worker: this.workerId, seq: this.seq, release, renew, channel: this.slotChannel };
		this.seq += need;
		return request;
	}

	private fallBack(error: Error): void {
		this.lastError = error.message;
		if (!this.sharing || this.closed) return;
		// Redis away: every worker on its own limits (other workers' counts are unknown, so zero)
		this.sharing = false;
		this.remote = { inFlight: {}, limits: {}, circuits: {}, workers: 1 };
		this.hooks.apply(this.remote);
		this.hooks.granted();
	}

	private async exchange(full: boolean): Promise<void> {
		if (this.closed) return;
		if (this.redis.status !== 'ready' && this.redis.status !== 'connecting' && this.redis.status !== 'connect') throw new Error(`Redis is ${this.redis.status}`);
		await withTimeout(this.exchangeSlots(full), EXCHANGE_TIMEOUT_MS);
		if (full) await withTimeout(this.exchangeRest(), EXCHANGE_TIMEOUT_MS);
	}

	/** Leases: renew, give back, ask for more; then the other workers' counts. */
	private async exchangeSlots(full: boolean): Promise<void> {
		const local = this.hooks.local();
		for (const key of Object.keys(local.inFlight)) this.slot(key);
		const now = Date.now();
		const keys: SlotKey[] = [];
		const requests: ReserveRequest[] = [];
		const minted: string[][] = [];
		for (const [key, k] of this.slots) {
			const inFlight = local.inFlight[key] ?? 0;
			// calls started without a lease (while Redis was away) hold one from now on
			const added: string[] = [];
			while (k.held.length + added.length < inFlight) added.push(`${this.workerId}:${++this.seq}`);
			const held = k.held.length + added.length;
			const wanting = now - k.wantedAt < WANT_MS ? Math.max(k.wanted, k.unmet) : k.wanted;
			let desired = Math.min(inFlight + wanting, Math.max(inFlight, k.capacity));
			// others wait: hold no more than a fair share beyond what runs
			if (k.othersWaiting > 0) desired = Math.min(desired, Math.max(inFlight, Math.ceil(k.capacity / (k.othersWaiting + 1))));
			// refused last time: only a 'freed' signal or a full sync asks again (no request per local event)
			const need = k.starved && !full ? 0 : Math.max(0, desired - held);
			// Leases not in use are kept `syncMs` for the next calls (a busy worker then needs no Redis per
			// call), unless another worker waits for them: it says so on the channel and gets them at once.
			const using = Math.max(desired, inFlight);
			if (held <= using) k.busyAt = now;
			const surplus = k.othersWaiting > 0 || now - k.busyAt >= this.syncMs ? Math.max(0, held - using) : 0;
			k.wanted = 0;
			const idle = need === 0 && surplus === 0 && added.length === 0 && this.sharing;
			// a key with leases is renewed every full sync; one without only has the others' count to
			// read (for the strategies' view), every IDLE_EVERY-th: with tens of backends and models this
			// is most of the keys, and most of the Redis load of an idle worker
			if (idle && (!full || (k.held.length === 0 && this.rounds % IDLE_EVERY !== 0))) continue;
			const release = surplus ? k.held.splice(k.held.length - surplus, surplus) : [];
			keys.push(k);
			minted.push(added);
			requests.push(this.request(k, need, release, [...k.held, ...added]));
		}
		if (full) this.rounds++;
		const replies = await reserveSlots(this.redis, requests);
		const wasSharing = this.sharing;
		this.sharing = true;
		let granted = !wasSharing;
		const others: PerModel<number> = {};
		replies.forEach((reply, i) => {
			const k = keys[i];
			const q = requests[i];
			k.held.push(...minted[i]);
			for (let j = 1; j <= reply.granted; j++) k.held.push(`${this.workerId}:${q.seq + j}`);
			if (reply.granted > 0 || (k.othersWaiting > 0 && reply.waiting === 0)) granted = true;
			k.unmet = q.need - reply.granted;
			k.starved = k.unmet > 0;
			k.others = reply.others;
			k.othersWaiting = reply.waiting;
		});
		for (const [key, k] of this.slots) if (k.others) others[key] = k.others;
		if (this.closed) return;
		this.remote = { ...this.remote, inFlight: others };
		this.hooks.apply(this.remote);
		if (granted) this.hooks.granted();
	}

	/** Workers, learned limits, circuits and prefixes: once per `syncMs`. */
	private async exchangeRest(): Promise<void> {
		const now = Date.now();
		const local = this.hooks.local();
		const tx = this.redis.multi();
		tx.zadd(this.key('workers'), now, this.workerId);
		tx.zremrangebyscore(this.key('workers'), 0, now - this.ttlMs);
		tx.zcard(this.key('workers'));
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
		const workers = Number(value(2));
		const remoteLimits = (value(-3) as Record<string, string>) ?? {};
		const circuits = (value(-1) as Record<string, string>) ?? {};
		const parsedLimits: RemoteView['limits'] = {};
		for (const [k, text] of Object.entries(remoteLimits)) parsedLimits[k] = JSON.parse(text) as { value: number; at: number };
		const openUntil: Record<string, number> = {};
		for (const [backend, until] of Object.entries(circuits)) if (Number(until) > now) openUntil[backend] = Number(until);
		const others: PerModel<number> = {};
		for (const [key, k] of this.slots) if (k.others) others[key] = k.others;
		this.remote = { inFlight: others, limits: parsedLimits, circuits: openUntil, workers };
		if (!this.closed) this.hooks.apply(this.remote);

		if (this.pendingPrefix.length) {
			const entries = this.pendingPrefix.splice(0);
			await this.redis.publish(this.channel, JSON.stringify({ w: this.workerId, e: entries }));
		}
	}

	/**
	 * `f<worker> <key>`: another worker gave leases back while this one may wait for them: ask now,
	 * not at the next sync. `w<worker> <key>`: another worker waits: give back unused leases now.
	 */
	private onSignal(message: string): void {
		const space = message.indexOf(' ');
		if (space < 0 || message.slice(1, space) === this.workerId) return;
		const redisKey = message.slice(space + 1);
		const prefix = this.redis.options.keyPrefix ?? '';
		for (const k of this.slots.values()) {
			if (`${prefix}${k.redisKey}` !== redisKey) continue;
			if (message[0] === 'f' && (k.unmet > 0 || k.wanted > 0)) {
				k.starved = false;
				this.changed();
			} else if (message[0] === 'w' && k.held.length > 0) {
				k.othersWaiting = Math.max(k.othersWaiting, 1);
				this.changed();
			}
			return;
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

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	try {
		return await Promise.race([
			promise,
			new Promise<never>((_, reject) => {
				timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
			}),
		]);
	} finally {
		clearTimeout(timer);
	}
}
