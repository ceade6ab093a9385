import { createHash } from 'node:crypto';

import type Redis from 'ioredis';

import { Codec } from '../cache/codec';
import { isDeterministic, type Call, type Handler, type Stage } from '../pipeline';
import { Flight } from './flight';
import { closeSubscribers, RedisFlight, type RedisFlightOptions } from './redis-lock';

export interface SingleFlightOptions {
	/** The cluster credential's hash: calls of different credentials never share a flight. */
	scope?: string;
	redis?: RedisFlightOptions;
}

export interface SingleFlightStats {
	/** Calls that went to the backend as the one flight for their key. */
	leaders: number;
	/** Calls that waited for an identical one in this process. */
	joins: number;
	/** Calls that waited for an identical one in another process (Redis). */
	remoteJoins: number;
	inFlight: number;
}

/**
 * Calls that opted into caching (a cache policy) and whose answer does not depend on chance (or
 * whose policy says it may be shared anyway). Other calls are left alone: a benchmark or a caller
 * that sends the same prompt twice on purpose gets two answers.
 */
function shareable(call: Call): boolean {
	if (call.target || !call.hints?.cache) return false; // pinned calls (warm-up) are meant for one backend
	if (call.kind === 'embed') return true;
	return isDeterministic(call.request) || call.hints?.cache?.nonDeterministic === true;
}

function flightKey(scope: string, call: Call): string {
	// Same code path, same key order: plain JSON is enough here (and cheaper than a canonical form).
	return createHash('sha256')
		.update(JSON.stringify([scope, call.hints?.cache?.namespace ?? '', call.kind, call.request]))
		.digest('hex');
}

/**
 * Identical calls in flight at the same time make one backend request: the others wait for it and
 * get the same answer (or the same error), marked `cacheLayer: 'single-flight'`. With a Redis client
 * in the call's cache policy, this holds across processes too (queue-mode workers).
 */
export class SingleFlightStage implements Stage {
	readonly name = 'single-flight';
	private readonly flights = new Map<string, Flight<unknown>>();
	private readonly remote = new WeakMap<Redis, RedisFlight>();
	private readonly counters = { leaders: 0, joins: 0, remoteJoins: 0 };

	constructor(private readonly options: SingleFlightOptions = {}) {}

	handle(call: Call, next: Handler): Promise<unknown> {
		// Not async: a call that cannot share a flight passes on without an extra promise.
		if (!shareable(call)) return next(call);
		return this.share(call, next);
	}

	private async share(call: Call, next: Handler): Promise<unknown> {
		const key = flightKey(this.options.scope ?? '', call);
		let flight = this.flights.get(key);
		if (flight) {
			this.counters.joins++;
			call.trace.cacheHit = true;
			call.trace.cacheLayer = 'single-flight';
			return structuredClone(await flight.wait(call.options.signal, call.options.onChunk));
		}
		flight = new Flight<unknown>().start((signal, onChunk) => this.lead(key, { ...call, options: { ...call.options, signal, onChunk } }, next));
		this.flights.set(key, flight);
		const forget = () => {
			if (this.flights.get(key) === flight) this.flights.delete(key);
		};
		flight.promise.then(forget, forget);
		flight.controller.signal.addEventListener('abort', forget, { once: true });
		return await flight.wait(call.options.signal, call.options.onChunk);
	}

	/** The one request for a key in this process: straight on, or through the Redis lock when shared. */
	private async lead(key: string, call: Call, next: Handler): Promise<unknown> {
		const policy = call.hints?.cache;
		if (!policy?.redis) {
			this.counters.leaders++;
			return await next(call);
		}
		let remote = this.remote.get(policy.redis);
		if (!remote) this.remote.set(policy.redis, (remote = new RedisFlight(policy.redis, this.options.redis)));
		const codec = new Codec({ encryptionKey: policy.encryptionKey });
		let result: unknown;
		let ranHere = false;
		let failure: unknown;
		let run;
		try {
			run = await remote.run(
				key,
				async () => {
					ranHere = true;
					this.counters.leaders++;
					result = await next(call).catch((error: unknown) => {
						failure = error;
						throw error;
					});
					return codec.encode(JSON.stringify(result)).toString('base64');
				},
				call.options.signal,
			);
		} catch (error) {
			if (ranHere) throw error;
			// Redis failed or timed out: go on alone rather than fail the call because of it.
			call.trace.warnings.push(`Single-flight across workers unavailable (${(error as Error).message}); this call went on alone.`);
			this.counters.leaders++;
			return await next(call);
		}
		if (!run.outcome.ok) {
			if (ranHere) throw failure; // the very error this process got
			throw Object.assign(new Error(run.outcome.error.message), { name: run.outcome.error.name });
		}
		if (!run.joined) return result;
		this.counters.remoteJoins++;
		call.trace.cacheHit = true;
		call.trace.cacheLayer = 'single-flight';
		const value = JSON.parse(codec.decode(Buffer.from(run.outcome.value, 'base64')));
		const content = (value as { message?: { content?: string } }).message?.content;
		if (content) call.options.onChunk?.(content);
		return value;
	}

	stats(): SingleFlightStats {
		return { ...this.counters, inFlight: this.flights.size };
	}

	async close(): Promise<void> {
		closeSubscribers();
	}
}
