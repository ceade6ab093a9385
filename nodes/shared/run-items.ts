import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { toItemError } from './node-error';

export type ItemWork = (itemIndex: number, signal: AbortSignal) => Promise<IDataObject>;

/**
 * Runs `work` for every input item at once (the gateway bounds how many reach Ollama) and
 * returns the items in input order, each with its pairedItem. Under continueOnFail a failed
 * item becomes an error item and the others keep their results; otherwise the first failure
 * cancels the calls still running and is thrown, naming its item.
 */
export async function runItemsConcurrently(
	ctx: IExecuteFunctions,
	work: ItemWork,
	onError?: (itemIndex: number, error: unknown) => void,
): Promise<INodeExecutionData[]> {
	const items = ctx.getInputData();
	const continueOnFail = ctx.continueOnFail();
	const controller = new AbortController();
	const cancel = ctx.getExecutionCancelSignal?.();
	const onCancel = () => controller.abort(cancel?.reason);
	if (cancel?.aborted) onCancel();
	else cancel?.addEventListener('abort', onCancel, { once: true });

	try {
		const settled = await Promise.all(
			items.map(async (_item, itemIndex): Promise<INodeExecutionData> => {
				try {
					const json = await work(itemIndex, controller.signal);
					return { json, pairedItem: { item: itemIndex } };
				} catch (error) {
					onError?.(itemIndex, error);
					const nodeError = toItemError(ctx.getNode(), error, itemIndex);
					if (continueOnFail) {
						return { json: { error: nodeError.message }, pairedItem: { item: itemIndex } };
					}
					controller.abort(nodeError);
					throw nodeError;
				}
			}),
		);
		return settled;
	} finally {
		cancel?.removeEventListener('abort', onCancel);
	}
}
