/**
 * Chat requests built from real text for the token benchmark and the calibration tests: READMEs,
 * JavaScript/TypeScript sources and JSON files of the installed packages (node_modules, read in
 * sorted order, picked with a seeded RNG), so counts cover prose, code, numbers, whitespace runs
 * and the odd non-ASCII line the way user traffic does.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatMessage } from '../lib/tokens';
import { SENTENCES, type Language } from '../test/fixtures/multilingual-sentences';
import { rngFromSeed, type Rng } from '../test/simulator/rng';

export type SourceKind = 'readme' | 'code' | 'json';

export interface CorpusRequest {
	messages: ChatMessage[];
	/** What the largest message was cut from. */
	kind: SourceKind;
}

const MAX_FILE_BYTES = 200_000;
const CODE_FILE = /\.(?:ts|js|mjs|cjs)$/;

function packageDirs(root: string): string[] {
	const dirs: string[] = [];
	for (const name of readdirSync(root).sort()) {
		if (name.startsWith('.')) continue;
		if (name.startsWith('@')) {
			for (const sub of readdirSync(join(root, name)).sort()) dirs.push(join(root, name, sub));
		} else dirs.push(join(root, name));
	}
	return dirs;
}

function readSmall(path: string): string | undefined {
	try {
		const stat = statSync(path);
		if (!stat.isFile() || stat.size < 400 || stat.size > MAX_FILE_BYTES) return undefined;
		return readFileSync(path, 'utf8');
	} catch {
		return undefined;
	}
}

/** Texts of each kind from the installed packages (at most `perKind` of each). */
export function sourceTexts(perKind = 150, root = join(__dirname, '..', 'node_modules')): Record<SourceKind, string[]> {
	const texts: Record<SourceKind, string[]> = { readme: [], code: [], json: [] };
	const full = () => texts.readme.length >= perKind && texts.code.length >= perKind && texts.json.length >= perKind;
	for (const dir of packageDirs(root)) {
		if (full()) break;
		let files: string[];
		try {
			files = readdirSync(dir).sort();
		} catch {
			continue;
		}
		const readme = files.find((f) => /^readme\.md$/i.test(f));
		if (readme && texts.readme.length < perKind) {
			const text = readSmall(join(dir, readme));
			if (text) texts.readme.push(text);
		}
		if (texts.json.length < perKind) {
			const text = readSmall(join(dir, 'package.json'));
			if (text) texts.json.push(text);
		}
		if (texts.code.length < perKind) {
			const sourceDir = ['src', 'lib', 'dist', '.'].map((d) => join(dir, d)).find((d) => existsSync(d) && statSync(d).isDirectory()) ?? dir;
			const source = readdirSync(sourceDir).sort().find((f) => CODE_FILE.test(f) && !f.endsWith('.d.ts') && !f.endsWith('.min.js'));
			const text = source ? readSmall(join(sourceDir, source)) : undefined;
			if (text) texts.code.push(text);
		}
	}
	return texts;
}

const between = (rng: Rng, low: number, high: number): number => low + Math.floor(rng() * (high - low + 1));
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)];

/** A slice of about `chars` characters, starting at a line start. */
function excerpt(rng: Rng, text: string, chars: number): string {
	if (text.length <= chars) return text;
	let start = Math.floor(rng() * (text.length - chars));
	const lineStart = text.lastIndexOf('\n', start);
	start = lineStart < 0 ? 0 : lineStart + 1;
	return text.slice(start, start + chars);
}

const QUESTIONS = [
	'Summarize the document above in three sentences.',
	'What does this code do, and is there a bug in it?',
	'Which fields in this JSON are required, and what are their types?',
	'Explain the configuration options shown above to a new team member.',
	'List the dependencies and their versions.',
	'Rewrite the example so it handles errors.',
];

/**
 * `count` chat requests: a system prompt, 0–6 earlier turns (user questions with short excerpts,
 * assistant answers as README prose), and a last user message carrying a document of one kind
 * (README, source file or JSON) of 200–12,000 characters plus a question.
 */
export function corpusRequests(count: number, seed = 7, texts: Record<SourceKind, string[]> = sourceTexts()): CorpusRequest[] {
	const rng = rngFromSeed(seed);
	const kinds: SourceKind[] = ['readme', 'code', 'json'];
	return Array.from({ length: count }, (_, i) => {
		const kind = kinds[i % kinds.length];
		const messages: ChatMessage[] = [];
		if (rng() < 0.8) messages.push({ role: 'system', content: excerpt(rng, pick(rng, texts.readme), between(rng, 80, 600)) });
		for (let turn = 0, turns = between(rng, 0, 6); turn < turns; turn++) {
			const context = excerpt(rng, pick(rng, texts[pick(rng, kinds)]), between(rng, 40, 1500));
			messages.push({ role: 'user', content: `${pick(rng, QUESTIONS)}\n\n${context}` });
			messages.push({ role: 'assistant', content: excerpt(rng, pick(rng, texts.readme), between(rng, 40, 1200)) });
		}
		const document = excerpt(rng, pick(rng, texts[kind]), between(rng, 200, 12_000));
		messages.push({ role: 'user', content: `${document}\n\n${pick(rng, QUESTIONS)}` });
		return { messages, kind };
	});
}

// ---------- multilingual ----------

/** The kinds of text the per-language table covers: thirteen languages, code, JSON and mixed text. */
export type CorpusLanguage = Language | 'code' | 'json' | 'mixed';

export const CORPUS_LANGUAGES: CorpusLanguage[] = ['en', 'de', 'fr', 'es', 'pt', 'ru', 'uk', 'zh', 'ja', 'ko', 'ar', 'hi', 'vi', 'code', 'json', 'mixed'];

const LANGUAGES = Object.keys(SENTENCES) as Language[];
/** Scripts written without spaces between sentences. */
const UNSPACED = new Set<Language>(['zh', 'ja']);

export interface MultilingualRequest {
	messages: ChatMessage[];
	language: CorpusLanguage;
}

/** Prose of about `chars` characters: the language's sentences in a seeded order, in paragraphs, now and then a number changed. */
function languageProse(rng: Rng, language: Language, chars: number): string {
	const sentences = SENTENCES[language];
	const paragraphs: string[] = [];
	let length = 0;
	while (length < chars) {
		const count = between(rng, 1, 5);
		const picked = Array.from({ length: count }, () => {
			const sentence = pick(rng, sentences);
			return rng() < 0.2 ? sentence.replace(/\d+/, String(between(rng, 1, 99_999))) : sentence;
		});
		const paragraph = picked.join(UNSPACED.has(language) ? '' : ' ');
		paragraphs.push(paragraph);
		length += paragraph.length + 2;
	}
	return paragraphs.join(rng() < 0.5 ? '\n\n' : '\n');
}

/** A translation file: one key per sentence in several languages, as an app's locale JSON. */
function localeJson(rng: Rng, chars: number): string {
	const entries: Record<string, Record<string, string | number>> = {};
	let length = 0;
	for (let i = 0; length < chars; i++) {
		const entry: Record<string, string | number> = { id: between(rng, 1, 1_000_000) };
		for (const language of LANGUAGES) if (rng() < 0.4) entry[language] = pick(rng, SENTENCES[language]);
		entries[`message_${i}`] = entry;
		length += JSON.stringify(entry).length;
	}
	return JSON.stringify(entries, null, rng() < 0.5 ? 2 : undefined);
}

/** Sentences of several languages and bits of code in one text, as a multilingual chat or a bug report. */
function mixedText(rng: Rng, chars: number, code: string[]): string {
	const parts: string[] = [];
	let length = 0;
	while (length < chars) {
		const part = rng() < 0.15 && code.length > 0 ? excerpt(rng, pick(rng, code), between(rng, 60, 400)) : pick(rng, SENTENCES[pick(rng, LANGUAGES)]);
		parts.push(part);
		length += part.length + 1;
	}
	return parts.join(rng() < 0.7 ? ' ' : '\n');
}

/** About `chars` characters of one kind of text. */
export function languageText(rng: Rng, language: CorpusLanguage, chars: number, texts: Record<SourceKind, string[]>): string {
	if (language === 'code') return excerpt(rng, pick(rng, texts.code), chars);
	if (language === 'json') return rng() < 0.5 ? localeJson(rng, chars) : excerpt(rng, pick(rng, texts.json), chars);
	if (language === 'mixed') return mixedText(rng, chars, texts.code);
	return languageProse(rng, language, chars);
}

/**
 * `perLanguage` chat requests per kind of text: a system prompt (half in English), 0–3 earlier turns
 * and a last user message of 300–8,000 characters, all of that kind (code and JSON with English
 * questions).
 */
export function multilingualRequests(perLanguage: number, seed = 11, texts: Record<SourceKind, string[]> = sourceTexts()): MultilingualRequest[] {
	const rng = rngFromSeed(seed);
	const requests: MultilingualRequest[] = [];
	for (let i = 0; i < perLanguage; i++) {
		for (const language of CORPUS_LANGUAGES) {
			const prose = (chars: number) => (language === 'code' || language === 'json' ? languageText(rng, 'en', chars, texts) : languageText(rng, language, chars, texts));
			const messages: ChatMessage[] = [];
			if (rng() < 0.7) messages.push({ role: 'system', content: rng() < 0.5 ? 'You are a helpful assistant. Answer in the language of the user.' : prose(between(rng, 60, 400)) });
			for (let turn = 0, turns = between(rng, 0, 3); turn < turns; turn++) {
				messages.push({ role: 'user', content: languageText(rng, language, between(rng, 40, 800), texts) });
				messages.push({ role: 'assistant', content: prose(between(rng, 40, 1000)) });
			}
			messages.push({ role: 'user', content: `${languageText(rng, language, between(rng, 300, 8000), texts)}\n\n${prose(60)}` });
			requests.push({ messages, language });
		}
	}
	return requests;
}
