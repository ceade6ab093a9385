import type { INode, NodeOperationError } from 'n8n-workflow';

import { RequestAbortedError } from '../../../lib/ollama';
import { toItemError } from '../../shared/node-error';

/**
 * An item's error when the run's warm-up failed: the item's own error path (named item, field,
 * continueOnFail), saying that it was the warm-up. A cancelled warm-up stays a cancellation.
 */
export function warmUpError(node: INode, error: unknown, itemIndex: number): unknown {
	if (error instanceof RequestAbortedError) return error;
	const itemError: NodeOperationError = toItemError(node, error, itemIndex);
	itemError.message = itemError.message.replace(/^Item \d+: /, `Item ${itemIndex}: Warming up the model failed: `);
	itemError.description ??= 'Check the "Warm Up Model" option, or turn it off to load the model on the first item.';
	return itemError;
}
