import type { INodeCredentialDescription, INodeProperties } from 'n8n-workflow';

const on = (...operation: string[]) => ({ show: { operation } });
const keyed = { show: { operation: ['lookup', 'store'] } };

export const cacheSubtitle = '={{ {"lookup": "Lookup", "store": "Store", "invalidate": "Invalidate", "stats": "Stats"}[$parameter["operation"]] }}';

/** Redis makes entries shared by all workers (else this process only); Ollama only embeds for semantic lookups. */
export const cacheCredentials: INodeCredentialDescription[] = [
	{ name: 'agentTeamRedisApi', displayName: 'Redis to Share the Cache (Optional)', required: false, testedBy: 'agentTeamRedisApiTest' },
	{ name: 'ollamaClusterApi', displayName: 'Ollama Servers for Semantic Lookup (Optional)', required: false, testedBy: 'ollamaClusterApiTest' },
];

export const cacheProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Lookup', value: 'lookup', action: 'Look up an entry', description: 'Items with a cached entry leave on "hit", the others on "miss"' },
			{ name: 'Store', value: 'store', action: 'Store an entry', description: 'Cache each item (or one field) under its key, after the miss branch' },
			{ name: 'Invalidate', value: 'invalidate', action: 'Invalidate entries', description: 'Remove one key, a whole namespace, or entries older than an age' },
			{ name: 'Stats', value: 'stats', action: 'Report cache statistics', description: 'Hits and misses per layer, hit rate, bytes, evictions, single-flight joins, shadow would-hits' },
		],
		default: 'lookup',
	},
	{
		displayName: 'Key',
		name: 'key',
		type: 'string',
		default: '={{ $json.chatInput ?? $json.prompt ?? $json.text }}',
		required: true,
		displayOptions: on('lookup', 'store'),
		description:
			'What an entry is found by: any value or expression (e.g. a prompt, or several fields as an object). Only its hash is kept. In Store after the miss branch, point at the item the Lookup saw, through $(\'Cache Lookup\').item.',
	},
	{
		displayName: 'Namespace',
		name: 'namespace',
		type: 'string',
		default: '={{ $workflow.id }}',
		description: 'Entries of one namespace are never read by another. By default one per workflow; use the same value in several workflows to share.',
	},
	{
		displayName: 'Value to Store',
		name: 'valueSource',
		type: 'options',
		displayOptions: on('store'),
		options: [
			{ name: 'Whole Item', value: 'item', description: 'The item\'s JSON as it arrives here' },
			{ name: 'Expression', value: 'expression', description: 'A field or any value' },
		],
		default: 'item',
	},
	{
		displayName: 'Value',
		name: 'value',
		type: 'json',
		displayOptions: { show: { operation: ['store'], valueSource: ['expression'] } },
		default: '={{ $json.response }}',
		description: 'Stored as JSON; a hit returns it as `value` (objects are merged into the hit item)',
	},
	{
		displayName: 'Invalidate',
		name: 'target',
		type: 'options',
		displayOptions: on('invalidate'),
		options: [
			{ name: 'One Key', value: 'key' },
			{ name: 'Whole Namespace', value: 'namespace' },
			{ name: 'Older Than', value: 'age' },
			{ name: 'Agent Answers of a Model', value: 'model', description: 'What Team Agents with the Cache option stored for a model (needs the Ollama credential)' },
		],
		default: 'key',
	},
	{
		displayName: 'Model',
		name: 'model',
		type: 'string',
		default: '',
		placeholder: 'e.g. llama3.2:3b',
		displayOptions: { show: { operation: ['invalidate'], target: ['model'] } },
		description: 'Remove the agents\' cached answers of this model in the namespace (e.g. after changing its Modelfile)',
	},
	{
		displayName: 'Key',
		name: 'invalidateKey',
		type: 'string',
		default: '={{ $json.chatInput ?? $json.prompt ?? $json.text }}',
		displayOptions: { show: { operation: ['invalidate'], target: ['key'] } },
		description: 'The same value the entry was stored under',
	},
	{
		displayName: 'Older Than (Seconds)',
		name: 'olderThan',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 86400,
		displayOptions: { show: { operation: ['invalidate'], target: ['age'] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: keyed,
		options: [
			{
				displayName: 'Embedding Model',
				name: 'embedModel',
				type: 'string',
				default: 'nomic-embed-text',
				displayOptions: { show: { semantic: [true] } },
			},
			{
				displayName: 'Semantic Lookup',
				name: 'semantic',
				type: 'boolean',
				default: false,
				description: 'Whether to also match an earlier key text that means the same (embedding similarity, with guards against changed numbers, negations, names and formats). Needs the Ollama credential; use it in Lookup and Store alike.',
			},
			{
				displayName: 'Similarity Threshold',
				name: 'threshold',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 3 },
				default: 0.95,
				displayOptions: { show: { semantic: [true] } },
				description: 'Cosine similarity a semantic match needs',
			},
			{
				displayName: 'Skip Cache',
				name: 'skip',
				type: 'boolean',
				default: false,
				description: 'Whether to leave this item out of the cache (e.g. an expression that is true for personal data): Lookup sends it to "miss", Store does not keep it',
			},
			{
				displayName: 'TTL (Seconds)',
				name: 'ttl',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 3600,
				displayOptions: { show: { '/operation': ['store'] } },
				description: 'How long the entry lives (0 = one hour)',
			},
		],
	},
];
