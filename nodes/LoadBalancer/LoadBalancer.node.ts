import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { publicBaseUrl, sendApiRequest } from '../../lib/balancer';
import type { Gateway } from '../../lib/gateway';
import type { ChatRequest, EmbedRequest } from '../../lib/ollama';
import { newTrace, type Call } from '../../lib/pipeline';
import { agentTeamRedisApiTest, ollamaClusterApiTest } from '../shared/credential-tests';
import { gatewayForNode } from '../shared/gateway-for-node';
import { getModels } from '../shared/load-options';
import { parseKeepAlive } from '../../lib/ollama/keep-alive';
import { fieldError, toItemError } from '../shared/node-error';
import { itemWindowFor, runItemsConcurrently } from '../shared/run-items';
import { loadBalancerCredentials, loadBalancerProperties, loadBalancerSubtitle } from './description';
import { executeMetrics } from './operations/metrics';
import { planCapacityForItem } from './operations/plan-capacity';

type Work = (ctx: IExecuteFunctions, gateway: Gateway, itemIndex: number, signal: AbortSignal) => Promise<IDataObject>;

const parameterError = (ctx: IExecuteFunctions, itemIndex: number, field: string, problem: string) => fieldError(ctx.getNode(), itemIndex, field, problem);

function modelOf(ctx: IExecuteFunctions, itemIndex: number): string {
	const model = String(ctx.getNodeParameter('model', itemIndex, '')).trim();
	if (!model) throw parameterError(ctx, itemIndex, 'Model Name or ID', 'is empty');
	return model;
}

/** Where the balancer would send this item now (no slot is taken). */
const selectBackend: Work = async (ctx, gateway, itemIndex) => {
	const model = modelOf(ctx, itemIndex);
	const prompt = String(ctx.getNodeParameter('prompt', itemIndex, ''));
	const call: Call = { kind: 'chat', request: { model, messages: prompt ? [{ role: 'user', content: prompt }] : [] }, options: {}, trace: newTrace() };
	const backend = gateway.balancer.select(call);
	if (!backend) throw new NodeOperationError(ctx.getNode(), `Item ${itemIndex}: no backend of the cluster is available for model "${model}"`, { itemIndex });
	return {
		backend: backend.name,
		baseUrl: publicBaseUrl(backend.backend.baseUrl),
		model,
		strategy: gateway.balancer.strategy,
		inFlight: gateway.balancer.inFlight(backend.name),
		slots: gateway.balancer.slots(backend.name, model),
	};
};

const warmUp: Work = async (ctx, gateway, itemIndex, signal) => {
	const model = modelOf(ctx, itemIndex);
	const names = String(ctx.getNodeParameter('backends', itemIndex, ''))
		.split(',')
		.map((n) => n.trim())
		.filter(Boolean);
	const known = gateway.backends.map((b) => b.name);
	const unknown = names.filter((n) => !known.includes(n));
	if (unknown.length) throw parameterError(ctx, itemIndex, 'Backends', `names ${unknown.map((n) => `"${n}"`).join(', ')}, which the credential does not list (it has ${known.join(', ')})`);
	const keepAlive = parseKeepAlive(ctx.getNodeParameter('keepAlive', itemIndex, ''));
	const results = await gateway.warmUp({ model, keep_alive: keepAlive }, { signal }, names.length ? names : undefined);
	return { model, backends: results.map((r) => ({ backend: r.backend, loadMs: r.loadMs, totalMs: r.latencyMs })) };
};

const sendRequest: Work = async (ctx, gateway, itemIndex, signal) => {
	const method = ctx.getNodeParameter('method', itemIndex) as 'GET' | 'POST' | 'DELETE';
	const path = `/${String(ctx.getNodeParameter('path', itemIndex, '')).trim().replace(/^\/+/, '')}`;
	let body: Record<string, unknown> | undefined;
	if (method !== 'GET') {
		const raw = ctx.getNodeParameter('body', itemIndex, '{}') as unknown;
		try {
			body = (typeof raw === 'string' ? JSON.parse(raw || '{}') : raw) as Record<string, unknown>;
		} catch (error) {
			throw parameterError(ctx, itemIndex, 'Body (JSON)', `is not valid JSON: ${(error as Error).message}`);
		}
		if (!body || typeof body !== 'object' || Array.isArray(body)) throw parameterError(ctx, itemIndex, 'Body (JSON)', 'must be a JSON object');
	}
	if (method === 'POST' && path === '/api/chat') return { ...(await gateway.chat(body as unknown as ChatRequest, { signal })) } as unknown as IDataObject;
	if (method === 'POST' && path === '/api/embed') return { ...(await gateway.embed(body as unknown as EmbedRequest, { signal })) } as unknown as IDataObject;
	const timeoutMs = Number(ctx.getNodeParameter('timeout', itemIndex, 300)) * 1000;
	let reply;
	try {
		reply = await sendApiRequest(gateway.balancer, gateway.backends, { method, path, body, timeoutMs, signal });
	} catch (error) {
		if (/not an Ollama API path/.test((error as Error).message)) throw parameterError(ctx, itemIndex, 'Path', (error as Error).message.replace(/^"[^"]*" /, ''));
		throw toItemError(ctx.getNode(), error, itemIndex);
	}
	if (reply.status >= 400) {
		const detail = (reply.body as { error?: string } | undefined)?.error ?? `HTTP ${reply.status}`;
		throw new NodeOperationError(ctx.getNode(), `Item ${itemIndex}: Ollama backend "${reply.backend}" answered ${method} ${path} with HTTP ${reply.status}: ${detail}`, { itemIndex });
	}
	return { backend: reply.backend, status: reply.status, failedOver: reply.failedOver, response: reply.body as IDataObject };
};

const perItem: Record<string, Work> = { selectBackend, warmUp, sendRequest, planCapacity: planCapacityForItem };

export class LoadBalancer implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Load Balancer',
		name: 'loadBalancer',
		icon: { light: 'file:loadBalancer.svg', dark: 'file:loadBalancer.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: loadBalancerSubtitle,
		description: 'Spread work over every Ollama server of the cluster: pick a backend, report health, warm models up, send any API call with failover',
		defaults: { name: 'Load Balancer' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: loadBalancerCredentials,
		properties: loadBalancerProperties,
	};

	methods = {
		loadOptions: { getModels },
		credentialTest: { ollamaClusterApiTest, agentTeamRedisApiTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const gateway = await gatewayForNode(this);
		const operation = this.getNodeParameter('operation', 0) as string;

		if (operation === 'health') {
			if (this.getNodeParameter('probe', 0, true)) await gateway.balancer.probe();
			const pairedItem = this.getInputData().map((_item, item) => ({ item }));
			return [gateway.balancer.health().map((health) => ({ json: health as unknown as IDataObject, pairedItem }))];
		}
		if (operation === 'metrics') return [await executeMetrics(this, gateway)];
		const work = perItem[operation];
		if (!work) throw new NodeOperationError(this.getNode(), `Unknown operation "${operation}"`);
		return [await runItemsConcurrently(this, (itemIndex, signal) => work(this, gateway, itemIndex, signal), { window: itemWindowFor(gateway) })];
	}
}
