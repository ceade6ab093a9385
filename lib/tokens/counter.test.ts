import * as tiktoken from 'tiktoken';
import { countChatTokens, countTextTokens, REPLY_PRIMER_TOKENS, TOKENS_PER_MESSAGE, type ChatMessage } from './counter';
import { tokenFamily } from './families';
import { getEncoder } from './encoders';

const reference = tiktoken.get_encoding('cl100k_base');
const referenceO200k = tiktoken.get_encoding('o200k_base');

afterAll(() => {
	reference.free();
	referenceO200k.free();
});

describe('countTextTokens', () => {
	it.each([
		['plain prose', 'The quick brown fox jumps over the lazy dog.'],
		['code', 'function add(a: number, b: number): number {\n\treturn a + b;\n}\n'],
		['unicode', 'Grüße aus Köln — 東京タワー 🚀 naïve café'],
		['long text', 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(200)],
	])('matches tiktoken cl100k_base for %s', (_name, text) => {
		expect(countTextTokens(text)).toBe(reference.encode(text).length);
	});

	it('matches o200k_base when asked for it', () => {
		// o200k covers more non-English words than cl100k, so the counts differ here.
		const text = 'Привет, как дела? Это тест. '.repeat(20);
		expect(countTextTokens(text, 'o200k_base')).toBe(referenceO200k.encode(text).length);
		expect(countTextTokens(text, 'o200k_base')).not.toBe(countTextTokens(text, 'cl100k_base'));
	});

	it('counts special-token markers in user text as ordinary text instead of throwing', () => {
		const text = 'please ignore <|endoftext|> in this sentence';
		expect(countTextTokens(text)).toBe(reference.encode_ordinary(text).length);
	});

	it('returns 0 for empty text', () => {
		expect(countTextTokens('')).toBe(0);
	});

	it('encodes a string once however often it is counted', () => {
		const encode = jest.spyOn(getEncoder('cl100k_base'), 'encode_ordinary');
		const text = 'A long document that a fitting pass looks at more than once. '.repeat(50);
		const first = countTextTokens(text);
		for (let i = 0; i < 5; i++) expect(countTextTokens(text)).toBe(first);
		expect(encode).toHaveBeenCalledTimes(1);
		encode.mockRestore();
	});

	it('gives the same answer from the cache as from a fresh encoding', () => {
		const text = 'A sentence long enough to be cached by the counter. '.repeat(30);
		const first = countTextTokens(text);
		const again = countTextTokens(text.slice(0)); // equal string, possibly another object
		expect(again).toBe(first);
		expect(first).toBe(reference.encode(text).length);
	});
});

describe('countChatTokens', () => {
	const messages: ChatMessage[] = [
		{ role: 'system', content: 'You are a terse assistant.' },
		{ role: 'user', content: 'What is the capital of France?' },
		{ role: 'assistant', content: 'Paris.' },
	];

	it('adds per-message framing and the reply primer to the content tokens', () => {
		const content = messages.reduce((sum, m) => sum + reference.encode(m.content).length + reference.encode(m.role).length, 0);
		expect(countChatTokens(messages)).toBe(content + messages.length * TOKENS_PER_MESSAGE + REPLY_PRIMER_TOKENS);
	});

	it('counts an empty request as just the reply primer', () => {
		expect(countChatTokens([])).toBe(REPLY_PRIMER_TOKENS);
	});

	it('counts tool definitions and tool calls as JSON', () => {
		const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
		expect(countChatTokens(messages, { tools }) - countChatTokens(messages)).toBe(reference.encode(JSON.stringify(tools)).length);
		const toolCalls = [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }];
		const withCall: ChatMessage[] = [...messages, { role: 'assistant', content: '', tool_calls: toolCalls }];
		const withoutCall: ChatMessage[] = [...messages, { role: 'assistant', content: '' }];
		expect(countChatTokens(withCall) - countChatTokens(withoutCall)).toBe(reference.encode(JSON.stringify(toolCalls)).length);
	});
});

describe('encoder lifetime', () => {
	it('builds each encoding once per process, however often it counts', () => {
		// A fresh module registry: encoders and counter start from nothing, tiktoken is watched.
		jest.isolateModules(() => {
			const tiktokenModule = require('tiktoken') as typeof tiktoken;
			const getEncoding = jest.spyOn(tiktokenModule, 'get_encoding');
			const counter = require('./counter') as typeof import('./counter');
			const encoders = require('./encoders') as typeof import('./encoders');
			expect(encoders.encoderCreations()).toBe(0);
			for (let i = 0; i < 50; i++) {
				counter.countTextTokens(`fresh text number ${i} that is not cached yet, long enough to be cached`);
				counter.countChatTokens([{ role: 'user', content: `message ${i}` }]);
				counter.countTextTokens(`o200k text ${i}`, 'o200k_base');
			}
			expect(encoders.encoderCreations()).toBe(2);
			expect(getEncoding.mock.calls.map((call) => call[0]).sort()).toEqual(['cl100k_base', 'o200k_base']);
			getEncoding.mockRestore();
		});
	});
});

describe('model families', () => {
	it('maps Ollama model names to families', () => {
		expect(['llama3', 'llama3.1:8b', 'llama3.2:3b', 'library/llama3.3:70b'].map(tokenFamily)).toEqual(['llama3', 'llama3', 'llama3', 'llama3']);
		expect(['qwen2', 'qwen2.5:0.5b', 'qwen2.5-coder:7b', 'qwen3:8b'].map(tokenFamily)).toEqual(['qwen', 'qwen', 'qwen', 'qwen']);
		expect(['gemma3', 'gemma3:27b', 'gpt-oss:20b', 'gpt-oss', 'deepseek-r1', 'deepseek-r1:14b', 'deepseek-r1:70b'].map(tokenFamily)).toEqual([
			'gemma3',
			'gemma3',
			'gptoss',
			'gptoss',
			'deepseek-qwen',
			'deepseek-qwen',
			'deepseek-llama',
		]);
		expect(['llama2', 'codellama', 'mistral', 'gemma2', 'deepseek-r1:671b', 'deepseek-v3', 'phi4', undefined].map(tokenFamily)).toEqual(Array(8).fill('generic'));
	});

	it('counts numbers digit by digit for Qwen (cl100k groups up to three)', () => {
		expect(countTextTokens('1234567', { encoding: 'cl100k_base', family: 'qwen' })).toBe(7);
		expect(countTextTokens('1234567', { encoding: 'cl100k_base', family: 'llama3' })).toBe(3);
		// runs 1, 25, 2024, 06, 30, 7 → 1 + 2 + 4 + 2 + 2 + 1 digit tokens with Qwen, 1 + 1 + 2 + 1 + 1 + 1 with Llama 3
		const dated = 'v1.25, 2024-06-30 and 7';
		expect(countTextTokens(dated, { encoding: 'cl100k_base', family: 'qwen' }) - countTextTokens(dated, { encoding: 'cl100k_base', family: 'llama3' })).toBe(5);
	});

	it('frames messages as each family’s chat template does', () => {
		const hi: ChatMessage[] = [{ role: 'user', content: '  Hi\n' }];
		// <|begin_of_text|> <|start_header_id|> user <|end_header_id|> \n\n Hi <|eot_id|> + <|start_header_id|> assistant <|end_header_id|> \n\n
		expect(countChatTokens(hi, { model: 'llama3.2:3b' })).toBe(11);
		// <|im_start|> user \n ␣␣Hi\n … is not trimmed: "  Hi" "\n" <|im_end|> \n + <|im_start|> assistant \n
		expect(countChatTokens([{ role: 'user', content: 'Hi' }], { model: 'qwen3:8b' })).toBe(9);
		expect(countChatTokens(hi)).toBe(REPLY_PRIMER_TOKENS + TOKENS_PER_MESSAGE + 1 + countTextTokens('  Hi\n'));
	});
});
