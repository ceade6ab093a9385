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
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Context Window',
				name: 'numCtx',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description: 'Ollama num_ctx: tokens of context the model gets; 0 keeps the server default. Changing it reloads the model.',
			},
			{
				displayName: 'JSON Output',
				name: 'jsonOutput',
				type: 'boolean',
				default: false,
				description: 'Whether to make the model answer in JSON (Ollama format JSON); the parsed value goes to "data"',
			},
			{
				displayName: 'Keep Alive',
				name: 'keepAlive',
				type: 'string',
				default: '',
				placeholder: '5m',
				description: 'How long the model stays loaded after the call (e.g. 5m, 1h, -1 for ever, 0 to unload). Empty keeps the server default.',
			},
			{
				displayName: 'Max Tokens',
				name: 'numPredict',
				type: 'number',
				default: -1,
				description: 'Ollama num_predict: most tokens to generate; -1 means no limit',
			},
			{
				displayName: 'Seed',
				name: 'seed',
				type: 'number',
				default: 0,
				description: 'Fixed seed for reproducible answers; 0 leaves it random',
			},
			{
				displayName: 'Temperature',
				name: 'temperature',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 2, numberPrecision: 2 },
				default: 0.7,
			},
		],
	},
];
