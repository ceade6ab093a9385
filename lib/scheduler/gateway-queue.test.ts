/**
 * The gateway queue against the Ollama simulator over real HTTP: cancellation and time in the
 * queue, backpressure, 503s, cold bursts and slot limits per backend.
 */
import { join } from 'node:path';

import { Gateway } from '../gateway';
import { processMetrics } from '../metrics';
import { RequestAbortedError } from '../ollama';
import { closeAllGateways } from '../registry';
import { readWorkflow, runWorkflow } from '../../test/harness/run-workflow';
import { startSimulator, type Simulator } from '../../test/simulator';
import { QueueFullError, QueuedCallCancelledError, QueueTimeoutError } from '.';

const MODEL = 'llama3.2:3b';
const ask = (content: string) => ({ model: MODEL, messages: [{ role: 'user' as const, content }] });
const sims: Simulator[] = [];
let gateway: Gateway | undefined;

async function sim(options: Parameters<typeof startSimulator>[0]): Promise<Simulator> {
	const s = await startSimulator(options);
	sims.push(s);
	return s;
}

afterEach(async () => {
	await gateway?.close();
	gateway = undefined;
	await closeAllGateways();
	await Promise.all(sims.splice(0).map((s) => s.close()));
});

describe('gateway queue in the process metrics', () => {
	it('reports queue depth while calls wait and their wait times once dispatched; a closed gateway leaves the metrics', async () => {
		const s = await sim({ parallel: 1, timeScale: 1, loadMs: 0, decodeTokensPerSec: 200, replyTokensMin: 20, replyTokensMax: 20 });
		gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: s.url, weight: 1, parallel: 1 }], balancer: { lookAhead: 0 } });
		const before = processMetrics().snapshot().queue!;
		const calls = [gateway.chat(ask('a')), gateway.chat(ask('b')), gateway.chat(ask('c'))];
		await new Promise((resolve) => setTimeout(resolve, 20));
		const during = processMetrics().snapshot().queue!;
		expect(during.gateways).toBe(before.gateways);
		expect(during.waiting - before.waiting).toBe(2);
		expect(during.running - before.running).toBe(1);
		await Promise.all(calls);
		const after = processMetrics().snapshot().queue!;
		expect(after.dispatched - before.dispatched).toBe(3);
		expect(after.waiting).toBe(before.waiting);
		expect(after.waitMs.samples - before.waitMs.samples).toBe(3);
		// The last call waited for two replies of ~100 ms each.
		expect(after.waitMs.max).toBeGreaterThanOrEqual(150);
		await gateway.close();
		gateway = undefined;
		expect(processMetrics().snapshot().queue?.gateways ?? 0).toBe(before.gateways - 1);
	});
});

describe('gateway queue: dispatch latency', () => {
	it('a call that finds a free slot is dispatched in the same turn, and the dispatch delay is measured', async () => {
		const s = await sim({ parallel: 2, timeScale: 0, loadMs: 0 });
		gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: s.url, weight: 1, parallel: 2 }] });
		const first = gateway.chat(ask('a'));
		// No await between the call and the hand-over to the transport: the caller's next work cannot delay it.
		expect(gateway.queueStats()).toMatchObject({ running: 1, waiting: 0, dispatched: 1 });
		await first;
		await Promise.all([1, 2, 3, 4, 5].map((n) => gateway!.chat(ask(`b${n}`))));
		const { dispatchMs } = gateway.queueStats();
		expect(dispatchMs.p50).toEqual(expect.any(Number));
		expect(dispatchMs.max).toBeGreaterThanOrEqual(dispatchMs.p99!);
	});
});

describe('gateway queue: cancellation and time', () => {
	it('an aborted waiting call leaves the queue at once with its own cancellation error (a RequestAbortedError naming no backend)', async () => {
		// 1 slot, ~1 s per reply: the third call waits in the gateway behind two at Ollama.
		const s = await sim({ parallel: 1, timeScale: 1, loadMs: 0, decodeTokensPerSec: 80, replyTokensMin: 40, replyTokensMax: 40 });
		gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: s.url, weight: 1, parallel: 1 }] });
		const running = [gateway.chat(ask('a')), gateway.chat(ask('b'))];
		const controller = new AbortController();
		const waiting = gateway.chat(ask('c'), { signal: controller.signal });
		const waitingBefore = gateway.queueStats().waiting;
		expect(waitingBefore).toBeGreaterThanOrEqual(1);
		const outcome = waiting.then(
			() => 'resolved',
			(error: unknown) => error,
		);
		await new Promise((resolve) => setTimeout(resolve, 50));
		controller.abort();
		// at once: before either running call (about half a second each) has ended, by event order, not a wall-clock bound
		const first = await Promise.race([outcome.then(() => 'cancelled'), Promise.race(running).then(() => 'a running call ended')]);
		expect(first).toBe('cancelled');
		const error = await outcome;
		expect(error).toBeInstanceOf(QueuedCallCancelledError);
		expect(error).toBeInstanceOf(RequestAbortedError);
		expect((error as Error).message).toBe('The call was cancelled while it waited in the gateway queue for a backend slot (it never reached a backend)');
		expect(gateway.queueStats()).toMatchObject({ waiting: waitingBefore - 1, aborted: 1 });
		await Promise.all(running);
		expect(s.stats.requestsByEndpoint['/api/chat']).toBe(2); // never sent
	});

	it('a call that waits longer than the queue timeout fails, naming the queue', async () => {
		const s = await sim({ parallel: 1, timeScale: 1, loadMs: 0, decodeTokensPerSec: 40, replyTokensMin: 20, replyTokensMax: 20 });
		gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: s.url, weight: 1, parallel: 1 }], scheduler: { queueTimeoutMs: 100 } });
		// Each reply takes ~500 ms: whatever did not get a slot at once gives up after 100 ms.
		const calls = [gateway.chat(ask('a')), gateway.chat(ask('b')), gateway.chat(ask('c'))];
		const settled = await Promise.allSettled(calls);
		expect(settled[0].status).toBe('fulfilled');
		expect(settled[2].status).toBe('rejected');
		const refused = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
		for (const { reason } of refused) {
			expect(reason).toBeInstanceOf(QueueTimeoutError);
			expect((reason as Error).message).toMatch(/waited in the gateway queue longer than its Queue Wait Timeout \(0\.1 s\)/);
		}
		expect(gateway.queueStats().timedOut).toBe(refused.length);
		expect(s.stats.requestsByEndpoint['/api/chat']).toBe(3 - refused.length);
		// A per-call setting overrides the cluster's.
		await expect(gateway.chat(ask('d'), { queueTimeoutMs: 0 })).resolves.toMatchObject({ backend: 'sim' });
	});

	it('rejects beyond the queue size with QueueFullError and serves the rest', async () => {
		const s = await sim({ parallel: 1, timeScale: 1, loadMs: 0, decodeTokensPerSec: 400 });
		gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: s.url, weight: 1, parallel: 1 }], scheduler: { maxQueue: 3 } });
		const settled = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => gateway!.chat(ask(`q${i}`))));
		// Served: what the router let through at once (the slot, maybe a look-ahead) and the 3 that waited.
		const served = settled.filter((r) => r.status === 'fulfilled').length;
		expect(served - 3).toBeGreaterThanOrEqual(1);
		expect(served - 3).toBeLessThanOrEqual(2);
		const refused = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
		expect(refused).toHaveLength(8 - served);
		for (const r of refused) expect(r.reason).toBeInstanceOf(QueueFullError);
		expect(gateway.queueStats().rejectedFull).toBe(refused.length);
	});

	it('cancelling an n8n execution stops its queued and running calls: the running ones are cut at Ollama before their replies end, the queued ones are never sent', async () => {
		const s = await sim({ parallel: 2, timeScale: 1, loadMs: 0, decodeTokensPerSec: 20, replyTokensMin: 60, replyTokensMax: 60 });
		const workflow = readWorkflow(join(__dirname, '..', '..', 'examples', 'agent-basic.json'));
		const credentials = { ollamaClusterApi: { backends: { backend: [{ name: 'sim', baseUrl: s.url, weight: 1, parallel: 2 }] } } };
		/** Starts 12 items (3 s per reply), cancels the execution once calls run at Ollama; returns how many were sent. */
		const cancelOnce = async () => {
			s.resetStats();
			const controller = new AbortController();
			const run = runWorkflow(workflow, { credentials, input: Array.from({ length: 12 }, (_, i) => ({ chatInput: `question ${i}` })), signal: controller.signal });
			const deadline = Date.now() + 5000;
			while (s.stats.active < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
			await new Promise((resolve) => setTimeout(resolve, 100));
			const sent = s.stats.requestsByEndpoint['/api/chat'];
			const cancelledAt = performance.now();
			controller.abort();
			const stopDeadline = cancelledAt + 2000;
			while ((s.stats.active > 0 || s.stats.queued > 0) && performance.now() < stopDeadline) await new Promise((resolve) => setImmediate(resolve));
			const { run: finished } = await run;
			return { sent, status: finished.status };
		};
		// The first cancellation in a process loads n8n's and undici's abort paths; measure the next ones.
		await cancelOnce();
		for (let i = 0; i < 3; i++) {
			const { sent, status } = await cancelOnce();
			expect(status).not.toBe('success');
			expect(sent).toBeLessThan(12);
			expect(s.stats.active + s.stats.queued).toBe(0);
			// every call that reached Ollama was aborted there, none answered: stopped before a 3 s reply could end
			expect(s.stats.aborted).toBe(sent);
			// the queued ones were never sent
			expect(s.stats.requestsByEndpoint['/api/chat']).toBe(sent);
		}
	});
});

describe('gateway queue: slots, 503s and cold bursts', () => {
	it('two backends with different slot counts never get more than their slots plus the look-ahead', async () => {
		const opts = { timeScale: 1, loadMs: 0, decodeTokensPerSec: 300, replyTokensMin: 10, replyTokensMax: 30 };
		const [one, three] = [await sim({ ...opts, parallel: 1 }), await sim({ ...opts, parallel: 3 })];
		gateway = new Gateway({
			backends: [
				{ name: 'one', baseUrl: one.url, weight: 1, parallel: 1 },
				{ name: 'three', baseUrl: three.url, weight: 1, parallel: 3 },
			],
		});
		const results = await Promise.all(Array.from({ length: 60 }, (_, i) => gateway!.chat(ask(`slots ${i}`))));
		expect(results).toHaveLength(60);
		expect(one.stats.maxActive).toBe(1);
		expect(one.stats.maxQueued).toBeLessThanOrEqual(1);
		expect(three.stats.maxActive).toBe(3);
		expect(three.stats.maxQueued).toBeLessThanOrEqual(1);
		// The 3-slot backend did most of the work.
		expect(results.filter((r) => r.backend === 'three').length).toBeGreaterThan(results.filter((r) => r.backend === 'one').length);
	});

	it('a 503 puts the call back in the queue with backoff; no item fails', async () => {
		// An old Ollama that answers 503 as soon as one request waits (legacy queue rule, queue of 0).
		const s = await sim({ parallel: 1, maxQueue: 0, queueRule: 'legacy', timeScale: 1, loadMs: 0, decodeTokensPerSec: 400, replyTokensMin: 10, replyTokensMax: 10 });
		gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: s.url, weight: 1, parallel: 1 }] });
		const results = await Promise.all(Array.from({ length: 6 }, (_, i) => gateway!.chat(ask(`busy ${i}`))));
		expect(results).toHaveLength(6);
		expect(s.stats.rejected503).toBeGreaterThan(0);
		expect(results.reduce((n, r) => n + r.retries, 0)).toBe(s.stats.rejected503);
		expect(gateway.queueStats().requeued).toBe(s.stats.rejected503);
	});

	it('a burst of 300 on a cold model with OLLAMA_MAX_QUEUE 20 finishes without a failure', async () => {
		const s = await sim({ parallel: 4, maxQueue: 20, timeScale: 1, loadMs: 300, decodeTokensPerSec: 4000, replyTokensMin: 5, replyTokensMax: 10 });
		gateway = new Gateway({ backends: [{ name: 'sim', baseUrl: s.url, weight: 1, parallel: 4 }] });
		const settled = await Promise.allSettled(Array.from({ length: 300 }, (_, i) => gateway!.chat(ask(`cold ${i}`))));
		expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);
		expect(s.stats.loads).toBe(1);
		expect(s.stats.maxActive).toBe(4);
	});
});
