import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * One or many Ollama servers used as one cluster. Tested by the nodes' `ollamaClusterApiTest`
 * method (GET /api/tags on every backend), since a declarative test can only call one URL.
 */
export class OllamaClusterApi implements ICredentialType {
	name = 'ollamaClusterApi';

	displayName = 'Ollama Cluster API';

	icon: Icon = { light: 'file:../nodes/Agent/agent.svg', dark: 'file:../nodes/Agent/agent.dark.svg' };

	documentationUrl = 'https://github.com/ollama/ollama/blob/main/docs/api.md';

	properties: INodeProperties[] = [
		{
			displayName: 'Backends',
			name: 'backends',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true, sortable: true },
			placeholder: 'Add Backend',
			default: { backend: [{ name: 'local', baseUrl: 'http://127.0.0.1:11434', weight: 1, parallel: 4 }] },
			options: [
				{
					displayName: 'Backend',
					name: 'backend',
					values: [
						{
							displayName: 'Name',
							name: 'name',
							type: 'string',
							default: 'local',
							description: 'Shown in outputs and errors instead of the URL',
						},
						{
							displayName: 'Base URL',
							name: 'baseUrl',
							type: 'string',
							default: 'http://127.0.0.1:11434',
							placeholder: 'http://gpu-1:11434',
						},
						{
							displayName: 'Weight',
							name: 'weight',
							type: 'number',
							typeOptions: { minValue: 0 },
							default: 1,
							description: 'Relative share of the traffic this server gets',
						},
						{
							displayName: 'Parallel Slots',
							name: 'parallel',
							type: 'number',
							typeOptions: { minValue: 1 },
							default: 4,
							description: "The server's OLLAMA_NUM_PARALLEL: requests it runs at once per model",
						},
					],
				},
			],
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Sent as a Bearer token, for Ollama behind an authenticating proxy',
		},
		{
			displayName: 'Extra Headers',
			name: 'headers',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true },
			placeholder: 'Add Header',
			default: {},
			options: [
				{
					displayName: 'Header',
					name: 'header',
					values: [
						{ displayName: 'Name', name: 'name', type: 'string', default: '' },
						{ displayName: 'Value', name: 'value', type: 'string', typeOptions: { password: true }, default: '' },
					],
				},
			],
		},
		{
			displayName: 'Allow Self-Signed Certificates',
			name: 'allowSelfSigned',
			type: 'boolean',
			default: false,
		},
		{
			displayName: 'Max Connections per Backend',
			name: 'maxConnections',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 0,
			description: 'Keep-alive sockets per backend; 0 means twice its parallel slots',
		},
		{
			displayName: 'Timeouts (Seconds)',
			name: 'timeouts',
			type: 'collection',
			placeholder: 'Set Timeout',
			default: {},
			options: [
				{ displayName: 'Connect', name: 'connect', type: 'number', default: 10, description: '0 disables it' },
				{
					displayName: 'First Token',
					name: 'firstToken',
					type: 'number',
					default: 600,
					description: 'Queueing, model load and prompt processing together. 0 disables it.',
				},
				{ displayName: 'Idle Between Tokens', name: 'idle', type: 'number', default: 120, description: '0 disables it' },
				{ displayName: 'Total', name: 'total', type: 'number', default: 3600, description: '0 disables it' },
			],
		},
	];
}
