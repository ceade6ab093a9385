/**
 * Calibration against REAL model tokenizers (Llama 3 with its chat template, Qwen with ChatML, the
 * simulator's tokenizer module) on chat requests built from READMEs, source files and JSON, and
 * against the two ways Ollama reports prompt_eval_count when it reuses its prompt cache: older
 * servers count only the uncached part, ≥ 0.30.1 the whole prompt (with a short prefill time).
 */
import { corpusRequests, sourceTexts, type CorpusRequest } from '../../bench/_tokens-corpus';
import { chatPromptTokenIds, chatPromptTokens, type TokenizableMessage } from '../../test/simulator/tokenizer';
import { TokenCalibrator } from './calibrator';
import { countChatTokens, type ChatMessage } from './counter';
import { fitContext } from './fit-context';

const MODELS = ['llama3.2:3b', 'qwen3:8b'] as const;
/** Simulated prefill rate for the reply timings. */
const MS_PER_TOKEN = 0.5;

const texts = sourceTexts(60);
const requests = corpusRequests(120, 11, texts);

const modelCount = (messages: ChatMessage[], model: string) => chatPromptTokens(messages as TokenizableMessage[], undefined, model);

function commonPrefix(a: number[], b: number[]): number {
	let n = 0;
	while (n < a.length && n < b.length && a[n] === b[n]) n++;
	return n;
}

interface Reply {
	/** prompt_eval_count */
	count: number;
	/** prompt_eval_duration in ms */
	promptEvalMs: number;
}

/**
 * Replies of one server slot with a prompt cache, as each Ollama version reports them: the slot
 * keeps the previous prompt's tokens and only prefills what follows the common prefix.
 */
function slotReplies(conversations: ChatMessage[][], model: string, version: 'old' | 'new'): Reply[] {
	let cached: number[] = [];
	return conversations.map((messages) => {
		const ids = chatPromptTokenIds(messages as TokenizableMessage[], undefined, model);
		const reused = Math.min(commonPrefix(cached, ids), ids.length - 1);
		cached = ids;
		const uncached = ids.length - reused;
		return { count: version === 'old' ? uncached : ids.length, promptEvalMs: uncached * MS_PER_TOKEN };
	});
}

/** One conversation growing turn by turn: each request is the previous one plus two messages. */
function growingConversation(source: CorpusRequest[], turns: number): ChatMessage[][] {
	const system: ChatMessage = { role: 'system', content: 'You answer questions about the documents the user pastes.' };
	const out: ChatMessage[][] = [];
	let history: ChatMessage[] = [system];
	for (let i = 0; i < turns; i++) {
		const last = source[i % source.length].messages.at(-1) as ChatMessage;
		const request = [...history, { role: 'user' as const, content: last.content.slice(0, 1500) }];
		out.push(request);
		history = [...request, { role: 'assistant', content: `Noted: ${last.content.slice(0, 200)}` }];
	}
	return out;
}

describe.each(MODELS)('calibration against the real %s tokenizer', (model) => {
	it('reaches p95 ≤ 1 % calibrated error after 60 requests, and ≤ 2 % on each of prose, code and JSON', () => {
		const calibrator = new TokenCalibrator();
		const estimates = requests.map((r) => countChatTokens(r.messages, { model }));
		const actual = requests.map((r) => modelCount(r.messages, model));
		for (let i = 0; i < 60; i++) calibrator.observe({ model, backend: 'gpu', estimated: estimates[i], actual: actual[i] });
		const scored = requests.slice(60).map((r, j) => ({
			kind: r.kind,
			error: Math.abs(calibrator.calibrate({ model, backend: 'gpu', estimated: estimates[60 + j] }) - actual[60 + j]) / actual[60 + j],
		}));
		const p95 = (errors: number[]) => errors.sort((a, b) => a - b)[Math.ceil(errors.length * 0.95) - 1];
		expect(p95(scored.map((s) => s.error))).toBeLessThanOrEqual(0.01);
		for (const kind of ['readme', 'code', 'json']) expect(p95(scored.filter((s) => s.kind === kind).map((s) => s.error))).toBeLessThanOrEqual(0.02);
	});

	it('old servers (uncached part only): cache-reuse counts are skipped and the correction stays bounded', () => {
		const calibrator = new TokenCalibrator();
		const conversation = growingConversation(requests, 40);
		const replies = slotReplies(conversation, model, 'old');
		expect(replies.filter((r, i) => r.count < modelCount(conversation[i], model) / 2).length).toBeGreaterThan(30); // the poison is real
		const accepted = conversation.map((messages, i) =>
			calibrator.observe({ model, backend: 'gpu', estimated: countChatTokens(messages, { model }), actual: replies[i].count, promptEvalMs: replies[i].promptEvalMs }),
		);
		expect(accepted.filter(Boolean).length).toBeLessThanOrEqual(2); // the first request (nothing cached) and at most one more
		const estimated = countChatTokens(requests[0].messages, { model });
		expect(calibrator.calibrate({ model, backend: 'gpu', estimated })).toBeGreaterThanOrEqual(Math.floor(estimated * 0.9));
		expect(calibrator.stats(model, 'gpu').skipped.cacheReuse).toBeGreaterThan(30);
	});

	it('new servers (full count, short prefill): samples whose prefill time shows cache reuse are skipped', () => {
		const calibrator = new TokenCalibrator();
		// Learn the backend's prefill rate from unrelated requests (nothing cached).
		for (const r of requests.slice(0, 10)) {
			const count = modelCount(r.messages, model);
			calibrator.observe({ model, backend: 'gpu', estimated: countChatTokens(r.messages, { model }), actual: count, promptEvalMs: count * MS_PER_TOKEN });
		}
		const conversation = growingConversation(requests.slice(10), 12);
		const replies = slotReplies(conversation, model, 'new');
		const accepted = conversation.map((messages, i) =>
			calibrator.observe({ model, backend: 'gpu', estimated: countChatTokens(messages, { model }), actual: replies[i].count, promptEvalMs: replies[i].promptEvalMs }),
		);
		// The first turn shares nothing with the requests before it; later turns reuse most of the prompt.
		expect(accepted.slice(2).filter(Boolean)).toHaveLength(0);
		expect(calibrator.stats(model, 'gpu').skipped.prefillTime).toBeGreaterThanOrEqual(10);
	});

	it('never lets a fitted request overflow num_ctx, even after a stream of cache-reuse replies', async () => {
		const calibrator = new TokenCalibrator();
		const conversation = growingConversation(requests, 60);
		// Mixed fleet: one old server, one new; both feed the same model-wide correction.
		for (const version of ['old', 'new'] as const) {
			const replies = slotReplies(conversation, model, version);
			conversation.forEach((messages, i) =>
				calibrator.observe({ model, backend: version, estimated: countChatTokens(messages, { model }), actual: replies[i].count, promptEvalMs: replies[i].promptEvalMs }),
			);
		}
		let fitted = 0;
		for (const [i, r] of requests.slice(0, 60).entries()) {
			const numCtx = [2048, 4096, 8192][i % 3];
			const history = r.messages.slice(0, -1).filter((m) => m.role !== 'system');
			const system = r.messages[0].role === 'system' ? r.messages[0].content : undefined;
			for (const backend of ['old', 'new']) {
				const fit = await fitContext({
					system,
					history,
					documents: texts.code.slice(i % 20, (i % 20) + 3).map((text, n) => ({ id: `d${n}`, text: text.slice(0, 6000) })),
					prompt: (r.messages.at(-1) as ChatMessage).content.slice(0, 3000),
					numCtx,
					reserveOutput: 256,
					model,
					calibrate: (estimated) => calibrator.upperBound({ model, backend, estimated }),
				}).catch(() => undefined); // a prompt that cannot fit at all is refused, which is fine
				if (!fit) continue;
				fitted++;
				expect(modelCount(fit.messages, model)).toBeLessThanOrEqual(numCtx - 256);
			}
		}
		expect(fitted).toBeGreaterThan(100);
	});
});
