import { OllamaHttpError } from '../ollama/errors';
import type { EmbedRequest, EmbedResult } from '../ollama/types';
import { newTrace, type Call, type Handler, type Stage } from '../pipeline';
import { DynamicBatcher, resolveBatcherOptions, type BatcherOptions, type MemberOutcome } from './batcher';

type EmbedCall = Call & { kind: 'embed' };
type Member = { call: EmbedCall; texts: string[]; next: Handler };

/** Everything of an embed request but its input: calls coalesce only when all of it is equal. */
function batchKey(request: EmbedRequest): string {
	return JSON.stringify({ ...request, input: undefined });
}

/** A batch failure that one member's input may cause (HTTP 4xx such as "input exceeds the context length"): worth re-running members alone. */
export const isInputError = (error: unknown): boolean => error instanceof OllamaHttpError && error.status >= 400 && error.status < 500;

export interface EmbedCoalescerStage extends Stage {
	/** Backend embed calls sent and texts they carried (after removing duplicates). */
	stats(): { calls: number; texts: number; duplicates: number };
}

/**
 * The gateway stage that turns `embed` calls arriving within the batch window — from any node
 * or execution in the process that shares the gateway — into one `/api/embed` array call per
 * model and request options. Identical texts are sent once (the Map keys on the text itself,
 * i.e. its content hash); each caller gets its own vectors back in its own order. When a
 * batch fails for a reason that may lie in one input (an HTTP 4xx answer), every
 * member is re-run alone so one bad text never fails the others.
 */
export function createEmbedCoalescerStage(options: BatcherOptions = {}): EmbedCoalescerStage {
	const resolved = resolveBatcherOptions(options);
	const batchers = new Map<string, DynamicBatcher<Member, EmbedResult & { trace: Call['trace'] }>>();
	const counts = { calls: 0, texts: 0, duplicates: 0 };

	const runBatch = async (members: Member[], signal: AbortSignal): Promise<Array<MemberOutcome<EmbedResult & { trace: Call['trace'] }>>> => {
		const unique = new Map<string, number>();
		const slots = members.map((m) =>
			m.texts.map((text) => {
				let i = unique.get(text);
				if (i === undefined) unique.set(text, (i = unique.size));
				else counts.duplicates++;
				return i;
			}),
		);
		const first = members[0].call;
		const trace = newTrace();
		const call: EmbedCall = {
			...first,
			request: { ...first.request, input: [...unique.keys()] },
			options: { signal },
			trace,
			priority: Math.max(...members.map((m) => m.call.priority ?? 0)),
		};
		counts.calls++;
		counts.texts += unique.size;
		const result = (await members[0].next(call)) as EmbedResult;
		if (result.embeddings.length !== unique.size) throw new SyntaxError(`embed reply has ${result.embeddings.length} vectors for ${unique.size} inputs`);
		const total = unique.size;
		return members.map((m, k) => ({
			ok: true,
			value: {
				...result,
				embeddings: slots[k].map((i) => result.embeddings[i]),
				// The batch's count shared by text, so per-item totals add up to the backend's.
				promptEvalCount: Math.round((result.promptEvalCount * m.texts.length) / Math.max(1, total)),
				trace,
			},
		}));
	};

	const batcherFor = (key: string) => {
		let batcher = batchers.get(key);
		if (!batcher) {
			batcher = new DynamicBatcher((members, _info, signal) => runBatch(members, signal), { ...resolved, isolate: isInputError, sizeOf: (m: Member) => m.texts.length });
			batchers.set(key, batcher);
		}
		return batcher;
	};

	const coalesce = async (call: EmbedCall, next: Handler): Promise<unknown> => {
		const input = call.request.input;
		const texts = typeof input === 'string' ? [input] : input;
		// A call that is already a big batch, or no batching at all, goes straight on.
		if (!Array.isArray(texts) || texts.length === 0 || texts.length >= resolved.limit || resolved.limit === 1) return await next(call);
		const key = batchKey(call.request);
		const { value, batch } = await batcherFor(key).add({ call, texts, next }, call.options.signal);
		const { trace, ...result } = value;
		call.trace.queueMs += batch.waitMs + trace.queueMs;
		call.trace.retries += trace.retries;
		call.trace.warnings.push(...trace.warnings);
		call.trace.batch = batch;
		return result;
	};

	return {
		name: 'batching',
		stats: () => ({ ...counts }),
		handle(call, next) {
			// Not async: chat passes on without an extra promise.
			if (call.kind !== 'embed' || call.target) return next(call);
			return coalesce(call, next);
		},
		async close() {
			for (const batcher of batchers.values()) batcher.close();
			batchers.clear();
		},
	};
}
