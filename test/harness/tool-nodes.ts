import { DynamicStructuredTool, DynamicTool } from '@langchain/core/tools';
import type { INodeType, ISupplyDataFunctions, SupplyData } from 'n8n-workflow';
import { z } from 'zod';

/** Evaluates + - * / and parentheses over numbers; nothing else (no eval). */
export function evaluateArithmetic(expression: string): number {
	const tokens = expression.match(/\d+(?:\.\d+)?|[-+*/()]/g) ?? [];
	if (tokens.join('') !== expression.replace(/\s+/g, '')) throw new Error(`not an arithmetic expression: ${expression}`);
	let position = 0;
	const peek = () => tokens[position];
	const factor = (): number => {
		const token = tokens[position++];
		if (token === '(') {
			const value = sum();
			if (tokens[position++] !== ')') throw new Error('missing )');
			return value;
		}
		if (token === '-') return -factor();
		const value = Number(token);
		if (!Number.isFinite(value)) throw new Error(`unexpected "${token}"`);
		return value;
	};
	const product = (): number => {
		let value = factor();
		while (peek() === '*' || peek() === '/') value = tokens[position++] === '*' ? value * factor() : value / factor();
		return value;
	};
	const sum = (): number => {
		let value = product();
		while (peek() === '+' || peek() === '-') value = tokens[position++] === '+' ? value + product() : value - product();
		return value;
	};
	const result = sum();
	if (position !== tokens.length) throw new Error(`unexpected "${tokens[position]}"`);
	return result;
}

function toolNode(name: string, displayName: string, makeTool: () => unknown): INodeType {
	return {
		description: {
			displayName,
			name,
			group: ['transform'],
			version: [1, 1.1, 1.2, 1.3],
			description: `${displayName} (test harness stand-in)`,
			defaults: { name: displayName },
			inputs: [],
			outputs: ['ai_tool'],
			properties: [],
		},
		async supplyData(this: ISupplyDataFunctions): Promise<SupplyData> {
			return { response: makeTool() };
		},
	} as INodeType;
}

/**
 * In-process stand-ins for n8n's tool sub-nodes, built like the real ones (LangChain tools with
 * zod schemas). The same workflow files use the real Calculator tool in `npm run test:e2e`.
 */
export const toolNodeStandIns: Record<string, INodeType> = {
	'@n8n/n8n-nodes-langchain.toolCalculator': toolNode(
		'toolCalculator',
		'Calculator',
		() =>
			new DynamicTool({
				name: 'calculator',
				description: 'Useful for getting the result of a math expression. The input should be a valid mathematical expression.',
				func: async (input: string) => String(evaluateArithmetic(input)),
			}),
	),
	'n8n-nodes-agent-team-test.weatherTool': toolNode(
		'weatherTool',
		'Weather Tool',
		() =>
			new DynamicStructuredTool({
				name: 'get_weather',
				description: 'Current weather for a city',
				schema: z.object({ city: z.string().describe('City name'), unit: z.enum(['celsius', 'fahrenheit']).optional() }),
				func: async ({ city, unit }) => JSON.stringify({ city, temperature: 21, unit: unit ?? 'celsius' }),
			}),
	),
	/** A tool sub-node whose configuration fails (as a tool with a missing credential does). */
	'n8n-nodes-agent-team-test.brokenTool': {
		...toolNode('brokenTool', 'Broken Tool', () => undefined),
		async supplyData(this: ISupplyDataFunctions): Promise<SupplyData> {
			throw new Error('the tool\'s API key is missing');
		},
	} as INodeType,
};
