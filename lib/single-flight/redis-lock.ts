import { randomBytes } from 'node:crypto';

import type Redis from 'ioredis';

/**
 * Cross-process single-flight over Redis: a short lock (SET NX PX, renewed while the owner works)
 * and a notification (PUBLISH on a channel per key, the outcome also kept for a few seconds
 * under a result key so a waiter that subscribes late still finds it). A waiter whose owner
 * died sees the lock expire and takes over.
 */
export interface RedisFlightOptions {
	/** Lock lifetime; the owner renews it every third of this (ms, default 10 000). */
	lockMs?: number;
	/** How long the outcome stays readable for late waiters (ms, default 10 000). */
	resultMs?: number;
	/** Longest a waiter waits for an owner that keeps its lock (ms, default 15 min). */
	maxWaitMs?: number;
	/** A Redis command slower than this fails the shared flight: the call then goes on alone (ms, default 250). */
	commandTimeoutMs?: number;
}

/** Rejects when `promise` takes longer than `ms` (and keeps its late rejection from going unhandled). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
	promise.catch(() => undefined);
	let timer: NodeJS.Timeout | undefined;
	return Promise.race([
		promise,
		new Promise<never>((_resolve, reject) => {
			timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
		}),
	]).finally(() => clearTimeout(timer));
}

export type Outcome = { ok: true; value: string } | { ok: false; error: { name: string; message: string } };

/** One subscriber connection per Redis client, shared by every waiting key. */
class Subscriber {
	private readonly connection: Redis;
	private readonly waiters = new Map<string, Set<() => void>>();

	constructor(redis: Redis) {
		this.connection = redis.duplicate({ lazyConnect: false, enableOfflineQueue: true });
		this.connection.on('error', () => undefined); // failures show up as timeouts of the waits
		this.connection.on('message', (channel: string) => {
			for (const wake of this.waiters.get(channel) ?? []) wake();
		});
	}

	async listen(channel: string, wake: () => void): Promise<() => Promise<void>> {
		let set = this.waiters.get(channel);
		if (!set) {
			this.waiters.set(channel, (set = new Set()));
			await this.connection.subscribe(channel);
		}
		set.add(wake);
		return async () => {
			set!.delete(wake);
			if (set!.size === 0 && this.waiters.get(channel) === set) {
				this.waiters.delete(channel);
				await this.connection.unsubscribe(channel).catch(() => undefined);
			}
		};
	}

	close(): void {
		this.connection.disconnect();
	}
}

const subscribers = new Map<Redis, Subscriber>();

function subscriberFor(redis: Redis): Subscriber {
	let subscriber = subscribers.get(redis);
	if (!subscriber) subscribers.set(redis, (subscriber = new Subscriber(redis)));
	return subscriber;
}

/** Closes the subscriber connections (gateway close, tests); the next wait opens a new one. */
export function closeSubscribers(): void {
	for (const s of subscribers.values()) s.close();
	subscribers.clear();
}

const prefixed = (redis: Redis, key: string) => `${(redis.options.keyPrefix as string | undefined) ?? ''}${key}`;

export class RedisFlight {
	private readonly lockMs: number;
	private readonly resultMs: number;
	private readonly maxWaitMs: number;
	private readonly commandTimeoutMs: number;

	constructor(
		private readonly redis: Redis,
		options: RedisFlightOptions = {},
	) {
		this.lockMs = options.lockMs ?? 10_000;
		this.resultMs = options.resultMs ?? 10_000;
		this.maxWaitMs = options.maxWaitMs ?? 15 * 60_000;
		this.commandTimeoutMs = options.commandTimeoutMs ?? 250;
	}

	/**
	 * Runs `work` if this process gets the lock; otherwise waits for the owner's outcome.
	 * `joined` is true when another process did the work. An owner that dies is replaced.
	 */
	async run(key: string, work: () => Promise<string>, signal?: AbortSignal): Promise<{ outcome: Outcome; joined: boolean }> {
		const lockKey = `sf:${key}:lock`;
		const resultKey = `sf:${key}:result`;
		// Channels are not prefixed by ioredis: add the client's key prefix so tenants stay apart.
		const channel = prefixed(this.redis, `sf:${key}`);
		const deadline = Date.now() + this.maxWaitMs;
		for (;;) {
			const token = randomBytes(8).toString('hex');
			if ((await within(this.redis.set(lockKey, token, 'PX', this.lockMs, 'NX'), this.commandTimeoutMs)) === 'OK') {
				return { outcome: await this.own(lockKey, resultKey, channel, token, work), joined: false };
			}
			const outcome = await this.waitFor(lockKey, resultKey, channel, deadline, signal);
			if (outcome) return { outcome, joined: true };
			// the owner died (lock gone, no outcome): try to take over
		}
	}

	private async own(lockKey: string, resultKey: string, channel: string, token: string, work: () => Promise<string>): Promise<Outcome> {
		const renew = setInterval(() => void this.redis.pexpire(lockKey, this.lockMs).catch(() => undefined), Math.max(50, this.lockMs / 3));
		let outcome: Outcome;
		try {
			outcome = { ok: true, value: await work() };
		} catch (error) {
			outcome = { ok: false, error: { name: (error as Error).name ?? 'Error', message: (error as Error).message ?? String(error) } };
		} finally {
			clearInterval(renew);
		}
		await within(this.redis.multi().set(resultKey, JSON.stringify(outcome), 'PX', this.resultMs).publish(channel, '1').exec(), this.commandTimeoutMs).catch(() => undefined);
		// release only our own lock (in the background: the caller has its answer)
		void this.redis
			.get(lockKey)
			.then((owner) => (owner === token ? this.redis.del(lockKey) : 0))
			.catch(() => undefined);
		return outcome;
	}

	/** The owner's outcome, or undefined when its lock vanished without one (it died). */
	private async waitFor(lockKey: string, resultKey: string, channel: string, deadline: number, signal?: AbortSignal): Promise<Outcome | undefined> {
		let wake!: () => void;
		let woken = new Promise<void>((resolve) => (wake = resolve));
		const stop = await within(subscriberFor(this.redis).listen(channel, () => wake()), this.commandTimeoutMs);
		const onAbort = () => wake();
		signal?.addEventListener('abort', onAbort, { once: true });
		try {
			for (;;) {
				const [[, result], [, lock]] = (await within(this.redis.pipeline().get(resultKey).exists(lockKey).exec(), this.commandTimeoutMs)) as [[unknown, string | null], [unknown, number]];
				if (result) return JSON.parse(result) as Outcome;
				if (!lock) return undefined;
				if (signal?.aborted) throw Object.assign(new Error('cancelled while waiting for an identical request'), { name: 'AbortError' });
				if (Date.now() > deadline) throw new Error('timed out waiting for an identical request in another worker');
				// poll as a fallback to the notification: an owner that dies publishes nothing
				let timer: NodeJS.Timeout | undefined;
				await Promise.race([woken, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(25, this.lockMs / 2))))]);
				clearTimeout(timer);
				woken = new Promise<void>((resolve) => (wake = resolve));
			}
		} finally {
			signal?.removeEventListener('abort', onAbort);
			void stop(); // unsubscribing need not hold up the answer
		}
	}
}
