import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

import { credentialFieldDefault, LOAD_BALANCING_FIELDS, TIMEOUT_FIELDS } from '../lib/gateway';

const timeout = (name: string) => credentialFieldDefault(TIMEOUT_FIELDS, name) as number;
const balancing = (name: string) => credentialFieldDefault(LOAD_BALANCING_FIELDS, name);

/**
 * One or many Ollama servers used as one cluster. Tested by the nodes' `ollamaClusterApiTest`
 * method (GET /api/tags on every backend), since a declarative test can only call one URL.
 *
 * Only field types n8n's credential form renders: no `collection` (timeouts and load balancing are
 * top-level fields, see lib/gateway/credential-fields.ts). Saved from the form, a backend row keeps
 * only the values that differ from their defaults and reopened shows the others empty, so each row
 * field's placeholder is its default: the form shows what a run uses.
 */
export class OllamaClusterApi implements ICredentialType {
	name = 'ollamaClusterApi';

	displayName = 'Ollama Cluster API';

	icon: Icon = { light: 'file:../nodes/Agent/agent.svg', dark: 'file:../nodes/Agent/agent.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-agent-team/n8n-nodes-agent-team/blob/main/docs/nodes/ollama-cluster-api.md';

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
							placeholder: 'local',
							description: 'Shown in outputs and errors instead of the URL; unique per backend',
						},
						{
							displayName: 'Base URL',
							name: 'baseUrl',
							type: 'string',
							default: 'http://127.0.0.1:11434',
							placeholder: 'http://127.0.0.1:11434',
							description: 'Where this Ollama server listens, e.g. http://gpu-1:11434',
						},
						{
							displayName: 'Weight',
							name: 'weight',
							type: 'number',
							typeOptions: { minValue: 0 },
							default: 1,
							placeholder: '1',
							description: 'Relative share of the traffic this server gets',
						},
						{
							displayName: 'Parallel Slots',
							name: 'parallel',
							type: 'number',
							typeOptions: { minValue: 0 },
							default: 0,
							placeholder: '0',
							description:
								"The server's OLLAMA_NUM_PARALLEL (requests it runs at once per model). 0 = learn it from the server's replies; a number you state wins.",
						},
						{
							displayName: 'GPU Memory (GiB)',
							name: 'gpuMemory',
							type: 'number',
							typeOptions: { minValue: 0, numberPrecision: 1 },
							default: 0,
							placeholder: '0',
							description:
								"The server's GPU memory, for the Load Balancer's Plan Capacity (Ollama does not report it). 0 = unknown: taken from /api/ps as the memory of the models loaded fully on the GPU.",
						},
					],
				},
			],
		},
		{
			displayName: 'Profile',
			name: 'profile',
			type: 'options',
			options: [
				{ name: 'Custom', value: 'custom', description: "This credential's settings with the package's defaults (as before profiles existed)" },
				{ name: 'Development', value: 'development', description: 'Fail fast: short timeouts, 1 retry, 2k context default, short-lived small cache, no embedding batching delay' },
				{ name: 'Production', value: 'production', description: 'Long-lived cache, 8k context default, bounded queue wait, 5 retries, bigger embedding batches' },
			],
			default: 'custom',
			description:
				'Defaults for cache, batching, context, timeouts and retries. The AGENT_TEAM_PROFILE environment variable of the n8n instance overrides it; a field you change here, or an option on a node, always wins.',
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
						{ displayName: 'Name', name: 'name', type: 'string', default: '', description: 'HTTP header name, e.g. X-Api-Key' },
						{ displayName: 'Value', name: 'value', type: 'string', typeOptions: { password: true }, default: '', description: 'Header value, stored as a secret and sent to every backend' },
					],
				},
			],
		},
		{
			displayName: 'Allow Self-Signed Certificates',
			name: 'allowSelfSigned',
			type: 'boolean',
			default: false,
			description: 'Whether to accept HTTPS certificates no public authority signed (a proxy with an internal CA)',
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
			displayName: 'Timeouts, in seconds (0 disables one). The gateway streams from Ollama, so a slow model load or a long answer is never cut at a fixed header timeout.',
			name: 'timeoutsNotice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Connect Timeout (Seconds)',
			name: 'connectTimeout',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: timeout('connectTimeout'),
			description: 'Opening the connection to a backend',
		},
		{
			displayName: 'First Token Timeout (Seconds)',
			name: 'firstOutputTimeout',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: timeout('firstOutputTimeout'),
			description: 'Until the first word of the answer: waiting for a free slot, loading the model and reading the prompt',
		},
		{
			displayName: 'Idle Timeout (Seconds)',
			name: 'idleTimeout',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: timeout('idleTimeout'),
			description: 'Longest pause between two pieces of the answer',
		},
		{
			displayName: 'Total Timeout (Seconds)',
			name: 'totalTimeout',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: timeout('totalTimeout'),
			description: 'The whole call',
		},
		{
			displayName: 'Queue Wait Timeout (Seconds)',
			name: 'queueWaitTimeout',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: timeout('queueWaitTimeout'),
			description: 'Longest a call waits in this process for a free backend slot before it fails with a queue timeout; 0 waits as long as needed (a large run queues its later items for most of the run)',
		},
		{
			displayName: 'Load balancing: how calls are spread over the backends, and how a failing backend is detected and avoided',
			name: 'loadBalancingNotice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Strategy',
			name: 'balancingStrategy',
			type: 'options',
			default: balancing('balancingStrategy') as string,
			options: [
				{ name: 'Model and Prefix Aware (Recommended)', value: 'default', description: 'Where the model is loaded, then where the prompt prefix is cached, then fewest in flight per slot, then fastest' },
				{ name: 'Round Robin', value: 'roundRobin', description: 'Each backend in turn, whatever its load' },
				{ name: 'Weighted Round Robin', value: 'weightedRoundRobin', description: 'In turn by Weight, whatever the load' },
				{ name: 'Least Connections', value: 'leastConnections', description: 'Fewest calls in flight per slot' },
				{ name: 'Least Latency', value: 'leastLatency', description: 'Lowest moving average of response time' },
			],
		},
		{
			displayName: 'Health Check Interval (Seconds)',
			name: 'healthInterval',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: balancing('healthInterval') as number,
			description: 'How often every backend is probed (GET /api/ps); 0 turns probes off',
		},
		{
			displayName: 'Failures Before Circuit Opens',
			name: 'failureThreshold',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: balancing('failureThreshold') as number,
			description: 'How many failed calls in a row take a backend out of the rotation (its circuit opens): it gets no calls until the Circuit Cooldown has passed and one trial call succeeds',
		},
		{
			displayName: 'Circuit Cooldown (Seconds)',
			name: 'cooldown',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: balancing('cooldown') as number,
			description: 'How long a backend taken out of the rotation waits before one trial call is sent to it; if the trial fails, the next wait is twice as long',
		},
		{
			displayName: 'Failover Retries',
			name: 'failoverRetries',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: balancing('failoverRetries') as number,
			description: 'Attempts on other backends after a call fails before its answer',
		},
		{
			displayName: 'Look-Ahead',
			name: 'lookAhead',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: balancing('lookAhead') as number,
			description: 'How many calls are sent to a backend beyond its Parallel Slots, to wait in its own queue, so a slot that frees up starts the next call at once instead of after a round trip. 0: only as many as its slots.',
		},
		{
			displayName: 'Pull Missing Models',
			name: 'pullMissing',
			type: 'boolean',
			default: balancing('pullMissing') as boolean,
			description: 'Whether to pull a model on a backend that answered 404 for it (other backends serve meanwhile)',
		},
		{
			displayName: 'Hedge Slow Calls',
			name: 'hedging',
			type: 'boolean',
			default: balancing('hedging') as boolean,
			description:
				'Whether a call without tools whose first token is late (3x that backend\'s recent p99 for a loaded model) gets a second copy on another backend; the first answer is used, the other copy cancelled. At most 5 % extra requests.',
		},
		// Saved by 0.1 (collections the form could not render); kept so those values still apply.
		{ displayName: 'Timeouts (0.1)', name: TIMEOUT_FIELDS.collection, type: 'hidden', default: {} },
		{ displayName: 'Load Balancing (0.1)', name: LOAD_BALANCING_FIELDS.collection, type: 'hidden', default: {} },
	];
}
