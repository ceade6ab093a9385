import type { INodeProperties } from 'n8n-workflow';

import { ROLE_PROMPTS, ROLES } from './roles';

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** One editable system prompt per role, prefilled with the preset, shown only for that role. */
// eslint-disable-next-line n8n-nodes-base/node-param-default-missing -- each role's preset is its default
const systemPromptFields: INodeProperties[] = ROLES.map((role) => ({
	displayName: 'System Prompt',
	name: role === 'custom' ? 'systemPrompt' : `systemPrompt_${role}`,
	type: 'string',
	typeOptions: { rows: 4 },
	default: ROLE_PROMPTS[role],
	description: 'Instructions that set how the agent behaves; prefilled from the role, editable',
	displayOptions: { show: { role: [role] } },
}));

export const agentProperties: INodeProperties[] = [
	{
		displayName: 'Model Name or ID',
		name: 'model',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getModels' },
		default: 'llama3.2:3b',
		description:
			'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
	},
	{
		displayName: 'Role',
		name: 'role',
		type: 'options',
		options: ROLES.map((role) => ({ name: capitalise(role), value: role })),
		default: 'custom',
		description: 'Preset that fills in the system prompt below',
	},
	...systemPromptFields,
	{
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '={{ $json.chatInput ?? $json.text ?? $json.prompt }}',
		required: true,
		description: "The user message. By default the item's chatInput, text or prompt field.",
	},
	{
		displayName: 'Output Format',
		name: 'outputFormat',
		type: 'options',
		options: [
			{ name: 'Text', value: 'text' },
			{ name: 'JSON', value: 'json', description: 'Any valid JSON; parsed into "data"' },
			{ name: 'JSON Schema', value: 'jsonSchema', description: 'JSON that matches a schema; validated, parsed into "data"' },
		],
		default: 'text',
		description: 'A JSON reply that does not parse or validate is retried once with the error, then reported',
	},
	{
		displayName: 'JSON Schema',
		name: 'jsonSchema',
		type: 'json',
		default: '{\n  "type": "object",\n  "properties": {\n    "answer": { "type": "string" }\n  },\n  "required": ["answer"]\n}',
		description: 'The JSON Schema the reply must match (sent to Ollama as "format")',
		displayOptions: { show: { outputFormat: ['jsonSchema'] } },
	},
	{
		displayName: 'Session Key',
		name: 'sessionKey',
		type: 'string',
		default: '',
		placeholder: '={{ $json.sessionId }}',
		description:
			'Keeps a conversation per key: in Redis when an Agent Team Redis credential is set, else in this process. Leave empty for no memory.',
	},
	{
		displayName: 'Documents',
		name: 'documents',
		type: 'json',
		default: '[]',
		description:
			'Retrieved documents to ground the answer: an array of strings, or of objects with a text field and optional score and ID fields. They share the context budget with the conversation and are kept by relevance.',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Add Run Summary Item',
				name: 'summaryItem',
				type: 'boolean',
				default: false,
				description: 'Whether to send the run summary (calls, tokens, p50/p95 latency, errors) as one item on the Run Summary output',
			},
			{
				displayName: 'Compact Prompt',
				name: 'compact',
				type: 'boolean',
				default: false,
				description:
					'Whether to collapse redundant whitespace in the prompt, system prompt and documents; nothing else changes (code blocks untouched)',
			},
			{
				displayName: 'Context Strategy',
				name: 'contextStrategy',
				type: 'options',
				options: [
					{ name: 'Drop Oldest', value: 'dropOldest', description: 'Drop the oldest turns and least relevant documents' },
					{ name: 'Summarize Older Turns', value: 'summarize', description: 'Replace older turns with a summary written by the summary model' },
					{ name: 'Chunk Documents', value: 'chunk', description: 'Split long documents and keep the most relevant chunks' },
				],
				default: 'dropOldest',
				description: 'What to do when the conversation and documents do not fit the context window',
			},
			{
				displayName: 'Context Window',
				name: 'numCtx',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description:
					"Ollama num_ctx: tokens of context the model gets; 0 keeps the server's default (the budget then assumes 4096). Changing it reloads the model.",
			},
			{
				displayName: 'History Share',
				name: 'historyShare',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 100 },
				default: 60,
				description: 'Percent of the free context for the conversation; the rest is for documents (unused share flows over)',
			},
			{
				displayName: 'Keep Alive',
				name: 'keepAlive',
				type: 'string',
				default: '',
				placeholder: '5m',
				description:
					'How long the model stays loaded after the call (e.g. 5m, 1h, -1 for ever, 0 to unload). Empty keeps the server default.',
			},
			{
				displayName: 'Max Tokens',
				name: 'numPredict',
				type: 'number',
				default: -1,
				description: 'Ollama num_predict: most tokens to generate; -1 means no limit',
			},
			{
				displayName: 'Max Tool Iterations',
				name: 'maxToolIterations',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 5,
				description: 'Most model turns that may call tools before the agent must answer',
			},
			{
				displayName: 'Seed',
				name: 'seed',
				type: 'number',
				default: 0,
				description: 'Fixed seed for reproducible answers; 0 leaves it random',
			},
			{
				displayName: 'Share Memory Across Workflows',
				name: 'shareMemoryAcrossWorkflows',
				type: 'boolean',
				default: false,
				description:
					'Whether workflows that use the same Session Key share one conversation. Off: each workflow keeps its own conversations, as n8n\'s memory nodes do.',
			},
			{
				displayName: 'Summary Model',
				name: 'summaryModel',
				type: 'string',
				default: '',
				placeholder: 'qwen2.5:0.5b',
				description: 'A (smaller) model that summarizes older turns; empty uses the agent\'s model',
			},
			{
				displayName: 'Temperature',
				name: 'temperature',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 2, numberPrecision: 2 },
				default: 0.7,
			},
			{
				displayName: 'Tokenizer',
				name: 'encoding',
				type: 'options',
				options: [
					{ name: 'Cl100k_base', value: 'cl100k_base' },
					{ name: 'O200k_base', value: 'o200k_base' },
				],
				default: 'cl100k_base',
				description: 'Encoding used to estimate tokens before calling the model (calibrated against its own counts)',
			},
			{
				displayName: 'Warm Up Model',
				name: 'warmUp',
				type: 'boolean',
				default: false,
				description: 'Whether to load the model on every backend before the first item, so no item pays the load time',
			},
		],
	},
];
