import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { DynamicBatcher, type MemberOutcome } from '../../../lib/batching';
import { fieldError } from '../../shared/node-error';
import type { Gateway, GatewayChatResult } from '../../../lib/gateway';
import type { ChatRequest, Message } from '../../../lib/ollama';
import { runItemsConcurrently } from '../../shared/run-items';
import { round } from './embed';
import { readBatchingSettings, requiredText } from './read-options';

interface Job {
	request: ChatRequest;
	signal: AbortSignal;
}

/**
 * Generate: one chat per item. Items join batches (the node's knobs); a batch is released to
 * the gateway at once, whose scheduler keeps every backend slot busy. Each item gets its own
 * reply or its own error, in input order.
 */
export async function generateItems(ctx: IExecuteFunctions, gateway: Gateway): Promise<INodeExecutionData[]> {
	const settings = readBatchingSettings(ctx);
	const { numPredict, temperature } = settings.raw;
	if (numPredict !== undefined && numPredict !== -1 && !(Number.isInteger(numPredict) && numPredict > 0)) {
		throw new NodeOperationError(ctx.getNode(), 'The "Max Tokens" option must be -1 or a positive whole number');
	}
	const options: NonNullable<ChatRequest['options']> = {};
	if (numPredict !== undefined && numPredict > 0) options.num_predict = numPredict;
	if (temperature !== undefined) options.temperature = temperature;

	const batcher = new DynamicBatcher<Job, GatewayChatResult>(async (jobs) =>
		await Promise.all(
			jobs.map(async (job): Promise<MemberOutcome<GatewayChatResult>> => {
				try {
					return { ok: true, value: await gateway.chat(job.request, { signal: job.signal, ...settings.call }) };
				} catch (error) {
					return { ok: false, error };
				}
			}),
		),
	settings.batcher);

	const legacyFields = ctx.getNode().typeVersion < 1.1;
	return await runItemsConcurrently(ctx, async (itemIndex, signal): Promise<IDataObject> => {
		const model = String(ctx.getNodeParameter('model', itemIndex, '') ?? '').trim();
		if (!model) throw fieldError(ctx.getNode(), itemIndex, 'Model Name or ID', 'is empty');
		const prompt = requiredText(ctx, 'prompt', 'Prompt', itemIndex);
		const system = String(ctx.getNodeParameter('systemPrompt', itemIndex, '') ?? '').trim();
		const messages: Message[] = system ? [{ role: 'system', content: system }] : [];
		messages.push({ role: 'user', content: prompt });
		const started = performance.now();
		const { value: r, batch } = await batcher.add({ request: { model, messages, options, keep_alive: settings.keepAlive }, signal }, signal);
		const tokenUsage = { promptTokens: r.promptEvalCount, completionTokens: r.evalCount, totalTokens: r.promptEvalCount + r.evalCount };
		return {
			// `output` and `tokenUsage` as the Team Agent writes them (n8n's token badge reads tokenUsage);
			// version 1 also keeps the names saved workflows may read.
			output: r.message.content,
			...(legacyFields ? { response: r.message.content } : {}),
			model: r.model,
			backend: r.backend,
			doneReason: r.doneReason,
			tokenUsage,
			...(legacyFields ? { usage: tokenUsage } : {}),
			timings: { totalMs: round(performance.now() - started), batchWaitMs: round(batch.waitMs), queueMs: round(r.queueMs), evalMs: round(r.evalMs) },
			batch: { id: batch.id, size: batch.size },
			retries: r.retries,
		};
	});
}
