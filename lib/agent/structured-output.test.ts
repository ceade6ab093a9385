import { checkReply, compileSchema, InvalidSchemaError, ollamaFormat } from '.';

const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name'] };

describe('structured output', () => {
	it('maps formats to Ollama\'s format field', () => {
		expect(ollamaFormat({ type: 'text' })).toBeUndefined();
		expect(ollamaFormat({ type: 'json' })).toBe('json');
		expect(ollamaFormat({ type: 'jsonSchema', schema })).toBe(schema);
	});

	it('parses JSON and validates against a schema', () => {
		expect(checkReply({ type: 'json' }, '{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
		expect(checkReply({ type: 'json' }, 'not json')).toEqual({ ok: false, problem: expect.stringMatching(/not valid JSON/) });
		expect(checkReply({ type: 'jsonSchema', schema }, '{"name":"Ada","age":36}')).toEqual({ ok: true, value: { name: 'Ada', age: 36 } });
		const bad = checkReply({ type: 'jsonSchema', schema }, '{"age":"old"}');
		expect(bad.ok).toBe(false);
		expect((bad as { problem: string }).problem).toMatch(/must have required property 'name'/);
		expect((bad as { problem: string }).problem).toMatch(/age must be integer/);
	});

	it('rejects a schema that is not valid JSON Schema', () => {
		expect(() => compileSchema({ type: 'objekt' })).toThrow(InvalidSchemaError);
		expect(() => compileSchema({ type: 'object', properties: { a: { minLength: 'x' } } })).toThrow(/not valid/);
	});
});
