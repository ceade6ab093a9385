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
			default: { backend: [{ name: 'local', baseUrl: 'http://127.0.0.1:11434', weight: 1, parallel: 0 }] },
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
							typeOptions: { minValue: 0 },
							default: 0,
							description:
								"The server's OLLAMA_NUM_PARALLEL (requests it runs at once per model). 0 = learn it from the server's replies; a number you state wins.",
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
		{
			displayName: 'Load Balancing',
			name: 'loadBalancing',
			type: 'collection',
			placeholder: 'Add Option',
			default: {},
			options: [
				{
					displayName: 'Strategy',
					name: 'strategy',
					type: 'options',
					default: 'default',
					options: [
						{ name: 'Model and Prefix Aware (Recommended)', value: 'default', description: 'Where the model is loaded, then where the prompt prefix is cached, then fewest in flight per slot, then fastest' },
						{ name: 'Round Robin', value: 'roundRobin', description: 'Each backend in turn, whatever its load' },
						{ name: 'Weighted Round Robin', value: 'weightedRoundRobin', description: 'In turn by Weight, whatever the load' },
						{ name: 'Least Connections', value: 'leastConnections', description: 'Fewest calls in flight per slot' },
						{ name: 'Least Latency', value: 'leastLatency', description: 'Lowest moving average of response time' },
					],
				},
				{ displayName: 'Health Check Interval (Seconds)', name: 'healthInterval', type: 'number', default: 5, description: 'How often every backend is probed (GET /api/ps); 0 turns probes off' },
				{ displayName: 'Failures Before Circuit Opens', name: 'failureThreshold', type: 'number', default: 3, description: 'Consecutive failures after which a backend gets no traffic until a trial succeeds' },
				{ displayName: 'Circuit Cooldown (Seconds)', name: 'cooldown', type: 'number', default: 5, description: 'How long an open circuit waits before one trial call; doubles after each failed trial' },
				{ displayName: 'Failover Retries', name: 'retries', type: 'number', default: 3, description: 'Attempts on other backends after a call fails before its answer' },
				{ displayName: 'Look-Ahead', name: 'lookAhead', type: 'number', default: 1, description: 'Calls queued at a backend beyond its slots, so a freed slot never waits a round trip' },
				{ displayName: 'Pull Missing Models', name: 'pullMissing', type: 'boolean', default: false, description: 'Whether to pull a model on a backend that answered 404 for it (other backends serve meanwhile)' },
			],
		},
	];
}
