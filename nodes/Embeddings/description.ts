import type { INodeProperties } from 'n8n-workflow';

import { cacheOption, modelProperty, priorityOption } from '../ChatModel/description';

/** Exact caching only: a semantic match makes no sense for an embedding. */
const embeddingCacheOption: INodeProperties = {
	...cacheOption,
	description: 'Answer a text embedded before from the cache (per text) instead of the model. With the Redis credential, shared by all workers.',
	options: [
		{
			displayName: 'Settings',
			name: 'settings',
			values: [
				{
					displayName: 'Mode',
					name: 'mode',
					type: 'options',
					options: [
						{ name: 'Off', value: 'off' },
						{ name: 'Exact', value: 'exact', description: 'The same text, model (digest) and options embedded before' },
					],
					default: 'exact',
				},
				{ displayName: 'Namespace', name: 'namespace', type: 'string', default: '={{ $workflow.id }}', description: "Workflows with different namespaces never read each other's entries" },
				{ displayName: 'TTL (Seconds)', name: 'ttl', type: 'number', typeOptions: { minValue: 0 }, default: 3600, description: 'How long an embedding stays cached (0 = one hour)' },
			],
		},
	],
};

export const embeddingsProperties: INodeProperties[] = [
	modelProperty('nomic-embed-text'),
	{
		displayName: 'Options',
		name: 'options',
		placeholder: 'Add Option',
		description: 'Additional options to add',
		type: 'collection',
		default: {},
		options: [
			embeddingCacheOption,
			{
				displayName: 'Keep Alive',
				name: 'keepAlive',
				type: 'string',
				default: '5m',
				description: 'Specifies the duration to keep the loaded model in memory after use. Format: 1h30m (1 hour 30 minutes).',
			},
			priorityOption,
		],
	},
];
