/**
 * Chat requests built from real text for the token benchmark and the calibration tests: READMEs,
 * JavaScript/TypeScript sources and JSON files of the installed packages (node_modules, read in
 * sorted order, picked with a seeded RNG), so counts cover prose, code, numbers, whitespace runs
 * and the odd non-ASCII line the way user traffic does.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatMessage } from '../lib/tokens';
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
