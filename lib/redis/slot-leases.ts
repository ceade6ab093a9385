import type Redis from 'ioredis';

/**
 * Slot leases in Redis: one sorted set per backend and model whose members are the slots held by
 * every worker, each scored with the time it expires. Reserving is one Lua script, so two workers
 * that ask at the same moment can never take more than the capacity between them (a read then an
 * increment from two clients could). A worker renews what it holds every sync; a worker that dies
 * stops renewing, and its members fall out at the next script after their expiry.
 *
 * The script (atomic, Redis ≥ 5 for TIME in a writing script):
 * 1. drops expired members (score < now, Redis' own clock, so workers' clocks do not matter);
 * 2. removes the members the worker gives back;
 * 3. (re)adds the members it holds with a fresh expiry, even past the capacity: they are calls
 *    running now (after a Redis restart, or started while Redis was away), the truth to count;
 * 4. grants up to `need` new members while the set holds fewer than `capacity`;
 * 5. records that the worker still waits (a hash with the same expiry) or not. On `channel`:
 *    `w<worker> <key>` when a worker starts waiting (others holding unused leases give them back at
 *    once), `f<worker> <key>` when leases were given back while another worker waits (it asks again
 *    at once instead of at its next sync).
 * Returns [granted, held by every other worker, waiting workers other than this one].
 *
 * Redis Cluster: both keys carry the same hash tag (`{…}`), so they live in one slot.
 */
export const RESERVE_SLOTS_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local need = tonumber(ARGV[3])
local worker = ARGV[4]
local seq = tonumber(ARGV[5])
local nrelease = tonumber(ARGV[6])
local nrenew = tonumber(ARGV[7])
local channel = ARGV[8]
local wait = tonumber(ARGV[9])
local removed = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local i = 10
for _ = 1, nrelease do
  removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  i = i + 1
end
for _ = 1, nrenew do
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[i])
  i = i + 1
end
local count = redis.call('ZCARD', KEYS[1])
local granted = math.max(0, math.min(need, capacity - count))
for j = 1, granted do
  redis.call('ZADD', KEYS[1], now + ttl, worker .. ':' .. (seq + j))
end
if wait - granted > 0 then
  if redis.call('HSET', KEYS[2], worker, now + ttl) == 1 and channel ~= '' then
    redis.call('PUBLISH', channel, 'w' .. worker .. ' ' .. KEYS[1])
  end
else
  redis.call('HDEL', KEYS[2], worker)
end
local waiting = 0
local waiters = redis.call('HGETALL', KEYS[2])
for k = 1, #waiters, 2 do
  if tonumber(waiters[k + 1]) < now then
    redis.call('HDEL', KEYS[2], waiters[k])
  elseif waiters[k] ~= worker then
    waiting = waiting + 1
  end
end
if removed > 0 and waiting > 0 and channel ~= '' then
  redis.call('PUBLISH', channel, 'f' .. worker .. ' ' .. KEYS[1])
end
redis.call('PEXPIRE', KEYS[1], ttl * 2)
redis.call('PEXPIRE', KEYS[2], ttl * 2)
return {granted, count - nrenew, waiting}
`;

export interface ReserveRequest {
	/** The sorted set of this backend and model's leases (the hash of waiters is `<key>:wait`). */
	key: string;
	ttlMs: number;
	/** Slots + look-ahead for this backend and model as this worker sees it now. */
	capacity: number;
	/** New leases wanted now. */
	need: number;
	/** Calls of this worker waiting for this key (need that may stay unmet). */
	waiting: number;
	worker: string;
	/** New members are named `<worker>:<seq + 1…>`. */
	seq: number;
	release: string[];
	renew: string[];
	/** Where a release is announced to waiting workers ('' for none); not key-prefixed. */
	channel: string;
}

export interface ReserveReply {
	granted: number;
	/** Leases every other worker holds on this key. */
	others: number;
	/** Other workers waiting for this key. */
	waiting: number;
}

type WithReserve = Redis & {
	agentTeamReserveSlots(key: string, waitKey: string, ...args: Array<string | number>): Promise<[number, number, number]>;
};

/**
 * Adds the script to a client once (`defineCommand`: EVALSHA, falling back to EVAL when the
 * server does not know it yet, e.g. after a restart). Works in a pipeline too.
 */
function withReserve(redis: Redis): WithReserve {
	const r = redis as WithReserve;
	if (typeof r.agentTeamReserveSlots !== 'function') redis.defineCommand('agentTeamReserveSlots', { numberOfKeys: 2, lua: RESERVE_SLOTS_LUA });
	return r;
}

function args(q: ReserveRequest): Array<string | number> {
	return [q.ttlMs, q.capacity, q.need, q.worker, q.seq, q.release.length, q.renew.length, q.channel, q.waiting, ...q.release, ...q.renew];
}

/** Runs the reservation for several keys in one round trip (a pipeline of EVALSHAs). */
export async function reserveSlots(redis: Redis, requests: ReserveRequest[]): Promise<ReserveReply[]> {
	if (requests.length === 0) return [];
	const r = withReserve(redis);
	const pipeline = r.pipeline() as unknown as { agentTeamReserveSlots(...a: Array<string | number>): void; exec(): Promise<Array<[Error | null, unknown]> | null> };
	for (const q of requests) pipeline.agentTeamReserveSlots(q.key, `${q.key}:wait`, ...args(q));
	const replies = (await pipeline.exec()) ?? [];
	return requests.map((_, i) => {
		const [error, result] = replies[i] ?? [new Error('no reply'), undefined];
		if (error) throw error;
		const [granted, others, waiting] = result as [number, number, number];
		return { granted, others, waiting };
	});
}
