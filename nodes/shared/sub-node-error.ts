import { NodeApiError, type ISupplyDataFunctions, type JsonObject } from 'n8n-workflow';

/**
 * A sub-node's failed call in n8n's usual form (what n8n's failed-attempt handler makes of its
 * own chat models' errors): a NodeApiError of functionality "configuration-node", so the editor
 * shows it on the sub-node and the root node's Continue On Fail applies.
 * Only the library error's message, name and retry hint are handed to NodeApiError, never the
 * error itself: NodeApiError digs a description out of nested causes (undici's "connect
 * ECONNREFUSED <host:port>" would show the backend's address) and swaps a message for a generic
 * one by its code (ECONNREFUSED, a 404), losing the backend's name.
 */
export function subNodeError(ctx: ISupplyDataFunctions, error: unknown): NodeApiError {
	if (error instanceof NodeApiError) return error;
	const message = (error as Error)?.message ?? String(error);
	const name = (error as Error)?.name ?? 'Error';
	const nodeError = new NodeApiError(ctx.getNode(), { name, message } as JsonObject, { message, functionality: 'configuration-node' });
	nodeError.message = message;
	return nodeError;
}
