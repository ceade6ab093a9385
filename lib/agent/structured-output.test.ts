import { checkReply, compileSchema, InvalidSchemaError, ollamaFormat, validatorCacheStats } from '.';

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

describe('compiled validator cache', () => {
	const fresh = () => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;

	it('compiles a schema once however many items bring their own copy, and Ajv keeps none of them', () => {
		const before = validatorCacheStats();
		for (let i = 0; i < 5000; i++) {
			expect(checkReply({ type: 'jsonSchema', schema: fresh() }, '{"name":"Ada"}').ok).toBe(true);
		}
		const after = validatorCacheStats();
		expect(after.validators - before.validators).toBeLessThanOrEqual(1);
		expect(after.schemasHeldByAjv).toBe(before.schemasHeldByAjv);
	});

	it('keys by canonical JSON: the same schema with keys in another order is the same validator', () => {
		const a = compileSchema({ type: 'object', properties: { x: { type: 'number' } } });
		const b = compileSchema({ properties: { x: { type: 'number' } }, type: 'object' });
		expect(b).toBe(a);
	});

	it('stays bounded with thousands of different schemas', () => {
		for (let i = 0; i < 3000; i++) compileSchema({ type: 'object', properties: { [`f${i}`]: { type: 'string' } }, required: [`f${i}`] });
		const stats = validatorCacheStats();
		expect(stats.validators).toBeLessThanOrEqual(stats.maxValidators);
		expect(stats.schemasHeldByAjv).toBeLessThan(10);
	});

	it('accepts a schema with $id on every item, not only the first', () => {
		const withId = () => ({ $id: 'https://example.com/person', ...fresh() });
		for (let i = 0; i < 3; i++) expect(checkReply({ type: 'jsonSchema', schema: withId() }, '{"name":"Ada"}')).toEqual({ ok: true, value: { name: 'Ada' } });
		// Another schema under the same $id is compiled on its own, not confused with the first.
		const other = { $id: 'https://example.com/person', type: 'object', required: ['age'] };
		expect(checkReply({ type: 'jsonSchema', schema: other }, '{"name":"Ada"}').ok).toBe(false);
	});

	it('still resolves a schema\'s own $ref definitions after Ajv has let go of it', () => {
		const refs = () => ({ $id: 'https://example.com/list', type: 'array', items: { $ref: '#/definitions/item' }, definitions: { item: { type: 'integer' } } });
		expect(checkReply({ type: 'jsonSchema', schema: refs() }, '[1, 2]').ok).toBe(true);
		expect(checkReply({ type: 'jsonSchema', schema: refs() }, '[1, "x"]').ok).toBe(false);
	});
});
