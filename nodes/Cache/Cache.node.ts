import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { sharedKeyValueCache } from '../../lib/cache';
import type { Gateway } from '../../lib/gateway';
import { cacheLayersFor } from '../shared/cache-layers';
import { agentTeamRedisApiTest, ollamaClusterApiTest } from '../shared/credential-tests';
import { gatewayForNode } from '../shared/gateway-for-node';
import { fieldError } from '../shared/node-error';
import { getModels } from '../shared/load-options';
import { runItemsConcurrently } from '../shared/run-items';
import { CACHE_VERSIONS, cacheCredentials, cacheProperties, cacheSubtitle } from './description';
import { readKey, readOptions, semanticKey } from './helpers/read-key';

export class Cache implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Cache',
		name: 'cache',
		icon: { light: 'file:cache.svg', dark: 'file:cache.dark.svg' },
		group: ['transform'],
		version: CACHE_VERSIONS,
		defaultVersion: CACHE_VERSIONS[CACHE_VERSIONS.length - 1],
		subtitle: cacheSubtitle,
		description: 'Exact and semantic cache for any JSON (e.g. LLM answers): memory here, Redis shared by all workers',
		defaults: { name: 'Cache' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		// Lookup sends items to hit or miss; the other operations only use the first output.
		outputs: `={{ $parameter["operation"] === "lookup" ? [{ type: "main", displayName: "Hit" }, { type: "main", displayName: "Miss" }] : [{ type: "main" }] }}`,
		credentials: cacheCredentials,
		properties: cacheProperties,
	};

	methods = { loadOptions: { getModels }, credentialTest: { ollamaClusterApiTest, agentTeamRedisApiTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as string;
		const cache = sharedKeyValueCache();
		const layers = await cacheLayersFor(this);
		const items = this.getInputData();
		const gateway = async (): Promise<Gateway | undefined> => ((await this.getCredentials('ollamaClusterApi').catch(() => undefined)) ? await gatewayForNode(this) : undefined);

		if (operation === 'stats') {
			const cluster = await gateway();
			const json: IDataObject = { cache: cache.stats() as unknown as IDataObject };
			if (cluster) json.agentCache = cluster.cache.stats() as unknown as IDataObject;
			return [[{ json, pairedItem: items.map((_item, item) => ({ item })) }]];
		}

		if (operation === 'invalidate') {
			const output = await runItemsConcurrently(this, async (itemIndex) => {
				const warnings: string[] = [];
				const target = this.getNodeParameter('target', itemIndex, 'key') as string;
				const namespace = String(this.getNodeParameter('namespace', itemIndex, '') ?? '');
				if (target === 'model') {
					const model = String(this.getNodeParameter('model', itemIndex, '') ?? '').trim();
					if (!model) throw fieldError(this.getNode(), itemIndex, 'Model Name or ID', 'is empty');
					const cluster = await gateway();
					if (!cluster) throw new NodeOperationError(this.getNode(), `Item ${itemIndex}: invalidating a model's answers needs the Ollama Cluster credential`, { itemIndex });
					const result = await cluster.cache.invalidate({ namespace, model }, layers);
					return { ...items[itemIndex].json, invalidated: result.removed, ...(result.warnings.length ? { warnings: result.warnings } : {}) };
				}
				const keyValue = target === 'key' ? readKey(this, itemIndex, 'invalidateKey').keyValue : undefined;
				const olderThanSeconds = target === 'age' ? Number(this.getNodeParameter('olderThan', itemIndex, 0)) : undefined;
				const removed = await cache.invalidate({ namespace, keyValue, olderThanSeconds }, layers, warnings);
				return { ...items[itemIndex].json, invalidated: removed, ...(warnings.length ? { warnings } : {}) };
			});
			return [output];
		}

		const cluster = items.some((_item, i) => readOptions(this, i).semantic) ? await gateway() : undefined;
		const hits = new Set<number>();
		const output = await runItemsConcurrently(this, async (itemIndex, signal) => {
			const warnings: string[] = [];
			const input = items[itemIndex].json;
			const options = readOptions(this, itemIndex);
			if (options.skip) return operation === 'lookup' ? { ...input, cacheHit: false, cacheSkipped: true } : { ...input, cacheStored: false };
			const { keyValue, namespace } = readKey(this, itemIndex);
			const semantic = await semanticKey(cluster, keyValue, namespace, options, signal, this, itemIndex);
			const withWarnings = (json: IDataObject) => (warnings.length ? { ...json, cacheWarnings: warnings } : json);

			if (operation === 'store') {
				const value = this.getNodeParameter('valueSource', itemIndex, 'item') === 'item' ? input : (this.getNodeParameter('value', itemIndex, null) as unknown);
				await cache.store(namespace, keyValue, value, options.ttl, layers, warnings, semantic);
				return withWarnings({ ...input, cacheStored: true });
			}

			const hit = await cache.lookup(namespace, keyValue, layers, warnings, semantic);
			if (!hit) return withWarnings({ ...input, cacheHit: false });
			hits.add(itemIndex);
			const payload = hit.value && typeof hit.value === 'object' && !Array.isArray(hit.value) ? (hit.value as IDataObject) : { value: hit.value as IDataObject };
			return withWarnings({ ...payload, cacheHit: true, cacheLayer: hit.layer, ...(hit.similarity !== undefined ? { similarity: hit.similarity } : {}) });
		});

		if (operation !== 'lookup') return [output];
		// errors (continueOnFail) go down the miss branch, which is where the work happens
		return [output.filter((_item, i) => hits.has(i)), output.filter((_item, i) => !hits.has(i))];
	}
}
