import type { INodeProperties } from 'n8n-workflow';

import { ROLE_LABELS, ROLE_PROMPTS, ROLES } from './roles';

/** Shown under the node's name on the canvas: "Researcher: llama3.2:3b". */
export const agentSubtitle = `={{ (${JSON.stringify(ROLE_LABELS)})[$parameter["role"]] + ": " + $parameter["model"] }}`;

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
		options: ROLES.map((role) => ({
			name: ROLE_LABELS[role],
			value: role,
			description: role === 'custom' ? 'No preset: "You are a helpful assistant." unless you write a System Prompt' : ROLE_PROMPTS[role],
		})),
		default: 'custom',
		description: 'A ready-made system prompt for the kind of work the agent does (each option shows its text)',
	},
	{
		displayName: 'System Prompt',
		name: 'systemPrompt',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		placeholder: "Empty: the role's preset",
		description: "How the agent should behave and answer. Replaces the role's preset when set; the same whichever role you pick.",
	},
	{
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '={{ $json.chatInput ?? $json.text ?? $json.prompt }}',
		required: true,
		description: "What to ask the model. By default the incoming item's chatInput, text or prompt field.",
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
		description: 'Text, or JSON parsed into the "data" field. A JSON reply that does not parse (or match the schema) is retried once, then reported as an error.',
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
		placeholder: 'e.g. {{ $json.sessionId }}',
		description:
			'Remembers the conversation per key (a user or chat ID), so later messages see the earlier ones. Empty: no memory. Stored in Redis when the Redis credential is set or n8n runs in queue mode (n8n\'s queue Redis, shared by every worker), else in this n8n process.',
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
				displayName: 'Cache',
				name: 'cache',
				type: 'fixedCollection',
				placeholder: 'Add Cache Settings',
				// the group key present, as n8n's own nodes do (HTTP Request's Batching): with {} n8n drops
				// the option from Options as soon as another option is added (found by npm run test:ui)
				default: { settings: {} },
				description:
					'Answer a repeated prompt (or, with semantic, a reworded one) from the response cache instead of the model. Without this option nothing is cached; added, its Mode starts at Exact. Only deterministic calls (temperature 0 or a seed) unless told otherwise. With the Redis credential, or in queue mode through n8n\'s queue Redis, shared by all workers.',
				options: [
					{
						displayName: 'Settings',
						name: 'settings',
						values: [
							{ displayName: 'Cache Non-Deterministic Calls', name: 'nonDeterministic', type: 'boolean', default: false, description: 'Whether to cache calls with temperature above 0 and no seed too' },
							{ displayName: 'Cache Tool Calls', name: 'toolCalls', type: 'boolean', default: false, description: 'Whether to cache replies that ask for tool calls' },
							{ displayName: 'Embedding Model Name or ID', name: 'embedModel', type: 'options', typeOptions: { loadOptionsMethod: 'getModels' }, default: 'nomic-embed-text', displayOptions: { show: { mode: ['semantic'] } }, description: 'The model that embeds prompts to compare their meaning (an embedding model such as nomic-embed-text). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.' },
							{
								displayName: 'Mode',
								name: 'mode',
								type: 'options',
								options: [
									{ name: 'Off', value: 'off', description: 'No cache: every call goes to the model' },
									{ name: 'Exact', value: 'exact', description: 'The same request (model digest, prompts, options) answered before' },
									{ name: 'Exact + Semantic', value: 'semantic', description: 'Also a prompt that means the same (embedding similarity, guarded against changed numbers, negations, names, formats)' },
								],
								default: 'exact',
								description: 'Which earlier answers may be reused',
							},
							{ displayName: 'Namespace', name: 'namespace', type: 'string', default: '={{ $workflow.id }}', description: 'Workflows with different namespaces never read each other\'s answers' },
							{ displayName: 'Shadow Mode', name: 'shadow', type: 'boolean', default: false, displayOptions: { show: { mode: ['semantic'] } }, description: 'Whether to only record what the semantic layer would have served (see the Cache node\'s Stats) without serving it' },
							{ displayName: 'Similarity Threshold', name: 'threshold', type: 'number', typeOptions: { minValue: 0.001, maxValue: 1, numberPrecision: 3 }, default: 0.95, displayOptions: { show: { mode: ['semantic'] } }, description: 'Cosine similarity (above 0, at most 1) a reworded prompt needs to count as the same; 0.95 is strict, 0.9 looser' },
							{ displayName: 'Skip Cache', name: 'skip', type: 'boolean', default: false, description: 'Whether to leave this item out of the cache (e.g. an expression that is true for personal data)' },
							{ displayName: 'TTL (Seconds)', name: 'ttl', type: 'number', typeOptions: { minValue: 0 }, default: 3600, description: 'How long an answer stays cached, in seconds. 0 uses the default, 3600 seconds (one hour).' },
						],
					},
				],
			},
			{
				displayName: 'Compact Prompt',
				name: 'compact',
				type: 'boolean',
				default: false,
				description:
					'Whether to save tokens by collapsing extra spaces and blank lines in the prompt, system prompt and documents; the words stay the same (code blocks untouched)',
			},
			{
				displayName: 'Context Share for Conversation (%)',
				name: 'historyShare',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 100 },
				default: 60,
				description: 'How much of the room left in the Context Window goes to earlier messages; the rest goes to Documents. Room one side does not use goes to the other.',
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
				description: 'What to leave out when the conversation and documents do not fit the Context Window',
			},
			{
				displayName: 'Context Window',
				name: 'numCtx',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description:
					"How many tokens the model reads at once (Ollama's num_ctx): system prompt, conversation, documents and the reply together. 0 keeps the server's setting (the budget then assumes 4096). A value different from the loaded one reloads the model.",
			},
			{
				displayName: 'Documents',
				name: 'documents',
				type: 'json',
				default: '[]',
				placeholder: '["Ollama runs up to OLLAMA_NUM_PARALLEL requests at once.", { "text": "…", "score": 0.8 }]',
				// eslint-disable-next-line n8n-nodes-base/node-param-description-miscased-id -- the key of a document object is literally "id"
				description:
					'Background text the answer should use (e.g. search results): a list of texts, or of objects with "text" and optional "score" and "id". They share the Context Window with the conversation; the most relevant are kept.',
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
				description: 'Ollama num_predict: most tokens in the reply; -1 means no limit',
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
				typeOptions: { minValue: -1 },
				default: -1,
				description: 'The same seed and prompt give the same answer; -1 picks a random one each time',
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
				displayName: 'Summary Model Name or ID',
				name: 'summaryModel',
				type: 'options',
				typeOptions: { loadOptionsMethod: 'getModels' },
				default: '',
				description:
					'Used with Context Strategy "Summarize Older Turns": a smaller, faster model that writes the summary. Empty: the agent\'s model. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			{
				displayName: 'Temperature',
				name: 'temperature',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 2, numberPrecision: 2 },
				default: 0.7,
				description: 'Higher gives more varied answers, lower more focused and repeatable ones (0 to 2)',
			},
			{
				displayName: 'Tokenizer',
				name: 'encoding',
				type: 'options',
				options: [
					{ name: 'GPT-4 Style', value: 'cl100k_base', description: 'The cl100k_base encoding: close to Llama 3, Qwen and most Ollama models' },
					{ name: 'GPT-4o Style', value: 'o200k_base', description: 'The o200k_base encoding: a larger vocabulary, fewer tokens per word' },
				],
				default: 'cl100k_base',
				description: "How tokens are counted before a call, to fit everything into the Context Window. GPT-4 Style suits Llama, Qwen and most Ollama models; either way the count is corrected by the model's own counts as replies come back.",
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
