import { onAbort } from '../ollama/abort';
import type { Call, Handler, Lease, Router } from '../pipeline';

/** One copy of a call on one backend (an attempt has one, two while hedged). */
interface Leg {
	readonly lease: Lease;
	readonly startedAt: number;
	firstTokenAt?: number;
	controller?: AbortController;
	/** Why this leg was ended by us (moved off an unhealthy backend, or lost the hedge race). */
	cancelledWith?: Error;
	done: boolean;
	unlisten?: () => void;
}

/** The reason a hedge's losing copy is cancelled (the router ignores aborted attempts). */
class HedgeLostError extends Error {
	readonly code = 'ABORTED';
	constructor(backend: string) {
		super(`The copy of the call on Ollama backend "${backend}" was cancelled: the other copy answered first`);
		this.name = 'HedgeLostError';
	}
}

/** When the router ends a leg (`lease.cancel`), the transport reports an abort: the reason is the real error. */
const takenBack = (leg: Leg, error: unknown) => (leg.cancelledWith && (error as { code?: string })?.code === 'ABORTED' ? leg.cancelledWith : error);

/**
 * Runs one attempt of `call` on `lease` through the rest of the pipeline and releases the lease
 * with its outcome. Two things can end it early, both before anything reached the caller:
 * - the router takes it back (`lease.cancel`, its backend stopped answering): the attempt fails
 *   with the router's reason and the scheduler retries elsewhere;
 * - a hedge: past `router.hedgeDelay` without a first token, a second copy starts on another
 *   backend (`router.tryHedge`); the first copy to stream a token (or to answer) wins, the other
 *   is cancelled, and only the winner's pieces reach `onChunk`. If one copy fails before any
 *   token, the other one carries on.
 * Resolves with the winner's result or rejects with the error that decides the retry.
 */
export function runAttempt(call: Call, primary: Lease, next: Handler, router: Router): Promise<unknown> {
	const onChunk = call.options.onChunk;
	const legs: Leg[] = [];
	let winner: Leg | undefined;
	let settled = false;
	let hedgeTimer: NodeJS.Timeout | undefined;

	return new Promise<unknown>((resolve, reject) => {
		const cancel = (leg: Leg, reason: Error) => {
			if (leg.done || leg.cancelledWith) return;
			leg.cancelledWith = reason;
			leg.controller?.abort(reason);
		};
		const claim = (leg: Leg) => {
			if (winner) return;
			winner = leg;
			clearTimeout(hedgeTimer);
			for (const other of legs) if (other !== leg) cancel(other, new HedgeLostError(other.lease.backend.name));
		};
		const traceHedge = () => {
			if (legs.length > 1 && winner) call.trace.hedged = { backends: legs.map((l) => l.lease.backend.name), winner: winner.lease.backend.name };
		};
		const end = (leg: Leg) => {
			leg.done = true;
			leg.unlisten?.();
			if (leg.lease.cancel) leg.lease.cancel = undefined;
		};

		const start = (lease: Lease): Leg => {
			const leg: Leg = { lease, startedAt: performance.now(), done: false };
			legs.push(leg);
			let signal = call.options.signal;
			if (lease.cancellable) {
				const controller = new AbortController();
				leg.controller = controller;
				const outer = signal;
				if (outer?.aborted) controller.abort(outer.reason);
				else if (outer) leg.unlisten = onAbort(outer, () => controller.abort(outer.reason));
				signal = controller.signal;
				lease.cancel = (reason) => {
					if (!settled || leg !== winner) cancel(leg, reason);
				};
			}
			const sent: Call = {
				...call,
				target: lease.backend,
				options: {
					...call.options,
					signal,
					onChunk: (text: string) => {
						if (leg.firstTokenAt === undefined) {
							leg.firstTokenAt = performance.now();
							lease.started?.();
							claim(leg);
						}
						if (winner === leg) onChunk?.(text);
					},
				},
			};
			let pending: Promise<unknown>;
			try {
				pending = next(sent);
			} catch (error) {
				pending = Promise.reject(error);
			}
			pending.then(
				(result) => {
					end(leg);
					const ended = performance.now();
					// A non-streamed reply (embed) arrives whole: its first token is the reply.
					lease.release({ ok: true, result, durationMs: ended - leg.startedAt, firstTokenMs: (leg.firstTokenAt ?? ended) - leg.startedAt });
					if (leg.firstTokenAt === undefined) lease.started?.();
					claim(leg);
					if (settled || winner !== leg) return;
					settled = true;
					traceHedge();
					resolve(result);
				},
				(raw: unknown) => {
					end(leg);
					const error = takenBack(leg, raw);
					lease.release({
						ok: false,
						error,
						durationMs: performance.now() - leg.startedAt,
						firstTokenMs: leg.firstTokenAt === undefined ? undefined : leg.firstTokenAt - leg.startedAt,
					});
					if (error !== raw && (error as { code?: string }).code === 'MOVED') (call.trace.movedFrom ??= []).push(lease.backend.name);
					if (settled) return;
					// The other copy is still running and nothing of this one reached the caller: it carries on.
					if (winner !== leg && legs.some((l) => !l.done)) return;
					settled = true;
					clearTimeout(hedgeTimer);
					traceHedge();
					reject(error);
				},
			);
			return leg;
		};

		const first = start(primary);
		const delay = router.hedgeDelay?.(call, primary);
		if (delay === undefined) return;
		hedgeTimer = setTimeout(() => {
			hedgeTimer = undefined;
			if (settled || winner || first.done || call.options.signal?.aborted) return;
			let second: Lease | undefined;
			try {
				second = router.tryHedge?.(call, primary);
			} catch {
				// no backend can take a copy now (e.g. the model went missing everywhere): the first copy carries on
			}
			if (second) start(second);
		}, delay);
		hedgeTimer.unref?.();
	});
}
