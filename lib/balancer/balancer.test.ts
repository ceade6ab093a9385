import { createRouter, type RouterOptions } from '.';
import { BackendBusyError, BackendUnreachableError, ModelNotFoundError, OllamaHttpError } from '../ollama';
import { newTrace, type Backend, type Call, type Lease } from '../pipeline';

// Router-level behaviour with backends that are never contacted (probes off): what each
// strategy picks, capacity, learning, the breaker and retry decisions. Over real HTTP against
// simulators: balancer.http.test.ts.

const fakeBackend = (name: string, weight = 1, parallel = 1) => ({ name, backend: { name, baseUrl: 'http://127.0.0.1:9', weight, parallel } }) as unknown as Backend;
const call = (model = 'm', content = 'hi', extra: Partial<Call> = {}): Call =>
	({ kind: 'chat', request: { model, messages: [{ role: 'user', content }] }, options: {}, trace: newTrace(), ...extra }) as Call;

function clock(start = 1_000_000) {
	let t = start;
	return { now: () => t, advance: (ms: number) => (t += ms) };
}

const router = (backends: Backend[], options: RouterOptions = {}) => createRouter(backends, { healthIntervalMs: 0, ...options });
const ok = (lease: Lease, extra: Record<string, unknown> = {}) => lease.release({ ok: true, durationMs: 10, ...extra });

describe('round robin strategies', () => {
	it('weighted round robin deals calls by weight, interleaved', () => {
		const r = router([fakeBackend('a', 3, 8), fakeBackend('b', 1, 8)], { strategy: 'weightedRoundRobin' });
		const picks = Array.from({ length: 8 }, () => {
			const lease = r.tryAcquire(call())!;
			ok(lease);
			return lease.backend.name;
		});
		expect(picks.filter((p) => p === 'a')).toHaveLength(6);
		expect(picks.slice(0, 4).sort()).toEqual(['a', 'a', 'a', 'b']);
	});

	it('round robin ignores weights and keeps a dealt call waiting for its backend', () => {
		const r = router([fakeBackend('a', 3, 1), fakeBackend('b', 1, 1)], { strategy: 'roundRobin', lookAhead: 0 });
		const first = r.tryAcquire(call())!;
		const second = r.tryAcquire(call())!;
		expect([first.backend.name, second.backend.name]).toEqual(['a', 'b']);
		ok(second);
		const third = call();
		// dealt to a (full) although b is free now
		expect(r.tryAcquire(third)).toBeUndefined();
		expect(r.tryAcquire(third)).toBeUndefined();
		ok(first);
		expect(r.tryAcquire(third)!.backend.name).toBe('a');
	});
});

describe('least connections and least latency', () => {
	it('least connections picks the fewest in flight per slot', () => {
		const r = router([fakeBackend('one', 1, 1), fakeBackend('four', 1, 4)], { strategy: 'leastConnections', lookAhead: 0 });
		const names = Array.from({ length: 5 }, () => r.tryAcquire(call())!.backend.name);
		expect(names.filter((n) => n === 'four')).toHaveLength(4);
		expect(names.filter((n) => n === 'one')).toHaveLength(1);
		expect(r.tryAcquire(call())).toBeUndefined();
	});

	it('least latency prefers the backend whose calls finished faster', () => {
		const [slow, fast] = [fakeBackend('slow', 1, 4), fakeBackend('fast', 1, 4)];
		const r = router([slow, fast], { strategy: 'leastLatency' });
		for (const target of [slow, fast]) ok(r.tryAcquire(call('m', 'load', { target }))!); // cold loads do not count
		r.tryAcquire(call('m', 'x', { target: slow }))!.release({ ok: true, durationMs: 300, firstTokenMs: 50 });
		r.tryAcquire(call('m', 'x', { target: fast }))!.release({ ok: true, durationMs: 100, firstTokenMs: 20 });
		const names = Array.from({ length: 3 }, () => r.tryAcquire(call())!.backend.name);
		expect(names).toEqual(['fast', 'fast', 'fast']);
	});
});

describe('capacity', () => {
	it('never hands a backend more than its slots plus look-ahead, only slots while the model is cold, and says when one frees', () => {
		const r = router([fakeBackend('one', 1, 1), fakeBackend('three', 1, 3)], { lookAhead: 1 });
		const cold = Array.from({ length: 4 }, () => r.tryAcquire(call())!);
		expect(cold.every(Boolean)).toBe(true);
		expect(r.inFlight('one')).toBe(1);
		expect(r.inFlight('three')).toBe(3);
		expect(r.tryAcquire(call())).toBeUndefined();
		let told = 0;
		r.onCapacity(() => told++);
		cold.forEach((lease) => ok(lease)); // the model is loaded on both now
		expect(told).toBe(4);
		const warm = Array.from({ length: 6 }, () => r.tryAcquire(call())!);
		expect(warm.every(Boolean)).toBe(true);
		expect(r.inFlight('one')).toBe(2);
		expect(r.inFlight('three')).toBe(4);
		expect(r.tryAcquire(call())).toBeUndefined();
	});

	it('gives an embedding model one slot per backend, as Ollama loads it', () => {
		const r = router([fakeBackend('a', 1, 4)], { lookAhead: 0 });
		const embed = { kind: 'embed', request: { model: 'e', input: 'x' }, options: {}, trace: newTrace() } as Call;
		expect(r.tryAcquire(embed)).toBeDefined();
		expect(r.tryAcquire({ ...embed })).toBeUndefined();
	});

	it('keeps a pinned call on its backend and refuses a foreign one', () => {
		const [a, b] = [fakeBackend('a'), fakeBackend('b')];
		const r = router([a, b]);
		expect(r.tryAcquire(call('m', 'x', { target: b }))!.backend).toBe(b);
		expect(() => r.tryAcquire(call('m', 'x', { target: fakeBackend('x') }))).toThrow(/not part of this cluster/);
	});

	it('refuses an empty cluster', () => {
		expect(() => createRouter([])).toThrow(/at least one backend/);
	});
});

describe('default strategy: model-aware, prefix-aware, then load and latency', () => {
	it('sends a model where it is loaded rather than to a less busy backend that would load it', () => {
		const [a, b] = [fakeBackend('a', 1, 4), fakeBackend('b', 1, 4)];
		const r = router([a, b]);
		ok(r.tryAcquire(call('m', 'x', { target: b }))!); // m is loaded on b now
		const held = r.tryAcquire(call('m'))!;
		expect(held.backend.name).toBe('b');
		expect(r.tryAcquire(call('m'))!.backend.name).toBe('b');
	});

	it('places a cold model on an empty backend, and evicts a busy model only once the call waited', () => {
		const t = clock();
		const [a, b, c] = [fakeBackend('a', 1, 1), fakeBackend('b', 1, 1), fakeBackend('c', 1, 1)];
		const r = router([a, b, c], { now: t.now, lookAhead: 0, evictAfterMs: 3000 });
		ok(r.tryAcquire(call('x', 'load', { target: a }))!);
		ok(r.tryAcquire(call('y', 'load', { target: b }))!);
		expect(r.tryAcquire(call('x'))!.backend.name).toBe('a');
		expect(r.tryAcquire(call('y'))!.backend.name).toBe('b');
		expect(r.tryAcquire(call('z'))!.backend.name).toBe('c'); // loaded nowhere: the empty backend
		// now every backend holds a busy model: another cold model waits rather than evict one
		const w = call('w');
		expect(r.tryAcquire(w)).toBeUndefined();
		t.advance(2999);
		expect(r.tryAcquire(w)).toBeUndefined();
		t.advance(1);
		expect(r.tryAcquire(w)).toBeDefined();
	});

	it('on a single backend, sends a second model at once (waiting could not find a better place)', () => {
		const t = clock();
		const r = router([fakeBackend('only', 1, 2)], { now: t.now, lookAhead: 0, evictAfterMs: 3000 });
		ok(r.tryAcquire(call('planner', 'load'))!);
		const busy = r.tryAcquire(call('planner'))!;
		expect(busy).toBeDefined();
		expect(r.tryAcquire(call('worker'))?.backend.name).toBe('only');
	});

	it('sends a call to the backend whose slot cache holds the longest prefix, while it has a free slot', () => {
		const [a, b, c] = [fakeBackend('a', 1, 2), fakeBackend('b', 1, 2), fakeBackend('c', 1, 2)];
		const r = router([a, b, c], { minPrefixChars: 100 });
		for (const target of [a, b, c]) ok(r.tryAcquire(call('m', 'warm', { target }))!);
		const doc = 'A long shared document. '.repeat(40);
		const turn1 = r.tryAcquire(call('m', `${doc} question one`))!;
		const home = turn1.backend.name;
		ok(turn1);
		const next: Call = { ...call('m'), request: { model: 'm', messages: [{ role: 'user', content: `${doc} question one` }, { role: 'assistant', content: 'answer' }, { role: 'user', content: 'and two?' }] } } as Call;
		const turn2 = r.tryAcquire(next)!;
		expect(turn2.backend.name).toBe(home);
		// bounded: with the home backend's slots full the call goes elsewhere instead of piling up
		const fill = r.tryAcquire(call('m', `${doc} question one`))!;
		expect(fill.backend.name).toBe(home);
		const overflow = r.tryAcquire(call('m', `${doc} question one`))!;
		expect(overflow.backend.name).not.toBe(home);
	});

	it('spreads parallel calls over equal warm backends with free slots, not onto the one whose average is a little lower', () => {
		// Ollama's slots share one GPU: a second stream on a backend slows both, so three calls
		// at once finish sooner on three backends than on the one that answered slightly faster
		const [a, b, c] = [fakeBackend('a', 1, 4), fakeBackend('b', 1, 4), fakeBackend('c', 1, 4)];
		const r = router([a, b, c]);
		for (const [target, ms] of [[a, 500], [b, 480], [c, 520]] as const) {
			ok(r.tryAcquire(call('m', 'load', { target }))!);
			for (let i = 0; i < 2; i++) ok(r.tryAcquire(call('m', 'x', { target }))!, { durationMs: ms, result: { evalCount: 50, evalMs: ms - 20 } });
		}
		const leases = Array.from({ length: 3 }, (_, i) => r.tryAcquire(call('m', `branch ${i}`))!);
		expect(leases.map((l) => l.backend.name).sort()).toEqual(['a', 'b', 'c']);
		// a backend clearly faster still takes a second call before a slow one takes its first
		const [fast, slow] = [fakeBackend('fast', 1, 4), fakeBackend('slow', 1, 4)];
		const r2 = router([fast, slow]);
		for (const [target, ms] of [[fast, 300], [slow, 900]] as const) {
			ok(r2.tryAcquire(call('m', 'load', { target }))!);
			for (let i = 0; i < 2; i++) ok(r2.tryAcquire(call('m', 'x', { target }))!, { durationMs: ms, result: { evalCount: 50, evalMs: ms - 20 } });
		}
		expect(Array.from({ length: 2 }, () => r2.tryAcquire(call())!.backend.name)).toEqual(['fast', 'fast']);
	});

	it('measures again a backend whose average rests on one slow first call, or went stale while the others took every call', () => {
		const t = clock();
		const [a, b] = [fakeBackend('a', 1, 4), fakeBackend('b', 1, 4)];
		const r = router([a, b], { now: t.now });
		const served = (target: Backend, ms: number) => ok(r.tryAcquire(call('m', 'x', { target }))!, { durationMs: ms });
		for (const target of [a, b]) ok(r.tryAcquire(call('m', 'load', { target }))!);
		served(a, 500);
		served(a, 500);
		served(b, 3000); // b's first warm call was slow (a cold tokenizer, say)
		const retry = r.tryAcquire(call())!;
		expect(retry.backend.name).toBe('b');
		t.advance(500);
		retry.release({ ok: true, durationMs: 500 }); // its average restarts from this call
		expect(r.health().find((h) => h.backend === 'b')!.models[0].latencyMs).toBe(500);
		// a slow backend, measured twice, waits idle; after 4 of a's call times it is tried once more
		served(b, 1500);
		served(b, 1500);
		expect(r.tryAcquire(call())!.backend.name).toBe('a');
		t.advance(2001);
		served(a, 500);
		expect(r.tryAcquire(call())!.backend.name).toBe('b');
	});

	it('does not pin parallel calls to one backend for a prefix that the other backends hold nearly all of (a shared system prompt)', () => {
		const [a, b, c] = [fakeBackend('a', 1, 4), fakeBackend('b', 1, 4), fakeBackend('c', 1, 4)];
		const r = router([a, b, c], { minPrefixChars: 100, prefixBlockChars: 16 });
		const system = 'You are the researcher of a team that writes reports. '.repeat(12);
		const ask = (task: string, target?: Backend) =>
			({ ...call('m'), request: { model: 'm', messages: [{ role: 'system', content: system }, { role: 'user', content: task }] }, ...(target ? { target } : {}) }) as Call;
		// every backend saw the system prompt; a also saw a task that starts like the next ones
		for (const target of [b, c]) ok(r.tryAcquire(ask('Warm up', target))!);
		ok(r.tryAcquire(ask('Work on the quarterly report, part 0', a))!);
		const leases = Array.from({ length: 3 }, (_, i) => r.tryAcquire(ask(`Work on the quarterly report, part ${i + 1}`))!);
		expect(leases.map((l) => l.backend.name).sort()).toEqual(['a', 'b', 'c']);
		// the next turn of a's conversation still goes home: that prefix is a's alone
		const history = [{ role: 'system', content: system }, { role: 'user', content: 'Work on the quarterly report, part 0' }, { role: 'assistant', content: 'Draft of part 0. '.repeat(20) }];
		ok(r.tryAcquire({ ...call('m'), request: { model: 'm', messages: history }, target: a } as Call)!);
		expect(r.tryAcquire({ ...call('m'), request: { model: 'm', messages: [...history, { role: 'user', content: 'Shorter.' }] } } as Call)!.backend.name).toBe('a');
	});

	it('at the end of a burst, keeps a call for a faster backend rather than start it on a slow one that would finish later', () => {
		const t = clock();
		let waiting = 20;
		const [a, b, slow] = [fakeBackend('a', 1, 4), fakeBackend('b', 1, 4), fakeBackend('slow', 1, 4)];
		const r = router([a, b, slow], { now: t.now, lookAhead: 1, waiting: () => waiting });
		for (const [target, ms] of [[a, 100], [b, 100], [slow, 300]] as const) {
			ok(r.tryAcquire(call('m', 'load', { target }))!); // a cold load says nothing about durations
			ok(r.tryAcquire(call('m', 'x', { target }))!, { durationMs: ms, result: { evalCount: 10, evalMs: ms - 20 } });
		}
		// the fast ones take slots and look-ahead first (100 ms, or 125 behind a look-ahead, beats 300)
		const held = Array.from({ length: 10 }, () => r.tryAcquire(call())!);
		expect(held.map((l) => l.backend.name).filter((n) => n === 'slow')).toHaveLength(0);
		// 20 waiting: the fast pair (8 slots / 100 ms) needs 250 ms + 125 for them, longer than 300 on the slow one
		expect(r.tryAcquire(call())?.backend.name).toBe('slow');
		// 5 waiting: they are done in 62.5 + 125 ms, before the slow one would finish this call
		waiting = 5;
		expect(r.tryAcquire(call())).toBeUndefined();
		// the same for the slow one's look-ahead place (300 ms plus a quarter of a call there)
		waiting = 40;
		for (let i = 0; i < 3; i++) expect(r.tryAcquire(call())?.backend.name).toBe('slow');
		waiting = 10;
		expect(r.tryAcquire(call())).toBeUndefined();
		// a faster backend that stopped answering (no reply for 1 s) no longer holds calls back
		t.advance(1001);
		expect(r.tryAcquire(call())?.backend.name).toBe('slow');
	});

	it('does not hold back calls that take only a few ms anywhere', () => {
		const [a, b, slow] = [fakeBackend('a', 1, 4), fakeBackend('b', 1, 4), fakeBackend('slow', 1, 4)];
		const r = router([a, b, slow], { lookAhead: 1, waiting: () => 1 });
		for (const [target, ms] of [[a, 10], [b, 10], [slow, 30]] as const) {
			ok(r.tryAcquire(call('m', 'load', { target }))!);
			ok(r.tryAcquire(call('m', 'x', { target }))!, { durationMs: ms, result: { evalCount: 10, evalMs: ms - 2 } });
		}
		Array.from({ length: 10 }, () => r.tryAcquire(call())!);
		expect(r.tryAcquire(call())?.backend.name).toBe('slow');
	});

	it('does not hold calls back for a backend whose calls were only shorter, not decoded faster', () => {
		const [a, b, c] = [fakeBackend('a', 1, 4), fakeBackend('b', 1, 4), fakeBackend('c', 1, 4)];
		const r = router([a, b, c], { lookAhead: 1, waiting: () => 1 });
		// the same server speed; c happened to serve long prompts and replies
		for (const [target, ms, tokens] of [[a, 100, 10], [b, 100, 10], [c, 300, 30]] as const) {
			ok(r.tryAcquire(call('m', 'load', { target }))!);
			ok(r.tryAcquire(call('m', 'x', { target }))!, { durationMs: ms, result: { evalCount: tokens, evalMs: ms - 20 } });
		}
		Array.from({ length: 10 }, () => r.tryAcquire(call())!);
		expect(r.tryAcquire(call())?.backend.name).toBe('c');
	});

	it('remembers only as many prompts per backend as it has slots (Ollama keeps one cache per slot)', () => {
		const [a, b] = [fakeBackend('a', 1, 1), fakeBackend('b', 1, 1)];
		const r = router([a, b], { minPrefixChars: 100 });
		for (const target of [a, b]) ok(r.tryAcquire(call('m', 'warm', { target }))!);
		const docA = 'alpha document text. '.repeat(30);
		const docB = 'bravo document text. '.repeat(30);
		ok(r.tryAcquire(call('m', docA, { target: a }))!);
		ok(r.tryAcquire(call('m', docA, { target: b }))!);
		ok(r.tryAcquire(call('m', docB, { target: a }))!); // a's single slot now holds docB
		expect(r.tryAcquire(call('m', `${docA}?`))!.backend.name).toBe('b');
	});
});

describe('learned slots (Parallel Slots 0)', () => {
	// A reply as the transport returns it: Ollama's timings say whether the call waited in the server's queue.
	const reply = (queuedMs: number) => ({ latencyMs: 500 + queuedMs, evalMs: 400, loadMs: 0, promptEvalMs: 50, evalCount: 40 });

	it('grows while the look-ahead call starts at once, and shrinks when calls within the limit queue', () => {
		const t = clock();
		const r = router([fakeBackend('a', 1, 0)], { now: t.now, lookAhead: 1 });
		expect(r.slots('a', 'm')).toBe(1);
		ok(r.tryAcquire(call())!, { result: reply(0), firstTokenMs: 100 }); // model loaded
		// the server really has 3 slots: every call within limit + look-ahead starts at once
		for (let round = 0; round < 4; round++) {
			const leases = [];
			for (let lease = r.tryAcquire(call()); lease; lease = r.tryAcquire(call())) leases.push(lease);
			t.advance(200);
			const running = leases.slice(0, 3);
			for (const lease of running) lease.release({ ok: true, durationMs: 500, firstTokenMs: 100, result: reply(0) });
			for (const lease of leases.slice(3)) lease.release({ ok: true, durationMs: 900, firstTokenMs: 500, result: reply(400) });
		}
		expect(r.slots('a', 'm')).toBe(3);
		expect(r.health()[0].models[0]).toMatchObject({ model: 'm:latest', slots: 3, learned: true });
	});

	it('learns 3 slots when calls that start together end together (each wave\'s replacements see 0, 1, 2 others still running)', () => {
		// A 3-slot server in simulated time: a call runs 300 ms once a slot is free (first token
		// 10 ms in), otherwise it waits in the server's queue; a round of 8 calls waits for its last
		// one. From a limit of 2 each round's calls see 0, 1, 2, 0, 1, 2, 0, 1 others still running
		// (the look-ahead ones, sent third: 2, 0, 1, 2, 0, 1): one sent as a wave ends starts as the
		// rest of that wave ends, which says nothing about the slots, yet it used to cancel the probe
		// before it (the flaky HTTP test: stuck at 2 for 20 rounds, the same sequence).
		const t = clock();
		const r = router([fakeBackend('a', 1, 0)], { now: t.now, lookAhead: 1, initialLearnedSlots: 2 });
		ok(r.tryAcquire(call())!, { result: reply(0), firstTokenMs: 10 }); // model loaded
		const SLOTS = 3;
		for (let round = 0; round < 6; round++) {
			let backlog = 8;
			const running: Array<{ lease: Lease; sentAt: number; endsAt: number }> = [];
			const send = () => {
				for (let lease = backlog > 0 ? r.tryAcquire(call()) : undefined; lease; lease = backlog > 0 ? r.tryAcquire(call()) : undefined) {
					backlog--;
					// the server's slots free up as its calls end: the (SLOTS)th earlier end is when this one starts
					const ends = running.map((x) => x.endsAt).sort((x, y) => x - y);
					const start = ends.length < SLOTS ? t.now() : Math.max(t.now(), ends[ends.length - SLOTS]);
					running.push({ lease, sentAt: t.now(), endsAt: start + 300 });
				}
			};
			send();
			while (running.length) {
				const next = running.reduce((a, b) => (b.endsAt < a.endsAt ? b : a));
				running.splice(running.indexOf(next), 1);
				t.advance(next.endsAt - t.now());
				const waited = next.endsAt - 300 - next.sentAt;
				const result = { latencyMs: waited + 300, totalMs: waited + 300, loadMs: 0, promptEvalMs: 10, evalMs: 290, evalCount: 100 };
				next.lease.release({ ok: true, durationMs: waited + 300, firstTokenMs: waited + 10, result });
				send(); // the scheduler hands the freed place on in the same turn
			}
		}
		expect(r.slots('a', 'm')).toBe(3);
	});

	it('a stated number of slots wins over learning', () => {
		const r = router([fakeBackend('a', 1, 2)]);
		ok(r.tryAcquire(call())!, { result: reply(0), firstTokenMs: 100 });
		const [x, y] = [r.tryAcquire(call())!, r.tryAcquire(call())!];
		x.release({ ok: true, durationMs: 900, firstTokenMs: 500, result: reply(400) });
		ok(y, { result: reply(400), firstTokenMs: 500 });
		expect(r.slots('a', 'm')).toBe(2);
	});
});

describe('health: circuit breaker and Retry-After', () => {
	const down = (name: string) => new BackendUnreachableError(name, 'ECONNREFUSED');

	it('opens after N failures, sends nothing there, lets one trial through after the cooldown, and closes on its success', () => {
		const t = clock();
		const [a, b] = [fakeBackend('a', 1, 4), fakeBackend('b', 1, 4)];
		const r = router([a, b], { now: t.now, failureThreshold: 2, cooldownMs: 1000 });
		for (let i = 0; i < 2; i++) r.tryAcquire(call('m', 'x', { target: a }))!.release({ ok: false, error: down('a'), durationMs: 1 });
		expect(r.health().find((h) => h.backend === 'a')).toMatchObject({ circuit: 'open', up: false, errors: 2 });
		const names = Array.from({ length: 4 }, () => r.tryAcquire(call())!.backend.name);
		expect(new Set(names)).toEqual(new Set(['b']));
		t.advance(1000);
		const trial = r.tryAcquire(call())!; // b is full: the trial goes to a
		expect(trial.backend.name).toBe('a');
		expect(r.health().find((h) => h.backend === 'a')!.circuit).toBe('halfOpen');
		expect(r.tryAcquire(call())).toBeUndefined(); // one trial at a time
		ok(trial);
		expect(r.health().find((h) => h.backend === 'a')).toMatchObject({ circuit: 'closed', up: true });
	});

	it('a failed trial opens the circuit again for twice as long', () => {
		const t = clock();
		const [a, b] = [fakeBackend('a'), fakeBackend('b')];
		const r = router([a, b], { now: t.now, failureThreshold: 1, cooldownMs: 1000 });
		r.tryAcquire(call('m', 'x', { target: a }))!.release({ ok: false, error: down('a'), durationMs: 1 });
		t.advance(1000);
		r.tryAcquire(call('m', 'x', { target: a }))!.release({ ok: false, error: down('a'), durationMs: 1 });
		t.advance(1500);
		expect(r.health()[0].circuit).toBe('open');
		t.advance(500);
		expect(r.tryAcquire(call('m', 'x', { target: a }))).toBeDefined();
	});

	it('holds a backend off for its Retry-After', () => {
		const t = clock();
		const [a, b] = [fakeBackend('a', 1, 4), fakeBackend('b', 1, 4)];
		const r = router([a, b], { now: t.now });
		const busy = Object.assign(new BackendBusyError('a', 'server busy'), { retryAfterMs: 2000 });
		r.tryAcquire(call('m', 'x', { target: a }))!.release({ ok: false, error: busy, durationMs: 1 });
		expect(new Set(Array.from({ length: 4 }, () => r.tryAcquire(call())!.backend.name))).toEqual(new Set(['b']));
		t.advance(2000);
		expect(Array.from({ length: 4 }, () => r.tryAcquire(call())!.backend.name)).toContain('a');
	});
});

describe('failover decisions', () => {
	const fail = (r: ReturnType<typeof router>, c: Call, error: unknown, firstTokenMs?: number) => {
		const lease = r.tryAcquire(c)!;
		lease.release({ ok: false, error, durationMs: 5, firstTokenMs });
		return lease.backend.name;
	};

	it('retries a call that failed before its first token on another backend at once, within the budget', () => {
		const r = router([fakeBackend('a', 1, 4), fakeBackend('b', 1, 4)], { retries: 2 });
		const c = call();
		const first = fail(r, c, new BackendUnreachableError('a', 'ECONNRESET'));
		expect(r.retryDelay(c, new BackendUnreachableError(first, 'ECONNRESET'), 1)).toBe(0);
		const second = fail(r, c, new OllamaHttpError('b', 500, 'model runner has unexpectedly stopped'));
		expect(second).not.toBe(first);
		expect(r.retryDelay(c, new OllamaHttpError(second, 500, 'x'), 2)).toBeGreaterThan(0); // nowhere new: backoff
		expect(r.retryDelay(c, new OllamaHttpError(second, 500, 'x'), 3)).toBeUndefined(); // budget spent
	});

	it('after the first token: a non-streamed call is retried from scratch, a call streaming to a client ends with a clear error', () => {
		const r = router([fakeBackend('a', 1, 4), fakeBackend('b', 1, 4)]);
		const quiet = call();
		fail(r, quiet, new BackendUnreachableError('a', 'connection lost'), 120);
		expect(r.retryDelay(quiet, new BackendUnreachableError('a', 'connection lost'), 1)).toBe(0);
		const streaming = call('m', 'hi', { options: { onChunk: () => undefined } });
		const error = new BackendUnreachableError('a', 'connection lost');
		fail(r, streaming, error, 120);
		expect(r.retryDelay(streaming, error, 1)).toBeUndefined();
		expect(error.message).toMatch(/already streaming to the client, so it was not retried/);
	});

	it('does not retry what another backend cannot fix, and backs off a busy backend', () => {
		const r = router([fakeBackend('a'), fakeBackend('b')], { busyRetries: 2, backoffMs: 50 });
		expect(r.retryDelay(call(), new OllamaHttpError('a', 400, 'bad request'), 1)).toBeUndefined();
		expect(r.retryDelay(call(), new Error('boom'), 1)).toBeUndefined();
		const busy = new BackendBusyError('a', 'server busy');
		expect(r.retryDelay(call(), busy, 1)).toBe(50);
		expect(r.retryDelay(call(), busy, 2)).toBe(100);
		expect(r.retryDelay(call(), busy, 3)).toBeUndefined();
	});

	it('skips a backend without the model (404) for that model only, and fails at once when no backend has it', () => {
		const r = router([fakeBackend('a', 1, 4), fakeBackend('b', 1, 4)], { strategy: 'leastConnections' });
		const c = call('rare');
		const missingOn = fail(r, c, new ModelNotFoundError('a', 'rare', "model 'rare' not found"));
		expect(r.retryDelay(c, new ModelNotFoundError(missingOn, 'rare', 'x'), 1)).toBe(0);
		const other = missingOn === 'a' ? 'b' : 'a';
		expect(Array.from({ length: 3 }, () => r.tryAcquire(call('rare'))!.backend.name)).toEqual([other, other, other]);
		expect(r.tryAcquire(call('common'))!.backend.name).toBeDefined();
		expect(new Set(Array.from({ length: 4 }, () => r.tryAcquire(call('common'))!.backend.name)).size).toBe(2);
		const last = r.tryAcquire(call('rare'))!;
		last.release({ ok: false, error: new ModelNotFoundError(other, 'rare', 'x'), durationMs: 1 });
		expect(r.health().find((h) => h.backend === other)!.models.find((m) => m.model === 'rare:latest')!.missing).toBe(true);
		expect(() => r.tryAcquire(call('rare'))).toThrow(/not available on any backend/);
	});
});
