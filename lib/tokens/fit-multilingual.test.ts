/**
 * Context fitting of long Chinese and Russian conversations for every family with its own
 * vocabulary, against the Ollama simulator over HTTP (which counts prompt_eval_count with the real
 * tokenizer): nothing is dropped that would have fit, and the server never sees a prompt over
 * num_ctx. With cl100k counts a Qwen user writing Chinese got about half the window (issue 23).
 */
import { languageText, sourceTexts } from '../../bench/_tokens-corpus';
import { startSimulator, type Simulator } from '../../test/simulator';
import { DEFAULT_MODELS, type SimModelSpec } from '../../test/simulator/models';
import { rngFromSeed } from '../../test/simulator/rng';
import { chatPromptTokens, type TokenizableMessage } from '../../test/simulator/tokenizer';
import { TokenCalibrator } from './calibrator';
import { countChatTokens, type ChatMessage } from './counter';
import { fitContext } from './fit-context';
import { textScript } from './scripts';

const NUM_CTX = 4096;
const RESERVE = 256;
const texts = sourceTexts(10);

/** The families' models besides the simulator's defaults (sizes as Ollama's library lists them). */
const FAMILY_MODELS: SimModelSpec[] = [
	{ name: 'qwen3:8b', family: 'qwen3', parameterSize: '8.2B', contextLength: 40960, size: 5_225_387_923 },
	{ name: 'gemma3:4b', family: 'gemma3', parameterSize: '4.3B', contextLength: 131072, size: 3_338_801_804 },
	{ name: 'gpt-oss:20b', family: 'gptoss', parameterSize: '20.9B', quantizationLevel: 'MXFP4', contextLength: 131072, size: 13_780_173_734 },
	{ name: 'deepseek-r1:7b', family: 'qwen2', parameterSize: '7.6B', contextLength: 131072, size: 4_683_075_271 },
].map((spec) => ({ kind: 'chat' as const, quantizationLevel: 'Q4_K_M', embeddingLength: 4096, kvBytesPerToken: 131072, ...spec }));

interface Reply {
	prompt_eval_count: number;
	message: { content: string };
}

async function chat(sim: Simulator, model: string, messages: ChatMessage[]): Promise<Reply> {
	const response = await fetch(`${sim.url}/api/chat`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		// truncate off: the server refuses a prompt over num_ctx instead of cutting it.
		body: JSON.stringify({ model, messages, stream: false, truncate: false, options: { num_ctx: NUM_CTX, num_predict: 4 } }),
	});
	if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
	return (await response.json()) as Reply;
}

/** A conversation of `turns` user/assistant pairs in one language, 40-600 characters a message. */
function conversation(language: 'zh' | 'ru', turns: number, seed: number): ChatMessage[] {
	const rng = rngFromSeed(seed);
	const length = () => 40 + Math.floor(rng() * 560);
	const messages: ChatMessage[] = [];
	for (let i = 0; i < turns; i++) {
		messages.push({ role: 'user', content: languageText(rng, language, length(), texts) });
		messages.push({ role: 'assistant', content: languageText(rng, language, length(), texts) });
	}
	return messages;
}

const realCount = (messages: ChatMessage[], model: string) => chatPromptTokens(messages as TokenizableMessage[], undefined, model);

describe.each(['qwen3:8b', 'llama3.2:3b', 'gemma3:4b', 'gpt-oss:20b', 'deepseek-r1:7b'])('fitting long conversations (%s)', (model) => {
	let sim: Simulator;
	beforeAll(async () => {
		sim = await startSimulator({ parallel: 1, timeScale: 0, models: [...DEFAULT_MODELS, ...FAMILY_MODELS] });
	});
	afterAll(async () => {
		await sim?.close();
	});

	it.each(['zh', 'ru'] as const)('%s: keeps every turn that fits num_ctx, and the server never sees more', async (language) => {
		const calibrator = new TokenCalibrator();
		const history = conversation(language, 60, language === 'zh' ? 1 : 2);
		const system = 'You are a helpful assistant. Answer in the language of the user.';
		const prompt = conversation(language, 1, 3)[0].content;
		const script = textScript([system, prompt, ...history.map((m) => m.content)]);
		// The agent learns from each reply; a few short requests of this conversation first.
		for (let i = 2; i <= 6; i += 2) {
			const messages: ChatMessage[] = [{ role: 'system', content: system }, ...history.slice(0, i)];
			const reply = await chat(sim, model, messages);
			expect(reply.prompt_eval_count).toBe(realCount(messages, model));
			calibrator.observe({ model, backend: 'sim', estimated: countChatTokens(messages, { model }), actual: reply.prompt_eval_count, script });
		}
		const fit = await fitContext({
			system,
			history,
			prompt,
			numCtx: NUM_CTX,
			reserveOutput: RESERVE,
			model,
			calibrate: (estimated) => calibrator.upperBound({ model, backend: 'sim', estimated, script }),
		});
		const limit = NUM_CTX - RESERVE;
		const kept = fit.messages.length - 2; // minus system and prompt
		expect(fit.dropped.turns).toBe(history.length - kept);
		expect(fit.dropped.turns).toBeGreaterThan(0); // the conversation is longer than the window
		const reply = await chat(sim, model, fit.messages);
		expect(reply.prompt_eval_count).toBe(realCount(fit.messages, model));
		expect(reply.prompt_eval_count).toBeLessThanOrEqual(limit);
		// The next older message would not have fitted.
		const withOneMore = [fit.messages[0], history[fit.dropped.turns - 1], ...fit.messages.slice(1)];
		expect(realCount(withOneMore, model)).toBeGreaterThan(limit);
	}, 120_000);
});
