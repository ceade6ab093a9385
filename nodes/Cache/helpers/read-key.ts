import type { IExecuteFunctions } from 'n8n-workflow';

import type { Gateway } from '../../../lib/gateway';
import type { SemanticKey } from '../../../lib/cache';
import { fieldError } from '../../shared/node-error';

export interface CacheItemOptions {
	ttl?: number;
	semantic?: boolean;
	threshold?: number;
	embedModel?: string;
	skip?: boolean;
}

const fail = (ctx: IExecuteFunctions, itemIndex: number, field: string, message: string) => fieldError(ctx.getNode(), itemIndex, field, message);

/** The item's key value (any JSON) and namespace; errors name the item and the field. */
export function readKey(ctx: IExecuteFunctions, itemIndex: number, field = 'key'): { keyValue: unknown; namespace: string } {
	const keyValue = ctx.getNodeParameter(field, itemIndex, '') as unknown;
	if (keyValue === undefined || keyValue === null || (typeof keyValue === 'string' && !keyValue.trim())) {
		throw fail(ctx, itemIndex, 'Key', 'is empty: set it to the value entries are found by (e.g. {{ $json.prompt }})');
	}
	const namespace = String(ctx.getNodeParameter('namespace', itemIndex, '') ?? '').trim();
	if (!namespace) throw fail(ctx, itemIndex, 'Namespace', 'is empty');
	return { keyValue, namespace };
}

export function readOptions(ctx: IExecuteFunctions, itemIndex: number): CacheItemOptions {
	const options = ctx.getNodeParameter('options', itemIndex, {}) as CacheItemOptions;
	if (options.threshold !== undefined && !(options.threshold > 0 && options.threshold <= 1)) throw fail(ctx, itemIndex, 'Similarity Threshold', `must be above 0 and at most 1, got ${options.threshold}`);
	return options;
}

/** The key's text and embedding (through the gateway, cached there per text) for a semantic lookup or store. */
export async function semanticKey(gateway: Gateway | undefined, keyValue: unknown, namespace: string, options: CacheItemOptions, signal: AbortSignal, ctx: IExecuteFunctions, itemIndex: number): Promise<SemanticKey | undefined> {
	if (!options.semantic) return undefined;
	if (!gateway) throw fail(ctx, itemIndex, 'Semantic Lookup', 'needs an Ollama Cluster credential (to embed the key)');
	const text = typeof keyValue === 'string' ? keyValue : JSON.stringify(keyValue);
	const embedModel = options.embedModel?.trim() || 'nomic-embed-text';
	const result = await gateway.embed({ model: embedModel, input: text }, { signal, hints: { cache: { mode: 'exact', namespace } } });
	return { text, vector: result.embeddings[0], embedModel, threshold: options.threshold ?? 0.95 };
}
