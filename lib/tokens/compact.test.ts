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

	it('is lossless: a repeated FAQ answer and duplicate CSV rows stay (only whitespace changes)', () => {
		const faq = ['Q: Can I cancel?', 'A: Yes, any time from Settings.', '', 'Q: Can I pause?', 'A: Yes, any time from Settings.'].join('\n');
		expect(compactPrompt(faq).text).toBe(faq);
		const csv = ['id,item,qty', '7,apple,2', '7,apple,2', '8,pear,1'].join('\n');
		expect(compactPrompt(csv).text).toBe(csv);
		const paragraphs = 'Be concise.\n\nContext: a gardener.\n\nBe concise.';
		expect(compactPrompt(paragraphs).text).toBe(paragraphs);
	});

	it('changes nothing but whitespace: the words, in order, are the same', () => {
		const text = 'same line\nsame line   \n\n\n\nsame  line\t';
		const words = (t: string) => t.split(/\s+/).filter(Boolean);
		expect(words(compactPrompt(text).text)).toEqual(words(text));
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
		const text = 'one   two\n\n\n\nthree  ';
		const result = compactPrompt(text);
		expect(result.text).toBe('one two\n\nthree');
		expect(result.removedChars).toBe(text.length - result.text.length);
	});
});
