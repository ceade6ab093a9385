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
	// One controller per item, not one shared signal: every call of an item listens on its
	// signal, so a shared one would gather a listener per call in flight (Node warns past 10).
	const controllers = items.map(() => new AbortController());
	const abortAll = (reason: unknown) => {
		for (const controller of controllers) controller.abort(reason);
	};
	const cancel = ctx.getExecutionCancelSignal?.();
	const onCancel = () => abortAll(cancel?.reason);
	if (cancel?.aborted) onCancel();
	else cancel?.addEventListener('abort', onCancel, { once: true });

	try {
		const settled = await Promise.all(
			items.map(async (_item, itemIndex): Promise<INodeExecutionData> => {
				try {
					const json = await work(itemIndex, controllers[itemIndex].signal);
					return { json, pairedItem: { item: itemIndex } };
				} catch (error) {
					onError?.(itemIndex, error);
					const nodeError = toItemError(ctx.getNode(), error, itemIndex);
					if (continueOnFail) {
						return { json: { error: nodeError.message }, pairedItem: { item: itemIndex } };
					}
					abortAll(nodeError);
					throw nodeError;
				}
			}),
		);
		return settled;
	} finally {
		cancel?.removeEventListener('abort', onCancel);
	}
}
