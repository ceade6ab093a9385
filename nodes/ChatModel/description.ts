import type { INodeCredentialDescription, INodeProperties } from 'n8n-workflow';

import { agentProperties } from '../Agent/description';

/** The Team Agent's Options → Cache (same settings, same policy reader). */
export const cacheOption = (agentProperties.find((p) => p.name === 'options')?.options as INodeProperties[]).find((o) => o.name === 'cache') as INodeProperties;

export const priorityOption: INodeProperties = {
	displayName: 'Priority',
	name: 'priority',
	type: 'number',
	default: 0,
	description: "Higher runs first among calls waiting for a free slot on the cluster (waiting calls gain priority over time, so none starves)",
};

export const subNodeCredentials: INodeCredentialDescription[] = [
	{ name: 'ollamaClusterApi', displayName: 'Ollama Servers', required: true, testedBy: 'ollamaClusterApiTest' },
	{ name: 'agentTeamRedisApi', displayName: 'Redis for Shared Cache and Balancing (Optional)', required: false, testedBy: 'agentTeamRedisApiTest' },
];

export function modelProperty(defaultModel: string): INodeProperties {
	return {
		displayName: 'Model Name or ID',
		name: 'model',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getModels' },
		default: defaultModel,
		required: true,
		description:
			'The model, from the models of every backend of the cluster. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	};
}

/**
 * Options with the names and defaults of n8n's own Ollama Chat Model (so swapping the sub-node
 * changes nothing else), plus JSON Schema output, Cache and Priority.
 */
export const chatModelProperties: INodeProperties[] = [
	modelProperty('llama3.2'),
	{
		displayName: 'Options',
		name: 'options',
		placeholder: 'Add Option',
		description: 'Additional options to add',
		type: 'collection',
		default: {},
		options: [
			cacheOption,
			{
				displayName: 'Context Batch Size',
				name: 'numBatch',
				type: 'number',
				default: 512,
				description: 'Sets the batch size for prompt processing. Larger batch sizes may improve generation speed but increase memory usage.',
			},
			{
				displayName: 'Context Length',
				name: 'numCtx',
				type: 'number',
				default: 2048,
				description: 'The maximum number of tokens to use as context for generating the next token. Smaller values reduce memory usage, while larger values provide more context to the model.',
			},
			{
				displayName: 'Enable Thinking',
				name: 'think',
				type: 'boolean',
				default: true,
				description: "Whether to enable (default) thinking mode for supported models. When enabled, the model's thinking process is separated from the output. When disabled, the model outputs content directly (only for supported models).",
			},
			{
				displayName: 'Frequency Penalty',
				name: 'frequencyPenalty',
				type: 'number',
				default: 0,
				typeOptions: { minValue: 0 },
				description: 'Adjusts the penalty for tokens that have already appeared in the generated text. Higher values discourage repetition.',
			},
			{
				displayName: 'JSON Schema',
				name: 'jsonSchema',
				type: 'json',
				default: '{\n  "type": "object",\n  "properties": {\n    "answer": { "type": "string" }\n  },\n  "required": ["answer"]\n}',
				description: 'With Output Format "JSON Schema": the schema Ollama constrains the answer to (sent as "format")',
				displayOptions: { show: { format: ['jsonSchema'] } },
			},
			{
				displayName: 'Keep Alive',
				name: 'keepAlive',
				type: 'string',
				default: '5m',
				description: 'Specifies the duration to keep the loaded model in memory after use. Useful for frequently used models. Format: 1h30m (1 hour 30 minutes).',
			},
			{
				displayName: 'Load Vocabulary Only',
				name: 'vocabOnly',
				type: 'boolean',
				default: false,
				description: 'Whether to only load the model vocabulary without the weights. Useful for quickly testing tokenization.',
			},
			{
				displayName: 'Low VRAM Mode',
				name: 'lowVram',
				type: 'boolean',
				default: false,
				description: 'Whether to Activate low VRAM mode, which reduces memory usage at the cost of slower generation speed. Useful for GPUs with limited memory.',
			},
			{
				displayName: 'Main GPU ID',
				name: 'mainGpu',
				type: 'number',
				default: 0,
				description: 'Specifies the ID of the GPU to use for the main computation. Only change this if you have multiple GPUs.',
			},
			{
				displayName: 'Max Tokens to Generate',
				name: 'numPredict',
				type: 'number',
				default: -1,
				description: 'The maximum number of tokens to generate. Set to -1 for no limit. Be cautious when setting this to a large value, as it can lead to very long outputs.',
			},
			{
				displayName: 'Number of CPU Threads',
				name: 'numThread',
				type: 'number',
				default: 0,
				description: 'Specifies the number of CPU threads to use for processing. Set to 0 for auto-detection.',
			},
			{
				displayName: 'Number of GPUs',
				name: 'numGpu',
				type: 'number',
				default: -1,
				description: 'Specifies the number of GPUs to use for parallel processing. Set to -1 for auto-detection.',
			},
			{
				displayName: 'Output Format',
				name: 'format',
				type: 'options',
				options: [
					{ name: 'Default', value: 'default' },
					{ name: 'JSON', value: 'json' },
					{ name: 'JSON Schema', value: 'jsonSchema', description: 'JSON that matches the JSON Schema option' },
				],
				default: 'default',
				description: 'Specifies the format of the API response',
			},
			{
				displayName: 'Penalize Newlines',
				name: 'penalizeNewline',
				type: 'boolean',
				default: true,
				description: 'Whether the model will be less likely to generate newline characters, encouraging longer continuous sequences of text',
			},
			{
				displayName: 'Presence Penalty',
				name: 'presencePenalty',
				type: 'number',
				default: 0,
				description: 'Adjusts the penalty for tokens based on their presence in the generated text so far. Positive values penalize tokens that have already appeared, encouraging diversity.',
			},
			priorityOption,
			{
				displayName: 'Repetition Penalty',
				name: 'repeatPenalty',
				type: 'number',
				default: 1,
				description: 'Adjusts the penalty factor for repeated tokens. Higher values more strongly discourage repetition. Set to 1.0 to disable repetition penalty.',
			},
			{
				displayName: 'Sampling Temperature',
				name: 'temperature',
				default: 0.7,
				typeOptions: { maxValue: 1, minValue: 0, numberPrecision: 1 },
				description: 'Controls the randomness of the generated text. Lower values make the output more focused and deterministic, while higher values make it more diverse and random.',
				type: 'number',
			},
			{
				displayName: 'Top K',
				name: 'topK',
				default: -1,
				typeOptions: { maxValue: 100, minValue: -1, numberPrecision: 1 },
				description: 'Limits the number of highest probability vocabulary tokens to consider at each step. A higher value increases diversity but may reduce coherence. Set to -1 to disable.',
				type: 'number',
			},
			{
				displayName: 'Top P',
				name: 'topP',
				default: 1,
				typeOptions: { maxValue: 1, minValue: 0, numberPrecision: 1 },
				description: 'Chooses from the smallest possible set of tokens whose cumulative probability exceeds the probability top_p. Helps generate more human-like text by reducing repetitions.',
				type: 'number',
			},
			{
				displayName: 'Use Memory Locking',
				name: 'useMLock',
				type: 'boolean',
				default: false,
				description: 'Whether to lock the model in memory to prevent swapping. This can improve performance but requires sufficient available memory.',
			},
			{
				displayName: 'Use Memory Mapping',
				name: 'useMMap',
				type: 'boolean',
				default: true,
				description: 'Whether to use memory mapping for loading the model. This can reduce memory usage but may impact performance. Recommended to keep enabled.',
			},
		],
	},
];
