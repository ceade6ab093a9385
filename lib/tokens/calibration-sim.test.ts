/**
 * The calibrator against the Ollama simulator over HTTP, in both ways Ollama reports
 * prompt_eval_count when a slot reuses its prompt cache: 0.30.0 (llama-server before "include cached
 * prompt tokens") counts only the uncached part; later versions count the whole prompt and report a
 * short prefill. The simulator counts llama3* / qwen* prompts with the real tokenizers.
 */
import { corpusRequests, sourceTexts } from '../../bench/_tokens-corpus';
import { startSimulator, type Simulator } from '../../test/simulator';
import { chatPromptTokens, type TokenizableMessage } from '../../test/simulator/tokenizer';
import { TokenCalibrator } from './calibrator';
import { countChatTokens, type ChatMessage } from './counter';
import { fitContext } from './fit-context';

const NUM_CTX = 16_384;
const texts = sourceTexts(40);
const requests = corpusRequests(40, 23, texts);

interface Reply {
	prompt_eval_count: number;
	prompt_eval_duration: number;
	message: { content: string };
}

async function chat(sim: Simulator, model: string, messages: ChatMessage[], numCtx = NUM_CTX, truncate = true): Promise<Reply> {
	const response = await fetch(`${sim.url}/api/chat`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ model, messages, stream: false, truncate, options: { num_ctx: numCtx, num_predict: 8 } }),
	});
	if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
	return (await response.json()) as Reply;
}

const modelCount = (messages: ChatMessage[], model: string) => chatPromptTokens(messages as TokenizableMessage[], undefined, model);

/** Sends the reply to the calibrator the way the agent does (estimate, count, prefill ms). */
function learn(calibrator: TokenCalibrator, model: string, messages: ChatMessage[], reply: Reply): boolean {
	return calibrator.observe({ model, backend: 'sim', estimated: countChatTokens(messages, { model }), actual: reply.prompt_eval_count, promptEvalMs: reply.prompt_eval_duration / 1e6 });
}

/** A conversation on one slot: each turn re-sends everything before it plus a new question. */
async function conversation(sim: Simulator, model: string, calibrator: TokenCalibrator, turns: number) {
	const messages: ChatMessage[] = [{ role: 'system', content: 'You answer questions about the documents the user pastes.' }];
	const out: Array<{ full: number; reported: number; accepted: boolean }> = [];
	for (let i = 0; i < turns; i++) {
		messages.push({ role: 'user', content: (requests[i].messages.at(-1) as ChatMessage).content.slice(0, 2000) });
		const reply = await chat(sim, model, messages);
		out.push({ full: modelCount(messages, model), reported: reply.prompt_eval_count, accepted: learn(calibrator, model, messages, reply) });
		messages.push({ role: 'assistant', content: reply.message.content });
	}
	return out;
}

describe.each(['llama3.2:3b', 'qwen2.5:0.5b'])('calibration against the simulator (%s)', (model) => {
	let sim: Simulator;
	afterEach(async () => {
		await sim?.close();
	});

	it('0.30.0 (uncached part only): cache-reuse counts are skipped; fitted requests fit num_ctx by the model count', async () => {
		sim = await startSimulator({ parallel: 1, timeScale: 0, version: '0.30.0' });
		const calibrator = new TokenCalibrator();
		const turns = await conversation(sim, model, calibrator, 10);
		expect(turns[0].reported).toBe(turns[0].full);
		expect(turns.slice(1).every((t) => t.reported < t.full / 2)).toBe(true); // the slot did reuse its cache
		expect(turns.slice(1).filter((t) => t.accepted)).toHaveLength(0);
		expect(calibrator.stats(model, 'sim').skipped.cacheReuse).toBe(9);

		for (const [i, r] of requests.slice(10, 22).entries()) {
			const numCtx = [2048, 4096][i % 2];
			const fit = await fitContext({
				history: r.messages.slice(0, -1).filter((m) => m.role !== 'system'),
				documents: texts.readme.slice(i, i + 3).map((text, n) => ({ id: `d${n}`, text: text.slice(0, 5000) })),
				prompt: (r.messages.at(-1) as ChatMessage).content.slice(0, 2500),
				numCtx,
				reserveOutput: 256,
				model,
				calibrate: (estimated) => calibrator.upperBound({ model, backend: 'sim', estimated }),
			});
			expect(modelCount(fit.messages, model)).toBeLessThanOrEqual(numCtx - 256);
			// The server agrees: with truncation off it would refuse a prompt over num_ctx.
			await expect(chat(sim, model, fit.messages, numCtx, false)).resolves.toMatchObject({ prompt_eval_count: expect.any(Number) });
		}
	});

	it('0.32 (full count, short prefill): counts are exact; samples whose prefill time shows cache reuse are skipped', async () => {
		sim = await startSimulator({ parallel: 1, timeScale: 1 });
		const calibrator = new TokenCalibrator();
		// Unrelated long requests first: the backend's prefill rate with nothing cached.
		for (const r of requests.slice(20, 24)) {
			const messages: ChatMessage[] = [{ role: 'user', content: texts.code[requests.indexOf(r)].slice(0, 6000) }];
			expect(learn(calibrator, model, messages, await chat(sim, model, messages))).toBe(true);
		}
		const turns = await conversation(sim, model, calibrator, 6);
		expect(turns.every((t) => t.reported === t.full)).toBe(true);
		expect(turns.slice(1).filter((t) => t.accepted)).toHaveLength(0);
		expect(calibrator.stats(model, 'sim').skipped.prefillTime).toBeGreaterThanOrEqual(5);
		// What was learned is right: the family estimate needs next to no correction.
		expect(Math.abs(calibrator.calibrate({ model, backend: 'sim', estimated: 5000 }) - 5000)).toBeLessThan(50);
	});
});
