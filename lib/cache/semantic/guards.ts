/**
 * Guards against false semantic hits, the top complaint about semantic caches: two prompts can be
 * close in embedding space yet ask different things. A match is rejected when the prompts differ
 * in their numbers, their negations, their named entities or the output format they ask for.
 * Heuristics on the text, language-agnostic where possible (numbers, capitalised names, quotes);
 * the word lists are English.
 */
export type GuardName = 'numbers' | 'negation' | 'entities' | 'format';

const NUMBER_WORDS: Record<string, string> = {
	zero: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9', ten: '10',
	eleven: '11', twelve: '12', twenty: '20', thirty: '30', forty: '40', fifty: '50', hundred: '100', thousand: '1000', million: '1000000',
	first: '1st', second: '2nd', third: '3rd', half: '0.5', dozen: '12', double: '2x', twice: '2x', triple: '3x',
};
const NEGATIONS = /\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot|except|excluding)\b|n't\b/gi;
const FORMATS: Record<string, RegExp> = {
	json: /\bjson\b/i,
	yaml: /\bya?ml\b/i,
	xml: /\bxml\b/i,
	csv: /\bcsv\b/i,
	markdown: /\bmarkdown\b/i,
	table: /\btables?\b|\btabular\b/i,
	list: /\blists?\b|\bbullets?\b|\bbullet points?\b|\benumerate\b/i,
	code: /\bcode\b|\bsnippet\b|\bscript\b|\bfunction\b/i,
	short: /\bbrief(?:ly)?\b|\bshort\b|\bconcise(?:ly)?\b|\bone (?:word|sentence|line)\b|\btl;?dr\b/i,
	long: /\bdetailed\b|\bin detail\b|\bin depth\b|\blong\b|\bessay\b/i,
	poem: /\bpoem\b|\bhaiku\b|\bverse\b|\brhym/i,
};

function sortedKey(values: string[]): string {
	return [...values].sort().join('|');
}

function numbers(text: string): string {
	const found = (text.match(/\d+(?:[.,:/]\d+)*%?/g) ?? []).map((n) => n.replace(/,(?=\d{3}\b)/g, ''));
	for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) if (NUMBER_WORDS[word]) found.push(NUMBER_WORDS[word]);
	return sortedKey(found);
}

function negations(text: string): number {
	return (text.match(NEGATIONS) ?? []).length;
}

/** Capitalised words not at a sentence start, acronyms anywhere, and quoted phrases, lower-cased. */
function entities(text: string): string {
	const found = new Set<string>();
	for (const quoted of text.match(/"[^"]{1,80}"|“[^”]{1,80}”|'[^']{2,80}'(?!\w)/g) ?? []) found.add(quoted.slice(1, -1).toLowerCase().trim());
	const words = text.match(/[\p{L}\p{N}][\p{L}\p{N}'’.-]*|[.!?:;\n]/gu) ?? [];
	let sentenceStart = true;
	for (const raw of words) {
		if (/^[.!?:;\n]$/.test(raw)) {
			sentenceStart = true;
			continue;
		}
		const word = raw.replace(/['’]s$/u, '').replace(/[.-]+$/u, '');
		const acronym = /^\p{Lu}[\p{Lu}\p{N}]+$/u.test(word);
		const capitalised = /^\p{Lu}/u.test(word) && /\p{Ll}/u.test(word);
		const formatWord = Object.values(FORMATS).some((re) => re.test(word)); // JSON, CSV … are the format guard's
		if (!formatWord && (acronym || (capitalised && !sentenceStart))) found.add(word.toLowerCase());
		sentenceStart = false;
	}
	return sortedKey([...found]);
}

function formats(text: string): string {
	return sortedKey(Object.keys(FORMATS).filter((name) => FORMATS[name].test(text)));
}

const CHECKS: Record<GuardName, (text: string) => string | number> = { numbers, negation: negations, entities, format: formats };

/** The first guard that tells the two prompts apart, or undefined when the match may be served. */
export function guardRejects(prompt: string, cachedPrompt: string, guards: readonly GuardName[] = ['numbers', 'negation', 'entities', 'format']): GuardName | undefined {
	return guards.find((guard) => CHECKS[guard](prompt) !== CHECKS[guard](cachedPrompt));
}
