import { compactPrompt } from './compact';

describe('compactPrompt', () => {
	it('collapses inner runs of spaces and tabs and trims trailing whitespace', () => {
		expect(compactPrompt('Hello   world,\t\tthis  is   a test.   \nNext line\t ')).toEqual({
			text: 'Hello world, this is a test.\nNext line',
			removedChars: 11,
		});
	});

	it('collapses runs of blank lines to a single blank line', () => {
		expect(compactPrompt('First paragraph.\n\n\n\n\nSecond paragraph.\n  \n\t\n\nThird.').text).toBe('First paragraph.\n\nSecond paragraph.\n\nThird.');
	});

	it('removes exact duplicate lines and paragraphs, keeping the first occurrence', () => {
		const text = [
			'Answer in JSON.',
			'Be concise.',
			'',
			'Context: the user is a gardener.',
			'They grow tomatoes.',
			'',
			'Answer in JSON.',
			'',
			'Context: the user is a gardener.',
			'They grow tomatoes.',
			'',
			'Be concise!',
		].join('\n');
		expect(compactPrompt(text).text).toBe(['Answer in JSON.', 'Be concise.', '', 'Context: the user is a gardener.', 'They grow tomatoes.', '', 'Be concise!'].join('\n'));
	});

	it('leaves fenced code blocks exactly as they are', () => {
		const code = ['```python', 'def f(x):', '    if x  >  1:', '        return x', '', '', '', '    return  x', '    return  x', '```'].join('\n');
		const text = `Fix this:   \n${code}\nreturn  x\n    return  x`;
		const { text: compacted } = compactPrompt(text);
		expect(compacted).toContain(code);
		expect(compacted).toBe(`Fix this:\n${code}\nreturn x\n    return x`);
	});

	it('leaves an unclosed fence untouched to the end', () => {
		const text = 'Look:\n~~~\na    b\n\n\n\na    b\n';
		expect(compactPrompt(text).text).toBe(text);
	});

	it('never changes case, punctuation or indentation', () => {
		const text = 'IMPORTANT: Do NOT reply with "yes"!?\n  - nested item, indented\n\t- tab-indented item';
		expect(compactPrompt(text).text).toBe(text);
	});

	it('keeps repeated layout lines such as table separators', () => {
		const text = '| a | b |\n|---|---|\n| 1 | 2 |\n\n| c | d |\n|---|---|\n| 3 | 4 |';
		expect(compactPrompt(text).text).toBe(text);
	});

	it('reports the characters removed', () => {
		const text = 'same line\nsame line\nsame line';
		const result = compactPrompt(text);
		expect(result.text).toBe('same line');
		expect(result.removedChars).toBe(text.length - 'same line'.length);
	});
});
