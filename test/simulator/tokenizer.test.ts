import { get_encoding } from 'tiktoken';
import {
	ASSISTANT_HEADER_TOKENS,
	BOS_TOKENS,
	END_OF_TURN_TOKENS,
	MESSAGE_HEADER_TOKENS,
	chatPromptTokens,
	countSimTokens,
	embedInputTokens,
	generatePromptTokens,
	simTokenize,
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
