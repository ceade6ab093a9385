import type { INodeCredentialDescription, INodeProperties } from 'n8n-workflow';

import { metricsProperties } from './operations/metrics';
import { planCapacityProperties } from './operations/plan-capacity';

const on = (...operation: string[]) => ({ show: { operation } });

export const loadBalancerSubtitle =
	'={{ {"selectBackend": "Select Backend", "health": "Health", "warmUp": "Warm Up", "sendRequest": "Send Request", "metrics": "Metrics", "planCapacity": "Plan Capacity"}[$parameter["operation"]] }}';

export const loadBalancerCredentials: INodeCredentialDescription[] = [
	{ name: 'ollamaClusterApi', displayName: 'Ollama Servers', required: true, testedBy: 'ollamaClusterApiTest' },
	{ name: 'agentTeamRedisApi', displayName: 'Redis (Optional)', required: false, testedBy: 'agentTeamRedisApiTest' },
];

export const loadBalancerProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Health', value: 'health', action: 'Report the health of every backend', description: 'Per backend: up or down, circuit, loaded models, in flight, slots, latency, error rate' },
			{ name: 'Metrics', value: 'metrics', action: 'Export the gateway metrics', description: 'Calls, errors by kind, tokens, latency, queue, cache hits per layer, backend health, circuits, slots and loaded models, in Prometheus text format or JSON' },
			{ name: 'Plan Capacity', value: 'planCapacity', action: 'Plan the capacity of the backends', description: 'Per backend: memory of weights and KV cache at each KV type, slots that fit, and the quantisation, num_ctx, OLLAMA_NUM_PARALLEL, KV cache type and flash attention to set' },
			{ name: 'Select Backend', value: 'selectBackend', action: 'Select the backend for an item', description: 'The backend the balancer would send this item to: name and base URL, for other nodes such as HTTP Request' },
			{ name: 'Send Request', value: 'sendRequest', action: 'Send a request through the balancer', description: 'Any Ollama API call through the balancer, with failover' },
			{ name: 'Warm Up', value: 'warmUp', action: 'Load a model on the backends', description: 'Load a model on every backend (or the ones named) so the first calls pay no load time' },
		],
		default: 'selectBackend',
	},
	{
		displayName: 'Model Name or ID',
		name: 'model',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getModels' },
		default: 'llama3.2:3b',
		required: true,
		displayOptions: on('selectBackend', 'warmUp'),
		description: 'The model the item will use: backends where it is loaded are preferred, backends without it are skipped. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	},
	{
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		displayOptions: on('selectBackend'),
		description: 'Optional: the prompt the item will send, so a backend that already holds its prefix in its prompt cache is preferred',
	},
	{
		displayName: 'Backends',
		name: 'backends',
		type: 'string',
		default: '',
		placeholder: 'e.g. gpu-1, gpu-2',
		displayOptions: on('warmUp'),
		description: 'Names of the backends to warm up, comma-separated. Empty: all.',
	},
	{
		displayName: 'Keep Alive',
		name: 'keepAlive',
		type: 'string',
		default: '30m',
		displayOptions: on('warmUp'),
		description: 'How long the model stays loaded after the warm-up (e.g. 5m, 1h, -1 for ever). 30m here, not the server default of 5m, so the model is still loaded when the work comes.',
	},
	{
		displayName: 'Probe Now',
		name: 'probe',
		type: 'boolean',
		default: true,
		displayOptions: on('health'),
		description: 'Whether to probe every backend (GET /api/ps) before reporting, rather than report what the last probe and real calls showed',
	},
	{
		displayName: 'Method',
		name: 'method',
		type: 'options',
		options: [
			{ name: 'GET', value: 'GET' },
			{ name: 'POST', value: 'POST' },
			{ name: 'DELETE', value: 'DELETE' },
		],
		default: 'POST',
		description: 'HTTP method of the Ollama API call',
		displayOptions: on('sendRequest'),
	},
	{
		displayName: 'Path',
		name: 'path',
		type: 'string',
		default: '/api/chat',
		placeholder: '/api/show',
		displayOptions: on('sendRequest'),
		description: 'Ollama API path. /api/chat and /api/embed go through the gateway\'s queue, slots and failover (not its response cache); other paths to the backend the balancer picks for the body\'s model.',
	},
	{
		displayName: 'Body (JSON)',
		name: 'body',
		type: 'json',
		default: '{\n  "model": "llama3.2:3b",\n  "messages": [{ "role": "user", "content": "Hello" }]\n}',
		displayOptions: { show: { operation: ['sendRequest'], method: ['POST', 'DELETE'] } },
		description: 'The request body as Ollama\'s API documents it; its "model" picks the backend',
	},
	{
		displayName: 'Timeout (Seconds)',
		name: 'timeout',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 300,
		displayOptions: on('sendRequest'),
		description: 'For paths other than chat and embed (those use the credential\'s timeouts). 0 = none.',
	},
	...metricsProperties,
	...planCapacityProperties,
];
