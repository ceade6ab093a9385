import { guardRejects } from './guards';

describe('semantic guards', () => {
	it.each([
		['How many days are in 3 weeks?', 'How many days are in 4 weeks?', 'numbers'],
		['Convert ten dollars to euros', 'Convert 10 dollars to euros', undefined],
		['Give me the first step', 'Give me the second step', 'numbers'],
		['Is coffee good for health?', 'Is coffee not good for health?', 'negation'],
		["Why doesn't it work?", 'Why does it work?', 'negation'],
		['What is the capital of France?', 'What is the capital of Germany?', 'entities'],
		['Tell me about "Project Apollo"', 'Tell me about "Project Gemini"', 'entities'],
		['Summarize the report in JSON', 'Summarize the report as a table', 'format'],
		['Explain it briefly', 'Explain it in detail', 'format'],
		['What is the capital of France?', 'Which city is the capital of France?', undefined],
		['How do I reset my password?', 'How can I reset my password?', undefined],
	])('%s | %s → %s', (a, b, expected) => {
		expect(guardRejects(a, b)).toBe(expected);
	});

	it('checks only the guards it is given', () => {
		expect(guardRejects('3 apples', '4 apples', ['negation', 'entities'])).toBeUndefined();
	});
});
