import { onAbort } from '../ollama/abort';
import { RequestAbortedError } from '../ollama/errors';

/** The design document's three knobs. */
export interface BatcherOptions {
	/** Longest the first member of a batch waits for company (ms). Default 5. */
	maxDelayMs?: number;
	/** Flush at once when this many members (or texts, see `sizeOf`) are waiting. Default 32. */
	targetSize?: number;
	/** A batch never holds more members (or texts, see `sizeOf`) than this. Default 256. */
	limit?: number;
}

export interface DynamicBatcherOptions<I = unknown> extends BatcherOptions {
	/**
	 * When a whole batch fails with an error for which this returns true (one member's input may
	 * be to blame, e.g. HTTP 400), each member is run again alone, so it gets its own verdict.
	 */
	isolate?: (error: unknown) => boolean;
	/**
	 * How much one input counts against `targetSize` and `limit` (default 1: members are counted).
	 * The embed coalescer counts texts, so a call with many texts cannot push a batch past the limit.
	 */
	sizeOf?: (input: I) => number;
}

/** Which batch a member rode in. */
export interface BatchInfo {
	/** Increasing per batcher. */
	id: number;
	size: number;
	/** From `add` to the flush (ms). */
	waitMs: number;
}

/** What one batch run answers per member, in the members' order: a value or that member's own error. */
export type MemberOutcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

/**
 * Runs a batch. `signal` aborts once every member has been cancelled. A rejection counts as
 * every member's error.
 */
export type RunBatch<I, O> = (inputs: I[], batch: BatchInfo, signal: AbortSignal) => Promise<Array<MemberOutcome<O>>>;

interface Member<I, O> {
	input: I;
	size: number;
	addedAt: number;
	signal?: AbortSignal;
	settled: boolean;
	/** Removes the member's abort listener. */
	unlisten?: () => void;
	resolve(result: { value: O; batch: BatchInfo }): void;
	reject(error: unknown): void;
}

export const resolveBatcherOptions = (options: BatcherOptions = {}): Required<BatcherOptions> => {
	const limit = Math.max(1, Math.floor(options.limit ?? 256));
	return {
		maxDelayMs: Math.max(0, options.maxDelayMs ?? 5),
		limit,
		targetSize: Math.min(limit, Math.max(1, Math.floor(options.targetSize ?? 32))),
	};
};

/**
 * Collects single inputs into batches: a batch leaves when `targetSize` members (or texts) wait,
 * or when its first member has waited `maxDelayMs`, and never holds more than `limit`. Every caller
 * gets its own promise, settled with its own value or its own error (the design document's
 * sketch handed every caller the batch's promise). A caller that aborts leaves at once; the
 * batch goes on for the others.
 */
export class DynamicBatcher<I, O> {
	private readonly options: Required<BatcherOptions>;
	private readonly isolate?: (error: unknown) => boolean;
	private readonly sizeOf?: (input: I) => number;
	private pending: Array<Member<I, O>> = [];
	/** The waiting members' sizes added up. */
	private pendingSize = 0;
	private timer?: NodeJS.Timeout;
	private nextId = 1;
	private closed = false;

	constructor(
		private readonly runBatch: RunBatch<I, O>,
		options: DynamicBatcherOptions<I> = {},
	) {
		this.options = resolveBatcherOptions(options);
		this.isolate = options.isolate;
		this.sizeOf = options.sizeOf;
	}

	/** Members waiting for their batch to leave. */
	get waiting(): number {
		return this.pending.length;
	}

	add(input: I, signal?: AbortSignal): Promise<{ value: O; batch: BatchInfo }> {
		return new Promise((resolve, reject) => {
			if (this.closed) return reject(new Error('The batcher is closed'));
			if (signal?.aborted) return reject(new RequestAbortedError('batcher'));
			const size = Math.max(1, this.sizeOf?.(input) ?? 1);
			const member: Member<I, O> = { input, size, addedAt: performance.now(), signal, settled: false, resolve, reject };
			if (signal) {
				member.unlisten = onAbort(signal, () => {
					const i = this.pending.indexOf(member);
					if (i >= 0) {
						this.pending.splice(i, 1);
						this.pendingSize -= member.size;
					}
					if (this.pending.length === 0) this.clearTimer();
					this.settle(member, () => reject(new RequestAbortedError('batcher')));
				});
			}
			this.pending.push(member);
			this.pendingSize += size;
			if (this.pendingSize >= this.options.targetSize) this.flush();
			else if (!this.timer) {
				this.timer = setTimeout(() => {
					this.timer = undefined;
					this.flush();
				}, this.options.maxDelayMs);
			}
		});
	}

	/** Sends what is waiting now, in batches whose sizes add up to at most `limit` (a bigger single member goes alone). */
	flush(): void {
		this.clearTimer();
		while (this.pending.length > 0) {
			let count = 0;
			let size = 0;
			while (count < this.pending.length && (count === 0 || size + this.pending[count].size <= this.options.limit)) size += this.pending[count++].size;
			this.pendingSize -= size;
			void this.run(this.pending.splice(0, count));
		}
	}

	/** Flushes what waits; later `add`s are refused. */
	close(): void {
		this.flush();
		this.closed = true;
	}

	private clearTimer(): void {
		clearTimeout(this.timer);
		this.timer = undefined;
	}

	private settle(member: Member<I, O>, how: () => void): void {
		if (member.settled) return;
		member.settled = true;
		member.unlisten?.();
		how();
	}

	/** One member again on its own, after its batch failed with `batchError`. */
	private async runAlone(member: Member<I, O>, batch: BatchInfo, batchError: unknown): Promise<MemberOutcome<O>> {
		if (member.settled) return { ok: false, error: batchError };
		const controller = new AbortController();
		const unlisten = member.signal ? onAbort(member.signal, () => controller.abort()) : undefined;
		try {
			const [outcome] = await this.runBatch([member.input], batch, controller.signal);
			return outcome ?? { ok: false, error: batchError };
		} catch (error) {
			return { ok: false, error };
		} finally {
			unlisten?.();
		}
	}

	private async run(members: Array<Member<I, O>>): Promise<void> {
		const now = performance.now();
		const info = (m: Member<I, O>): BatchInfo => ({ id, size: members.length, waitMs: now - m.addedAt });
		const id = this.nextId++;
		// The batch is cancelled only when every member is.
		const controller = new AbortController();
		const stillWanted = () => members.some((m) => !m.settled);
		const onMemberAbort = () => {
			if (!stillWanted()) controller.abort();
		};
		const unlisten = members.map((m) => (m.signal ? onAbort(m.signal, onMemberAbort) : undefined));
		const batch = { id, size: members.length, waitMs: now - members[0].addedAt };
		try {
			const outcomes = await this.runBatch(
				members.map((m) => m.input),
				batch,
				controller.signal,
			).catch(async (error: unknown) => {
				if (members.length === 1 || !this.isolate?.(error)) throw error;
				return await Promise.all(members.map((m) => this.runAlone(m, batch, error)));
			});
			members.forEach((m, i) => {
				const outcome = outcomes[i] ?? { ok: false, error: new Error(`The batch returned no result for member ${i}`) };
				this.settle(m, () => (outcome.ok ? m.resolve({ value: outcome.value, batch: info(m) }) : m.reject(outcome.error)));
			});
		} catch (error) {
			for (const m of members) this.settle(m, () => m.reject(error));
		} finally {
			for (const remove of unlisten) remove?.();
		}
	}
}
