import { getEventListeners } from 'node:events';

import { RequestAbortedError } from '../ollama/errors';
import { DynamicBatcher, type MemberOutcome } from '.';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs batches by doubling numbers; a negative input is that member's own error. */
function doubler(options: ConstructorParameters<typeof DynamicBatcher>[1]) {
	const batches: number[][] = [];
	const batcher = new DynamicBatcher<number, number>(async (inputs) => {
		batches.push(inputs);
		await sleep(1);
		return inputs.map((n): MemberOutcome<number> => (n < 0 ? { ok: false, error: new Error(`bad input ${n}`) } : { ok: true, value: n * 2 }));
	}, options);
	return { batcher, batches };
}

describe('DynamicBatcher', () => {
	it('flushes at once when the target size is reached, each caller getting its own result', async () => {
		const { batcher, batches } = doubler({ targetSize: 3, maxDelayMs: 10_000 });
		const results = await Promise.all([1, 2, 3].map((n) => batcher.add(n)));
		expect(results.map((r) => r.value)).toEqual([2, 4, 6]);
		expect(batches).toEqual([[1, 2, 3]]);
		expect(results.every((r) => r.batch.id === 1 && r.batch.size === 3)).toBe(true);
	});

	it('flushes a partial batch after the max delay', async () => {
		const { batcher, batches } = doubler({ targetSize: 10, maxDelayMs: 20 });
		const t0 = performance.now();
		const [a, b] = await Promise.all([batcher.add(1), batcher.add(2)]);
		expect(performance.now() - t0).toBeGreaterThanOrEqual(18);
		expect([a.value, b.value]).toEqual([2, 4]);
		expect(batches).toEqual([[1, 2]]);
		expect(a.batch.waitMs).toBeGreaterThanOrEqual(18);
	});

	it('never exceeds the limit', async () => {
		const { batcher, batches } = doubler({ targetSize: 100, limit: 4, maxDelayMs: 5 });
		await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.add(i)));
		expect(batches.map((b) => b.length)).toEqual([4, 4, 2]);
		expect(batches.flat()).toEqual(Array.from({ length: 10 }, (_, i) => i));
	});

	it('a failing member gets its own error; the others in its batch still get their results', async () => {
		const { batcher, batches } = doubler({ targetSize: 3 });
		const settled = await Promise.allSettled([batcher.add(1), batcher.add(-1), batcher.add(3)]);
		expect(batches).toHaveLength(1);
		expect(settled[0]).toMatchObject({ status: 'fulfilled', value: { value: 2 } });
		expect(settled[1]).toMatchObject({ status: 'rejected', reason: { message: 'bad input -1' } });
		expect(settled[2]).toMatchObject({ status: 'fulfilled', value: { value: 6 } });
	});

	it('a batch that fails as a whole fails each of its members (and not the next batch)', async () => {
		let n = 0;
		const batcher = new DynamicBatcher<number, number>(async (inputs) => {
			if (n++ === 0) throw new Error('backend down');
			return inputs.map((value) => ({ ok: true, value }));
		}, { targetSize: 2 });
		const first = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
		expect(first.map((s) => s.status)).toEqual(['rejected', 'rejected']);
		await expect(Promise.all([batcher.add(3), batcher.add(4)])).resolves.toMatchObject([{ value: 3 }, { value: 4 }]);
	});

	it('with isolate, a batch that fails because of one input is re-run member by member', async () => {
		const runs: number[][] = [];
		const batcher = new DynamicBatcher<number, number>(
			async (inputs) => {
				runs.push(inputs);
				if (inputs.includes(-1)) throw Object.assign(new Error('input -1 is too long'), { status: 400 });
				return inputs.map((value) => ({ ok: true, value }));
			},
			{ targetSize: 3, isolate: (error) => (error as { status?: number }).status === 400 },
		);
		const settled = await Promise.allSettled([batcher.add(1), batcher.add(-1), batcher.add(3)]);
		expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
		expect((settled[1] as PromiseRejectedResult).reason.message).toBe('input -1 is too long');
		expect(runs).toEqual([[1, -1, 3], [1], [-1], [3]]);
	});

	it('a caller that aborts while waiting leaves the batch at once; the others go on', async () => {
		const { batcher, batches } = doubler({ targetSize: 10, maxDelayMs: 30 });
		const controller = new AbortController();
		const keep = batcher.add(1);
		const gone = batcher.add(2, controller.signal);
		controller.abort();
		await expect(gone).rejects.toBeInstanceOf(RequestAbortedError);
		expect(batcher.waiting).toBe(1);
		await expect(keep).resolves.toMatchObject({ value: 2 });
		expect(batches).toEqual([[1]]);
	});

	it('cancels the running batch only when every member has aborted', async () => {
		const signals: AbortSignal[] = [];
		const batcher = new DynamicBatcher<number, number>(async (inputs, _info, signal) => {
			signals.push(signal);
			await sleep(30);
			return inputs.map((value) => ({ ok: true, value }));
		}, { targetSize: 2 });
		const [c1, c2] = [new AbortController(), new AbortController()];
		const p1 = batcher.add(1, c1.signal);
		const p2 = batcher.add(2, c2.signal);
		await sleep(5);
		c1.abort();
		await expect(p1).rejects.toBeInstanceOf(RequestAbortedError);
		expect(signals[0].aborted).toBe(false);
		c2.abort();
		await expect(p2).rejects.toBeInstanceOf(RequestAbortedError);
		expect(signals[0].aborted).toBe(true);
	});
});

describe('one abort signal shared by many callers', () => {
	it('gathers no listener per caller on the signal (Node warned past 10: MaxListenersExceededWarning), and still cancels every one of them', async () => {
		const controller = new AbortController();
		const { batcher } = doubler({ targetSize: 50, maxDelayMs: 20 });
		const done = await Promise.all(Array.from({ length: 40 }, (_, n) => batcher.add(n, controller.signal)));
		expect(done).toHaveLength(40);
		expect(getEventListeners(controller.signal, 'abort').length).toBe(0);
		const pending = Array.from({ length: 40 }, (_, n) => batcher.add(n, controller.signal).catch((e: unknown) => e));
		expect(getEventListeners(controller.signal, 'abort').length).toBeLessThanOrEqual(1);
		controller.abort();
		const errors = await Promise.all(pending);
		expect(errors.every((e) => e instanceof RequestAbortedError)).toBe(true);
	});
});
