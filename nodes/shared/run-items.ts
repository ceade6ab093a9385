import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { toItemError } from './node-error';

export type ItemWork = (itemIndex: number, signal: AbortSignal) => Promise<IDataObject>;

export interface RunItemsOptions {
	/** Called for each item that fails, before it becomes an error item or is thrown. */
	onError?: (itemIndex: number, error: unknown) => void;
	/**
	 * Most items started and not yet finished (default: all at once). Items are prepared on the
	 * event loop (parameters, expressions, token counting): 2,000 started at once held it for
	 * hundreds of ms while the first replies waited and the backend's slots idled. A window a few
	 * times the cluster's slots keeps the gateway queue fed and lets replies in between.
	 */
	window?: number;
}

/**
 * The window for nodes whose items each make a few gateway calls: four times what the cluster runs
 * at once (at least 32), enough started ahead to keep every slot's queue fed, few enough to let
 * replies in between.
 */
export function itemWindowFor(gateway: { maxInFlight: number }): number {
	return Math.max(32, 4 * gateway.maxInFlight);
}

/**
 * Runs `work` for the input items concurrently (the gateway bounds how many reach Ollama; the
 * window, when set, how many are started ahead) and returns the items in input order, each with
 * its pairedItem. Under continueOnFail a failed item becomes an error item and the others keep
 * their results; otherwise the first failure cancels the calls still running, starts no more,
 * and is thrown, naming its item.
 */
export async function runItemsConcurrently(ctx: IExecuteFunctions, work: ItemWork, options: RunItemsOptions = {}): Promise<INodeExecutionData[]> {
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

	const runItem = async (itemIndex: number): Promise<INodeExecutionData> => {
		try {
			const json = await work(itemIndex, controllers[itemIndex].signal);
			return { json, pairedItem: { item: itemIndex } };
		} catch (error) {
			options.onError?.(itemIndex, error);
			const nodeError = toItemError(ctx.getNode(), error, itemIndex);
			if (continueOnFail) {
				return { json: { error: nodeError.message }, pairedItem: { item: itemIndex } };
			}
			abortAll(nodeError);
			throw nodeError;
		}
	};

	try {
		const window = options.window && options.window > 0 ? Math.min(options.window, items.length) : items.length;
		// `window` lanes (all items at once without one), each taking the next item when its last one
		// ends (a hand-written pool: it is these few lines, and p-limit is ESM-only, which n8n's
		// CommonJS loader cannot require)
		const output = new Array<INodeExecutionData>(items.length);
		let next = 0;
		let failed = false;
		const lane = async () => {
			while (next < items.length && !failed) {
				const itemIndex = next++;
				output[itemIndex] = await runItem(itemIndex).catch((error: unknown) => {
					failed = true;
					throw error;
				});
			}
		};
		await Promise.all(Array.from({ length: window }, lane));
		return output;
	} finally {
		cancel?.removeEventListener('abort', onCancel);
	}
}
