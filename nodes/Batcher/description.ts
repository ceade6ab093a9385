import type { INodeCredentialDescription, INodeProperties } from 'n8n-workflow';

const onEmbed = { show: { operation: ['embed'] } };
const onGenerate = { show: { operation: ['generate'] } };
const onModelCalls = { show: { operation: ['embed', 'generate'] } };
const onGroup = { show: { operation: ['groupItems'] } };

/**
 * Node versions. A saved workflow keeps the version it was made with, and n8n stores only the
 * parameters that differ from their default: a changed default must be a new version, so a saved
 * workflow keeps the value it showed. 1.1: the prompt fields default to the same expression as the
 * Team Agent's and the Orchestrator's; Generate writes `output` and `tokenUsage` (1 also keeps
 * `response` and `usage`).
 */
export const BATCHER_VERSIONS = [1, 1.1];
const sinceV1_1 = { '@version': [{ _cnd: { gte: 1.1 } }] };
const onlyV1 = { '@version': [1] };
/** The item's prompt, the same default expression on every node. */
export const DEFAULT_PROMPT = '={{ $json.chatInput ?? $json.text ?? $json.prompt }}';

export const batcherSubtitle = '={{ {"embed": "Embed", "generate": "Generate", "groupItems": "Group Items"}[$parameter["operation"]] }}';

/** Group Items needs no server. */
export const batcherCredentials: INodeCredentialDescription[] = [
	{ name: 'ollamaClusterApi', displayName: 'Ollama Servers', required: true, testedBy: 'ollamaClusterApiTest', displayOptions: onModelCalls },
];


/** The dynamic batcher's knobs and the gateway queue settings, shared by Embed and Generate. */
const batchingOptions: INodeProperties[] = [
	{
		displayName: 'Max Batch Delay (Ms)',
		name: 'maxBatchDelayMs',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 5,
		description: 'Longest the first item of a batch waits for more items before the batch leaves',
	},
	{
		displayName: 'Batch Size Target',
		name: 'batchSizeTarget',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 32,
		description: 'A batch leaves at once when this many items (for Embed: texts) wait',
	},
	{
		displayName: 'Batch Size Limit',
		name: 'batchSizeLimit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 256,
		description: 'A batch never holds more items (for Embed: texts) than this; a bigger item goes alone',
	},
	{
		displayName: 'Priority',
		name: 'priority',
		type: 'number',
		default: 0,
		description: 'Higher runs first when calls wait for a free slot in the gateway queue; waiting calls age, so none starves',
	},
	{
		displayName: 'Queue Wait Timeout (Seconds)',
		name: 'queueTimeout',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description: 'Longest an item waits in the gateway queue for a free backend slot before it fails with a queue timeout (the credential\'s Queue Wait Timeout, for this node\'s items). 0 uses the credential\'s setting.',
	},
	{
		displayName: 'Keep Alive',
		name: 'keepAlive',
		type: 'string',
		default: '',
		placeholder: 'e.g. 10m',
		description: 'How long the model stays loaded after the call (e.g. 5m, 1h, -1 for ever, 0 to unload). Empty keeps the server default.',
	},
];

export const batcherProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Embed', value: 'embed', action: 'Embed texts', description: 'Turn a text per item into a vector; calls are batched and coalesced' },
			{ name: 'Generate', value: 'generate', action: 'Generate a reply per item', description: 'One prompt per item, batched and sent as slots free up' },
			{ name: 'Group Items', value: 'groupItems', action: 'Group items into batches', description: 'Emit one item per batch: by count, token budget or predicted length' },
		],
		default: 'embed',
	},

	// Embed
	{
		displayName: 'Model Name or ID',
		name: 'embedModel',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getModels' },
		default: 'nomic-embed-text',
		description:
			'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
		displayOptions: onEmbed,
	},
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 2 },
		default: '={{ $json.text }}',
		required: true,
		description: 'The text to embed (or an array of texts, giving an array of vectors)',
		displayOptions: onEmbed,
	},
	{
		displayName: 'Output Field',
		name: 'outputField',
		type: 'string',
		default: 'embedding',
		description: 'Field of the output item that receives the vector',
		displayOptions: onEmbed,
	},

	// Generate
	{
		displayName: 'Model Name or ID',
		name: 'model',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getModels' },
		default: 'llama3.2:3b',
		description:
			'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
		displayOptions: onGenerate,
	},
	{
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '={{ $json.prompt ?? $json.text ?? $json.chatInput }}',
		required: true,
		description: "What to ask the model for this item. By default the item's prompt, text or chatInput field.",
		displayOptions: { show: { ...onGenerate.show, ...onlyV1 } },
	},
	{
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 3 },
		default: DEFAULT_PROMPT,
		required: true,
		description: "What to ask the model for this item. By default the item's chatInput, text or prompt field.",
		displayOptions: { show: { ...onGenerate.show, ...sinceV1_1 } },
	},
	{
		displayName: 'System Prompt',
		name: 'systemPrompt',
		type: 'string',
		typeOptions: { rows: 2 },
		default: '',
		description: 'Instructions sent before every prompt. Empty: none.',
		displayOptions: onGenerate,
	},

	// Group Items
	{
		displayName: 'Group By',
		name: 'groupBy',
		type: 'options',
		options: [
			{ name: 'Count', value: 'count', description: 'A fixed number of items per batch' },
			{ name: 'Tokens per Batch', value: 'tokens', description: 'As many consecutive items as fit a number of tokens' },
			{ name: 'Predicted Length', value: 'predictedLength', description: 'Items with similar expected reply lengths together, shortest first' },
		],
		default: 'count',
		displayOptions: onGroup,
	},
	{
		displayName: 'Batch Size',
		name: 'batchSize',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 10,
		description: 'Most items per batch',
		displayOptions: onGroup,
	},
	{
		displayName: 'Tokens per Batch',
		name: 'tokenBudget',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 2000,
		description: 'Most tokens (tiktoken cl100k_base estimate) per batch; an item over it gets a batch of its own',
		displayOptions: { show: { operation: ['groupItems'], groupBy: ['tokens'] } },
	},
	{
		displayName: 'Text to Count',
		name: 'groupText',
		type: 'string',
		default: '={{ $json.text ?? $json.prompt ?? $json.chatInput }}',
		description: "The item's text whose tokens count against Tokens per Batch",
		displayOptions: { show: { operation: ['groupItems'], groupBy: ['tokens'], ...onlyV1 } },
	},
	{
		displayName: 'Text to Count',
		name: 'groupText',
		type: 'string',
		default: DEFAULT_PROMPT,
		description: "The item's text whose tokens count against Tokens per Batch. By default its chatInput, text or prompt field.",
		displayOptions: { show: { operation: ['groupItems'], groupBy: ['tokens'], ...sinceV1_1 } },
	},
	{
		displayName: 'Predicted Output Tokens',
		name: 'predictedTokens',
		type: 'number',
		default: 256,
		description: "Expected reply length of the item in tokens, usually an expression reading the item's max tokens field",
		displayOptions: { show: { operation: ['groupItems'], groupBy: ['predictedLength'] } },
	},
	{
		displayName: 'Length Bins',
		name: 'binEdges',
		type: 'string',
		default: '64, 256, 1024',
		description: 'Upper bounds of the length bins, in tokens (comma-separated); longer items go into a last bin',
		displayOptions: { show: { operation: ['groupItems'], groupBy: ['predictedLength'] } },
	},

	// Options
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: onEmbed,
		options: [
			...batchingOptions,
			{
				displayName: 'Dimensions',
				name: 'dimensions',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description: 'Shorten vectors to this many dimensions (models that support it). 0: the model\'s own size.',
			},
			{
				displayName: 'Truncate',
				name: 'truncate',
				type: 'boolean',
				default: true,
				description: 'Whether to cut texts longer than the model\'s context (off: such an item fails with an error)',
			},
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: onGenerate,
		options: [
			...batchingOptions,
			{
				displayName: 'Max Tokens',
				name: 'numPredict',
				type: 'number',
				default: -1,
				description: 'Ollama num_predict: most tokens in the reply per item; -1 means no limit',
			},
			{
				displayName: 'Temperature',
				name: 'temperature',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 2, numberPrecision: 2 },
				default: 0.7,
				description: 'Higher gives more varied answers, lower more focused and repeatable ones (0 to 2). Not added: the model\'s own default.',
			},
		],
	},
];
