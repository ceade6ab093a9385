import { z } from 'zod';

import { chatRequestFromOptions, InvalidJsonSchemaOptionError } from './chat-options';
import { toOllamaMessages, toOllamaTools } from './messages';

describe('toOllamaMessages', () => {
	test('text joined, images as base64, assistant tool calls and reasoning, tool results named by their call', () => {
		const png = Buffer.from('png-bytes');
		expect(
			toOllamaMessages([
				{ role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
				{ role: 'user', content: [{ type: 'text', text: 'What is ' }, { type: 'text', text: 'this?' }, { type: 'file', mediaType: 'image/png', data: png }, { type: 'file', mediaType: 'image/jpeg', data: 'data:image/jpeg;base64,QUJD' }] },
				{ role: 'assistant', content: [{ type: 'reasoning', text: 'think' }, { type: 'text', text: '' }, { type: 'tool-call', toolCallId: 'c1', toolName: 'calculator', input: '{"input":"6*7"}' }] },
				{ role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', result: { value: 42 } }] },
			]),
		).toEqual([
			{ role: 'system', content: 'Be brief.' },
			{ role: 'user', content: 'What is this?', images: [png.toString('base64'), 'QUJD'] },
			{ role: 'assistant', content: '', thinking: 'think', tool_calls: [{ function: { name: 'calculator', arguments: { input: '6*7' } } }] },
			{ role: 'tool', content: '{"value":42}', tool_name: 'calculator' },
		]);
	});

	test('tool-call input that is not a JSON object is sent as no arguments', () => {
		const [message] = toOllamaMessages([{ role: 'assistant', content: [{ type: 'tool-call', toolName: 't', input: 'not json' }] }]);
		expect(message.tool_calls).toEqual([{ function: { name: 't', arguments: {} } }]);
	});
});

describe('toOllamaTools', () => {
	test('Zod schemas become JSON Schema, JSON Schemas pass as they are, provider tools are left out', () => {
		const tools = toOllamaTools([
			{ type: 'function', name: 'zod', description: 'd', inputSchema: z.object({ a: z.number() }) },
			{ type: 'function', name: 'json', inputSchema: { type: 'object', properties: { b: { type: 'string' } } } },
			{ type: 'provider', name: 'web_search' },
		]);
		expect(tools).toEqual([
			{ type: 'function', function: { name: 'zod', description: 'd', parameters: expect.objectContaining({ type: 'object', properties: { a: { type: 'number' } }, required: ['a'] }) } },
			{ type: 'function', function: { name: 'json', description: undefined, parameters: { type: 'object', properties: { b: { type: 'string' } } } } },
		]);
		expect(tools[0].function.parameters.$schema).toBeUndefined();
	});
});

describe('chatRequestFromOptions', () => {
	test("n8n's option names become Ollama's; only options given are sent", () => {
		expect(chatRequestFromOptions({})).toEqual({});
		expect(chatRequestFromOptions({ temperature: 0, useMLock: true, numGpu: -1, keepAlive: '1h', think: true, format: 'default' })).toEqual({
			options: { temperature: 0, use_mlock: true, num_gpu: -1 },
			keep_alive: '1h',
			think: true,
		});
	});

	test('format JSON and JSON Schema; a schema that is not a JSON object is refused', () => {
		// Keep Alive as the other nodes read it: whole numbers are seconds (Ollama refuses "-1" as a duration text)
		expect(chatRequestFromOptions({ keepAlive: '-1' }).keep_alive).toBe(-1);
		expect(chatRequestFromOptions({ keepAlive: '  ' }).keep_alive).toBeUndefined();
		expect(chatRequestFromOptions({ format: 'json' }).format).toBe('json');
		expect(chatRequestFromOptions({ format: 'jsonSchema', jsonSchema: '{"type":"object"}' }).format).toEqual({ type: 'object' });
		expect(() => chatRequestFromOptions({ format: 'jsonSchema', jsonSchema: '[1]' })).toThrow(InvalidJsonSchemaOptionError);
		expect(() => chatRequestFromOptions({ format: 'jsonSchema', jsonSchema: '{ nope' })).toThrow(/The "JSON Schema" option is not a JSON Schema object/);
	});
});
