/**
 * The kind of text a request is, by writing system: what calibration learns separately and what the
 * generic family's fit floor depends on. A model without a known vocabulary (Mistral, Phi …) may
 * count a script far below cl100k_base — large multilingual vocabularies take a Chinese word or a
 * Hindi syllable as one token where cl100k takes several — but Latin text hardly ever below 0.75 ×.
 * Calibrating every script apart lets the backend's own count lower the estimate where it really is
 * lower, without a Chinese conversation teaching a correction that would overflow an English one.
 */
export type TextScript = 'latin' | 'cyrillic' | 'han' | 'kana' | 'hangul' | 'arabic' | 'indic' | 'vietnamese' | 'other' | 'mixed';

type LetterScript = Exclude<TextScript, 'mixed'>;

/**
 * The lowest count, relative to cl100k_base, that any of five real vocabularies (Llama 3, Qwen,
 * Gemma 3, o200k, DeepSeek-V3's) gave for a request of the script in the corpus of docs/tokens.md,
 * rounded down with a margin (scripts.test.ts checks it): a model with one of them cannot take a
 * generic estimate below these. Latin (English and Western European text, code, JSON) keeps the old
 * generic floor. Scripts are fine-grained (Chinese apart from Japanese and Korean, Vietnamese apart
 * from other Latin text) because languages of one class still differ by up to 15 %.
 */
export const GENERIC_FIT_FLOOR: Record<TextScript, number> = {
	latin: 0.75,
	cyrillic: 0.5,
	han: 0.45,
	kana: 0.5,
	hangul: 0.5,
	arabic: 0.4,
	indic: 0.2,
	vietnamese: 0.5,
	// Text of several scripts, or of one this table does not know, mixes ratios that differ by 4×:
	// a correction learned from one such request could starve the next. These keep the old floor.
	other: 0.75,
	mixed: 0.75,
};

/** Letters of one script at least this share of the sampled letters make the text that script. */
const DOMINANT_SHARE = 0.85;
/** Characters sampled from a long text (evenly spread chunks). */
const SAMPLE_CHARS = 4096;
const CHUNKS = 8;

/** Vietnamese letters outside Latin-1: ă â đ ê ô ơ ư and the tone-marked vowels of Latin Extended Additional. */
function vietnamese(code: number): boolean {
	return (code >= 0x1ea0 && code < 0x1f00) || code === 0x103 || code === 0x102 || code === 0x111 || code === 0x110 || code === 0x1a1 || code === 0x1a0 || code === 0x1b0 || code === 0x1af;
}

function classify(code: number): LetterScript | undefined {
	if (code < 0x80) return (code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a ? 'latin' : undefined;
	if (vietnamese(code)) return 'vietnamese';
	if (code < 0x250) return code >= 0xc0 && code !== 0xd7 && code !== 0xf7 ? 'latin' : undefined;
	if (code >= 0x300 && code < 0x370) return undefined; // combining marks
	if (code >= 0x400 && code < 0x530) return 'cyrillic';
	if ((code >= 0x600 && code < 0x780) || (code >= 0xfb50 && code < 0xff00 && !(code >= 0xfe00 && code < 0xfe70))) return 'arabic';
	if (code >= 0x900 && code < 0xe00) return 'indic';
	if (code >= 0x2000 && code < 0x2e80) return undefined; // punctuation, symbols, arrows
	if (code >= 0x3000 && code < 0x3040) return undefined; // CJK punctuation
	if (code >= 0x3040 && code < 0x3100) return 'kana';
	if ((code >= 0xac00 && code < 0xd7b0) || (code >= 0x1100 && code < 0x1200) || (code >= 0x3130 && code < 0x3190)) return 'hangul';
	if ((code >= 0x2e80 && code < 0xa000) || (code >= 0xf900 && code < 0xfb00)) return 'han';
	if (code >= 0xd800 && code < 0xe000) return undefined; // surrogates: emoji and rare ideographs, too few to decide
	if (code >= 0xff00 && code < 0xfff0) return undefined; // full-width forms
	return 'other';
}

/** The script of a text (or of several: a request's messages), from up to 4 KB of evenly spread samples. */
export function textScript(texts: string | readonly string[]): TextScript {
	const list = typeof texts === 'string' ? [texts] : texts;
	const total = list.reduce((n, t) => n + t.length, 0);
	const counts: Record<LetterScript, number> = { latin: 0, cyrillic: 0, han: 0, kana: 0, hangul: 0, arabic: 0, indic: 0, vietnamese: 0, other: 0 };
	const count = (text: string, from: number, to: number) => {
		for (let i = from; i < to; i++) {
			const script = classify(text.charCodeAt(i));
			if (script) counts[script]++;
		}
	};
	for (const text of list) {
		const budget = total <= SAMPLE_CHARS ? text.length : Math.ceil((SAMPLE_CHARS * text.length) / total);
		if (budget >= text.length) count(text, 0, text.length);
		else {
			const chunk = Math.max(1, Math.floor(budget / CHUNKS));
			for (let c = 0; c < CHUNKS; c++) {
				const from = Math.floor((c * (text.length - chunk)) / (CHUNKS - 1 || 1));
				count(text, from, from + chunk);
			}
		}
	}
	const letters = Object.values(counts).reduce((a, b) => a + b, 0);
	if (letters === 0) return 'latin'; // numbers, punctuation, whitespace: cl100k's own ground
	// Japanese mixes kanji and kana, Vietnamese plain and marked letters: a share of either decides.
	if (counts.kana >= letters * 0.15 && counts.kana + counts.han >= letters * DOMINANT_SHARE) return 'kana';
	if (counts.vietnamese >= letters * 0.05 && counts.vietnamese + counts.latin >= letters * DOMINANT_SHARE) return 'vietnamese';
	for (const script of Object.keys(counts) as LetterScript[]) if (counts[script] >= letters * DOMINANT_SHARE) return script;
	return 'mixed';
}
