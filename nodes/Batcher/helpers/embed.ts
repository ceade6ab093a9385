import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { DynamicBatcher, isInputError, type MemberOutcome } from '../../../lib/batching';
import { fieldError } from '../../shared/node-error';
import type { Gateway, GatewayEmbedResult } from '../../../lib/gateway';
import { runItemsConcurrently } from '../../shared/run-items';
import { readBatchingSettings, requiredText } from './read-options';

/** An item's texts: a string, or an array of strings (from an expression). */
function textsOf(ctx: IExecuteFunctions, itemIndex: number): { texts: string[]; single: boolean } {
	const value = ctx.getNodeParameter('text', itemIndex, '') as unknown;
	if (Array.isArray(value)) {
		const bad = value.findIndex((v) => typeof v !== 'string' || !v.trim());
		if (value.length === 0 || bad >= 0) {
			throw fieldError(ctx.getNode(), itemIndex, 'Text', `must be a text or a list of non-empty texts${bad >= 0 ? ` (entry ${bad} is not)` : ''}`);
		}
		return { texts: value as string[], single: false };
	}
	return { texts: [requiredText(ctx, 'text', 'Text', itemIndex)], single: true };
}

/**
 * Embed: each item's text(s) join a batch (the node's knobs); a batch is one gateway embed
 * call, which the gateway coalesces further with other nodes and executions.
 */
export async function embedItems(ctx: IExecuteFunctions, gateway: Gateway): Promise<INodeExecutionData[]> {
	const settings = readBatchingSettings(ctx);
	const model = String(ctx.getNodeParameter('embedModel', 0, '') ?? '').trim();
	if (!model) throw new NodeOperationError(ctx.getNode(), 'The "Model Name or ID" parameter is empty');
	const outputField = String(ctx.getNodeParameter('outputField', 0, 'embedding') ?? '').trim() || 'embedding';
	const { dimensions, truncate } = settings.raw;

	const batcher = new DynamicBatcher<string[], { embeddings: number[][]; result: GatewayEmbedResult }>(async (members, _batch, signal) => {
		const input = members.flat();
		const result = await gateway.embed(
			{ model, input, truncate, dimensions: dimensions || undefined, keep_alive: settings.keepAlive },
			{ signal, ...settings.call },
		);
		let at = 0;
		return members.map((texts): MemberOutcome<{ embeddings: number[][]; result: GatewayEmbedResult }> => {
			const embeddings = result.embeddings.slice(at, (at += texts.length));
			return { ok: true, value: { embeddings, result } };
		});
	}, { ...settings.batcher, isolate: isInputError, sizeOf: (texts) => texts.length }); // the knobs count texts: an item may hold many

	return await runItemsConcurrently(ctx, async (itemIndex, signal): Promise<IDataObject> => {
		const { texts, single } = textsOf(ctx, itemIndex);
		const started = performance.now();
		const { value, batch } = await batcher.add(texts, signal);
		const { result } = value;
		return {
			...ctx.getInputData()[itemIndex].json,
			[outputField]: single ? value.embeddings[0] : value.embeddings,
			batching: {
				model: result.model,
				backend: result.backend,
				batch: { id: batch.id, size: batch.size, waitMs: round(batch.waitMs) },
				queueMs: round(result.queueMs),
				totalMs: round(performance.now() - started),
			},
		};
	});
}

export const round = (ms: number) => Math.round(ms * 10) / 10;
