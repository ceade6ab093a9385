import { BackendBusyError, RequestAbortedError } from '../ollama/errors';
import { newTrace, type AttemptOutcome, type Backend, type Call, type Lease, type Router } from '../pipeline';
import { createSchedulerStage, QueueFullError, QueueTimeoutError, type SchedulerOptions } from '.';

const idOf = (call: Call) => (call.kind === 'chat' && call.request.model === 'm' ? String(call.request.messages?.[0]?.content) : call.request.model);

/** A router with `slots` leases per model on one backend; counts what it handed out. */
function fakeRouter(slots: number) {
	const backend = { name: 'b', backend: { name: 'b', baseUrl: '', weight: 1, parallel: slots } } as unknown as Backend;
	const inFlight = new Map<string, number>();
	const listeners = new Set<() => void>();
	const outcomes: AttemptOutcome[] = [];
	let maxInFlight = 0;
	const router: Router = {
		tryAcquire(call) {
			if (call.request.model === 'unknown') throw new Error('no backend serves model "unknown"');
			const n = inFlight.get(call.request.model) ?? 0;
			if (n >= slots) return undefined;
			inFlight.set(call.request.model, n + 1);
			maxInFlight = Math.max(maxInFlight, n + 1);
			let released = false;
			return {
				backend,
				release(outcome) {
					if (released) return;
					released = true;
					outcomes.push(outcome);
					inFlight.set(call.request.model, (inFlight.get(call.request.model) ?? 1) - 1);
					for (const l of [...listeners]) l();
				},
			} satisfies Lease;
		},
		onCapacity(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		retryDelay: (_call, error, attempt) => (error instanceof BackendBusyError && attempt <= 3 ? 5 : undefined),
	};
	return { router, outcomes, maxInFlight: () => maxInFlight };
}

/** A downstream handler whose calls finish only when the test says so; records the start order. */
function controlledNext() {
	const started: string[] = [];
	const pending: Array<{ id: string; finish(error?: Error): void }> = [];
	const next = (call: Call) =>
		new Promise<unknown>((resolve, reject) => {
			const id = idOf(call);
			started.push(id);
			pending.push({ id, finish: (error) => (error ? reject(error) : resolve({ id, evalCount: 10 })) });
		});
	/** Finishes the oldest running call (optionally with an error) and lets the scheduler react. */
	const finishOne = async (error?: Error) => {
		pending.shift()!.finish(error);
		await flush();
	};
	return { next, started, pending, finishOne };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
type CallExtra = Partial<Pick<Call, 'options' | 'priority' | 'queueTimeoutMs'>>;
const chat = (id: string, extra: CallExtra = {}, numPredict?: number): Call & { kind: 'chat' } => ({
	kind: 'chat',
	request: { model: 'm', messages: [{ role: 'user', content: id }], options: numPredict ? { num_predict: numPredict } : undefined },
	options: {},
	trace: newTrace(),
	...extra,
});

function setup(slots: number, options: SchedulerOptions = {}) {
	const { router, maxInFlight, outcomes } = fakeRouter(slots);
	const stage = createSchedulerStage(router, options);
	const ctl = controlledNext();
	const run = (call: Call) => stage.handle(call, ctl.next);
	return { stage, run, maxInFlight, outcomes, ...ctl };
}

describe('scheduler stage', () => {
	it('starts the next waiting call as soon as a slot frees, never more than the router allows', async () => {
		const { run, started, finishOne, maxInFlight, stage } = setup(2);
		const results = ['a', 'b', 'c', 'd', 'e'].map((id) => run(chat(id)));
		await flush();
		expect(started).toEqual(['a', 'b']);
		expect(stage.pending).toBe(3);
		await finishOne();
		expect(started).toEqual(['a', 'b', 'c']);
		for (let i = 0; i < 4; i++) await finishOne();
		await expect(Promise.all(results)).resolves.toHaveLength(5);
		expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
		expect(maxInFlight()).toBe(2);
		expect(stage.stats()).toMatchObject({ waiting: 0, running: 0, dispatched: 5, maxWaiting: 3 });
	});

	it('tells the router how each attempt went: the reply, its duration, the error', async () => {
		const { run, finishOne, outcomes } = setup(1);
		const done = run(chat('ok'));
		const failed = run(chat('bad')).catch((error: Error) => error.message);
		await flush();
		await finishOne();
		await finishOne(new Error('boom'));
		await done;
		expect(await failed).toBe('boom');
		expect(outcomes[0]).toMatchObject({ ok: true, result: { id: 'ok', evalCount: 10 } });
		expect(outcomes[1]).toMatchObject({ ok: false, error: { message: 'boom' } });
		expect(outcomes).toHaveLength(2); // one release per attempt, in the order they ended
	});

	it('runs higher priority first, first come first served within a priority', async () => {
		const { run, started, finishOne } = setup(1);
		const all = [run(chat('first')), run(chat('low1')), run(chat('high', { priority: 5 })), run(chat('low2')), run(chat('mid', { priority: 1 }))];
		await flush();
		for (let i = 0; i < 5; i++) await finishOne();
		await Promise.all(all);
		expect(started).toEqual(['first', 'high', 'mid', 'low1', 'low2']);
	});

	it('ages waiting calls so a low priority one is not starved by newer high priority ones', async () => {
		const { run, started, finishOne } = setup(1, { ageingMs: 10 });
		const all = [run(chat('first')), run(chat('old-low'))];
		await new Promise((resolve) => setTimeout(resolve, 60)); // old-low has aged ~6 levels
		all.push(run(chat('new-high', { priority: 3 })));
		await flush();
		for (let i = 0; i < 3; i++) await finishOne();
		await Promise.all(all);
		expect(started).toEqual(['first', 'old-low', 'new-high']);
	});

	it('an aborted waiting call leaves the queue at once with RequestAbortedError and never takes a slot', async () => {
		const { run, started, finishOne, stage } = setup(1);
		const controller = new AbortController();
		const first = run(chat('first'));
		const waiting = run(chat('cancelled', { options: { signal: controller.signal } }));
		const after = run(chat('after'));
		await flush();
		expect(stage.pending).toBe(2);
		// at once: it rejects while the running call still holds the only slot (no finishOne yet)
		controller.abort();
		await expect(waiting).rejects.toBeInstanceOf(RequestAbortedError);
		expect(stage.pending).toBe(1);
		await finishOne();
		await finishOne();
		await Promise.all([first, after]);
		expect(started).toEqual(['first', 'after']);
		expect(stage.stats().aborted).toBe(1);
	});

	it('a call already aborted is refused without waiting', async () => {
		const { run, stage } = setup(1);
		const first = run(chat('first'));
		await expect(run(chat('x', { options: { signal: AbortSignal.abort() } }))).rejects.toBeInstanceOf(RequestAbortedError);
		expect(stage.pending).toBe(0);
		void first;
	});

	it('fails a call that waited longer than the queue timeout, saying it was the queue', async () => {
		const { run, finishOne, stage } = setup(1, { queueTimeoutMs: 30 });
		const first = run(chat('first'));
		const waiting = run(chat('late'));
		const own = run(chat('own-limit', { queueTimeoutMs: 5000 }));
		await expect(waiting).rejects.toThrow(QueueTimeoutError);
		await expect(waiting).rejects.toThrow(/gateway queue.*Queue Wait Timeout \(0\.03 s\)/);
		expect(stage.stats().timedOut).toBe(1);
		await finishOne();
		await finishOne();
		await expect(Promise.all([first, own])).resolves.toHaveLength(2);
	});

	it('rejects calls beyond the queue size with a clear error and keeps serving the others (backpressure)', async () => {
		const { run, finishOne, stage } = setup(1, { maxQueue: 2 });
		const accepted = [run(chat('running')), run(chat('w1')), run(chat('w2'))];
		await expect(run(chat('w3'))).rejects.toThrow(QueueFullError);
		await expect(run(chat('w4'))).rejects.toThrow(/gateway queue is full \(2 calls waiting\)/);
		expect(stage.stats().rejectedFull).toBe(2);
		for (let i = 0; i < 3; i++) await finishOne();
		await expect(Promise.all(accepted)).resolves.toHaveLength(3);
	});

	it('puts a call that met a busy backend (503) back at the front after the backoff, without failing it', async () => {
		const { run, started, finishOne, stage } = setup(1);
		const busy = run(chat('busy'));
		const other = run(chat('other'));
		await flush();
		await finishOne(new BackendBusyError('b', 'server busy'));
		// 'other' got the freed slot during the backoff; 'busy' comes back at the front, before 'later'
		const later = run(chat('later'));
		await new Promise((resolve) => setTimeout(resolve, 20));
		await finishOne();
		expect(started).toEqual(['busy', 'other', 'busy']);
		await finishOne();
		await finishOne();
		const result = (await busy) as { id: string };
		expect(result.id).toBe('busy');
		await Promise.all([other, later]);
		expect(started).toEqual(['busy', 'other', 'busy', 'later']);
		expect(stage.stats().requeued).toBe(1);
	});

	it('fails at once when the router says no backend can ever serve the call', async () => {
		const { run } = setup(1);
		const first = run(chat('first'));
		await expect(run({ ...chat('x'), request: { model: 'unknown', messages: [] } })).rejects.toThrow(/no backend serves/);
		void first;
	});

	it('multi-bin: short generations waiting behind long ones go first', async () => {
		const { run, started, finishOne } = setup(1, { multiBin: { edges: [64], penaltyMs: 10_000 } });
		const all = [run(chat('first', {}, 16)), run(chat('long1', {}, 1000)), run(chat('long2', {}, 1000)), run(chat('short', {}, 16))];
		await flush();
		for (let i = 0; i < 4; i++) await finishOne();
		await Promise.all(all);
		expect(started).toEqual(['first', 'short', 'long1', 'long2']);
	});

	it('FIFO by default, whatever the predicted length', async () => {
		const { run, started, finishOne } = setup(1);
		const all = [run(chat('first', {}, 16)), run(chat('long1', {}, 1000)), run(chat('short', {}, 16))];
		await flush();
		for (let i = 0; i < 3; i++) await finishOne();
		await Promise.all(all);
		expect(started).toEqual(['first', 'long1', 'short']);
	});

	it('static batching releases a model\'s calls in waves of N, or what waited maxWaitMs', async () => {
		const { run, started, finishOne } = setup(8, { staticBatch: { size: 3, maxWaitMs: 40 } });
		const all = [run(chat('a')), run(chat('b'))];
		await flush();
		expect(started).toEqual([]);
		all.push(run(chat('c')));
		await flush();
		expect(started).toEqual(['a', 'b', 'c']);
		all.push(run(chat('d')));
		await flush();
		expect(started).toHaveLength(3);
		await new Promise((resolve) => setTimeout(resolve, 60));
		expect(started).toEqual(['a', 'b', 'c', 'd']);
		for (let i = 0; i < 4; i++) await finishOne();
		await Promise.all(all);
	});

	it('keeps models apart: a full model does not hold back another one', async () => {
		const { run, started } = setup(1);
		void run(chat('m-1'));
		void run(chat('m-2'));
		void run({ ...chat('x'), request: { model: 'other', messages: [] } });
		await flush();
		expect(started).toEqual(['m-1', 'other']);
	});
});
