import type { INodeCredentialDescription, INodeProperties } from 'n8n-workflow';

const on = (...operation: string[]) => ({ show: { operation } });
const keyed = { show: { operation: ['lookup', 'store'] } };

/**
 * Node versions. A saved workflow keeps the version it was made with, and n8n stores only the
 * parameters that differ from their default: a changed default must be a new version, so a saved
 * workflow keeps the value it showed. 1.1: Key defaults to the Team Agent's prompt expression, and
 * Value to the Team Agent's answer (`output`; 1 read `response`, null after a Team Agent).
 */
export const CACHE_VERSIONS = [1, 1.1];
const sinceV1_1 = { '@version': [{ _cnd: { gte: 1.1 } }] };
const onlyV1 = { '@version': [1] };
const DEFAULT_KEY = '={{ $json.chatInput ?? $json.text ?? $json.prompt }}';
const KEY_DESCRIPTION =
	'What an entry is found by: any value or expression (e.g. a prompt, or several fields as an object). Only its hash is kept. In Store after the miss branch, point at the item the Lookup saw, through $(\'Cache Lookup\').item.';

export const cacheSubtitle = '={{ {"lookup": "Lookup", "store": "Store", "invalidate": "Invalidate", "stats": "Stats"}[$parameter["operation"]] }}';

/** Redis makes entries shared by all workers (else this process only); Ollama only embeds for semantic lookups. */
export const cacheCredentials: INodeCredentialDescription[] = [
	{ name: 'agentTeamRedisApi', displayName: 'Redis (Optional)', required: false, testedBy: 'agentTeamRedisApiTest' },
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
		displayOptions: { show: { operation: ['lookup', 'store'], ...onlyV1 } },
		description: KEY_DESCRIPTION,
	},
	{
		displayName: 'Key',
		name: 'key',
		type: 'string',
		default: DEFAULT_KEY,
		required: true,
		displayOptions: { show: { operation: ['lookup', 'store'], ...sinceV1_1 } },
		description: `${KEY_DESCRIPTION} By default the item's chatInput, text or prompt field`,
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
		displayOptions: { show: { operation: ['store'], valueSource: ['expression'], ...onlyV1 } },
		default: '={{ $json.response }}',
		description: 'Stored as JSON; a hit returns it as `value` (objects are merged into the hit item)',
	},
	{
		displayName: 'Value',
		name: 'value',
		type: 'json',
		displayOptions: { show: { operation: ['store'], valueSource: ['expression'], ...sinceV1_1 } },
		default: '={{ $json.output }}',
		description: 'Stored as JSON; a hit returns it as `value` (objects are merged into the hit item). By default the answer of a Team Agent or Orchestrator (`output`).',
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
		displayName: 'Model Name or ID',
		name: 'model',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getModels' },
		default: '',
		displayOptions: { show: { operation: ['invalidate'], target: ['model'] } },
		description: 'Remove the agents\' cached answers of this model in the namespace (e.g. after changing its Modelfile). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	},
	{
		displayName: 'Key',
		name: 'invalidateKey',
		type: 'string',
		default: '={{ $json.chatInput ?? $json.prompt ?? $json.text }}',
		displayOptions: { show: { operation: ['invalidate'], target: ['key'], ...onlyV1 } },
		description: 'The same value the entry was stored under',
	},
	{
		displayName: 'Key',
		name: 'invalidateKey',
		type: 'string',
		default: DEFAULT_KEY,
		displayOptions: { show: { operation: ['invalidate'], target: ['key'], ...sinceV1_1 } },
		description: 'The same value the entry was stored under',
	},
	{
		displayName: 'Older Than (Seconds)',
		name: 'olderThan',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 86400,
		displayOptions: { show: { operation: ['invalidate'], target: ['age'] } },
		description: 'Remove the entries of the namespace stored more than this many seconds ago',
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
				displayName: 'Embedding Model Name or ID',
				name: 'embedModel',
				type: 'options',
				typeOptions: { loadOptionsMethod: 'getModels' },
				default: 'nomic-embed-text',
				displayOptions: { show: { semantic: [true] } },
				description: 'The model that embeds key texts to compare their meaning (an embedding model such as nomic-embed-text). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
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
				typeOptions: { minValue: 0.001, maxValue: 1, numberPrecision: 3 },
				default: 0.95,
				displayOptions: { show: { semantic: [true] } },
				description: 'Cosine similarity (above 0, at most 1) a reworded key text needs to count as the same; 0.95 is strict, 0.9 looser',
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
				description: 'How long the entry lives, in seconds. 0 uses the default, 3600 seconds (one hour).',
			},
		],
	},
];
