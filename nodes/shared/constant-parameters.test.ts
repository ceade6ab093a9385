import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { constantParameterReader, holdsExpression } from './constant-parameters';

const properties: INodeProperties[] = [
	{ displayName: 'Model', name: 'model', type: 'string', default: '' },
	{ displayName: 'Prompt', name: 'prompt', type: 'string', default: '={{ $json.chatInput }}' },
	{ displayName: 'Role', name: 'role', type: 'options', options: [], default: 'custom' },
	{ displayName: 'Options', name: 'options', type: 'collection', default: {}, options: [] },
];

/** An execute context whose getNodeParameter resolves "=" values per item and counts its calls. */
function contextWith(parameters: Record<string, unknown>) {
	const calls: string[] = [];
	const resolve = (value: unknown, itemIndex: number): unknown =>
		typeof value === 'string' && value.startsWith('=') ? `${value.slice(1)}#${itemIndex}` : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, itemIndex)])) : value;
	const ctx = {
		getNode: () => ({ parameters }),
		getWorkflow: () => ({ id: 'wf' }),
		getNodeParameter(name: string, itemIndex: number, fallback: unknown) {
			calls.push(name);
			const path = name.split('.');
			let value: unknown = parameters;
			for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
			if (value === undefined && path.length === 1) value = properties.find((p) => p.name === name)?.default;
			return resolve(value ?? fallback, itemIndex);
		},
	} as unknown as IExecuteFunctions;
	return { ctx, calls };
}

describe('constantParameterReader', () => {
	it('asks n8n once per execution for a parameter without an expression, and per item for one with', () => {
		const { ctx, calls } = contextWith({ model: 'llama3.2:3b', prompt: '={{ $json.q }}', options: { temperature: 0 } });
		const reader = constantParameterReader(ctx, properties);
		for (let item = 0; item < 3; item++) {
			expect(reader.getNodeParameter('model', item, '')).toBe('llama3.2:3b');
			expect(reader.getNodeParameter('prompt', item, '')).toBe(`{{ $json.q }}#${item}`);
			expect(reader.getNodeParameter('options', item, {})).toEqual({ temperature: 0 });
			expect(reader.getNodeParameter('options.cache.settings', item, {})).toEqual({});
		}
		expect(calls.filter((c) => c === 'model')).toHaveLength(1);
		expect(calls.filter((c) => c === 'options')).toHaveLength(1);
		expect(calls.filter((c) => c === 'options.cache.settings')).toHaveLength(1);
		expect(calls.filter((c) => c === 'prompt')).toHaveLength(3);
	});

	it('reads per item a parameter left at a default that is an expression, or a collection holding one', () => {
		const { ctx, calls } = contextWith({ options: { cache: { settings: { namespace: '={{ $json.tenant }}' } } } });
		const reader = constantParameterReader(ctx, properties);
		for (let item = 0; item < 2; item++) {
			expect(reader.getNodeParameter('prompt', item, '')).toBe(`{{ $json.chatInput }}#${item}`);
			expect(reader.getNodeParameter('role', item, 'custom')).toBe('custom');
			expect(reader.getNodeParameter('options.cache.settings', item, {})).toEqual({ namespace: `{{ $json.tenant }}#${item}` });
		}
		expect(calls.filter((c) => c === 'prompt')).toHaveLength(2);
		expect(calls.filter((c) => c === 'role')).toHaveLength(1); // its default is a plain value
		expect(calls.filter((c) => c === 'options.cache.settings')).toHaveLength(2);
	});

	it('finds expressions anywhere in a value', () => {
		expect(holdsExpression({ a: [{ b: '={{ 1 }}' }] })).toBe(true);
		expect(holdsExpression({ a: ['x', 2, null, { b: 'y=z' }] })).toBe(false);
	});
});
