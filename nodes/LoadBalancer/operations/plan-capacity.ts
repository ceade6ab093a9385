import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { backendFacts, planCapacity, type CapacityPlan } from '../../../lib/capacity';
import type { Gateway } from '../../../lib/gateway';
import { processMetrics } from '../../../lib/metrics';
import { fieldError } from '../../shared/node-error';

const on = { show: { operation: ['planCapacity'] } };

export const planCapacityProperties: INodeProperties[] = [
	{
		displayName: 'Model Name or ID',
		name: 'capacityModel',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getModels' },
		default: 'llama3.1:8b',
		required: true,
		displayOptions: on,
		description:
			'The model to plan for: its architecture comes from /api/show on each backend. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	},
	{
		displayName: 'Backends',
		name: 'capacityBackends',
		type: 'string',
		default: '',
		placeholder: 'e.g. gpu-1, gpu-2',
		displayOptions: on,
		description: 'Names of the backends to plan, comma-separated. Empty: all.',
	},
	{
		displayName: 'Longest Calls (Tokens)',
		name: 'longestCallTokens',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		displayOptions: on,
		description: "Prompt + reply tokens the context must hold (the workload's p95). 0 = from the gateway's metrics of this model (4096 when it has none yet).",
	},
	{
		displayName: 'Concurrent Calls',
		name: 'concurrentCalls',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		displayOptions: on,
		description: "Calls for this model at once the backend should serve. 0 = from the gateway: its slots now plus the most calls that waited in its queue (4 when it has seen none).",
	},
];

/** Plan Capacity for one item: per backend, the memory of each configuration and the settings that fit. */
export async function planCapacityForItem(ctx: IExecuteFunctions, gateway: Gateway, itemIndex: number, signal: AbortSignal): Promise<IDataObject> {
	const fail = (field: string, problem: string) => fieldError(ctx.getNode(), itemIndex, field, problem);
	const model = String(ctx.getNodeParameter('capacityModel', itemIndex, '')).trim();
	if (!model) throw fail('Model Name or ID', 'is empty');
	const names = String(ctx.getNodeParameter('capacityBackends', itemIndex, ''))
		.split(',')
		.map((n) => n.trim())
		.filter(Boolean);
	const known = gateway.backends.map((b) => b.name);
	const unknown = names.filter((n) => !known.includes(n));
	if (unknown.length) throw fail('Backends', `names ${unknown.map((n) => `"${n}"`).join(', ')}, which the credential does not list (it has ${known.join(', ')})`);
	const longest = Number(ctx.getNodeParameter('longestCallTokens', itemIndex, 0));
	const concurrent = Number(ctx.getNodeParameter('concurrentCalls', itemIndex, 0));

	const tokens = processMetrics().tokenPercentiles(model);
	const maxWaiting = processMetrics().snapshot().queue?.maxWaiting ?? 0;
	const backends = gateway.backends.filter((b) => names.length === 0 || names.includes(b.name));
	const plans = await Promise.all(
		backends.map(async (transport): Promise<IDataObject> => {
			const request = async (method: 'GET' | 'POST', path: string, body?: unknown) => await gateway.balancer.http.send(transport.backend, method, path, body, 30_000, signal);
			let facts;
			try {
				facts = await backendFacts(request, model);
			} catch (error) {
				return { backend: transport.name, model, error: (error as Error).message };
			}
			const stated = gateway.gpuMemoryBytes[transport.name];
			const gpuMemoryBytes = stated ?? facts.gpuMemoryFromPs;
			if (!gpuMemoryBytes) {
				return { backend: transport.name, model, error: 'GPU memory unknown: set GPU Memory (GiB) on this backend in the Ollama Cluster credential, or load a model fully on its GPU so /api/ps shows it' };
			}
			const slotsNow = gateway.balancer.slots(transport.name, model);
			const workload = {
				p95Tokens: longest > 0 ? longest : (tokens.p95 ?? undefined),
				concurrency: concurrent > 0 ? concurrent : tokens.samples > 0 ? slotsNow + maxWaiting : undefined,
			};
			const plan: CapacityPlan = planCapacity({ backend: transport.name, model, spec: facts.spec, gpuMemoryBytes, weightsBytes: facts.weightsBytes, workload });
			return {
				...(plan as unknown as IDataObject),
				gpuMemorySource: stated ? 'credential' : 'api/ps (at least: models loaded fully on the GPU)',
				workload: { p95Tokens: workload.p95Tokens ?? null, concurrency: workload.concurrency ?? null, samples: tokens.samples, source: longest > 0 || concurrent > 0 ? 'parameters' : 'gateway metrics' },
				loadedNow: facts.loaded ? { size: facts.loaded.size, sizeVram: facts.loaded.sizeVram, contextLength: facts.loaded.contextLength ?? null, spilled: !facts.loaded.fullyOnGpu } : null,
				architecture: { ...facts.spec },
			};
		}),
	);
	return { model, backends: plans };
}
