import { NodeOperationError, type INode } from 'n8n-workflow';

/** Which node parameter each library error is about, so the message can name it. */
const FIELD_OF_ERROR: Record<string, string> = {
	ContextOverflowError: 'Prompt',
	InvalidSchemaError: 'JSON Schema',
	OutputValidationError: 'Output Format',
	MalformedToolOutputError: 'Tools',
	MaxIterationsError: 'Max Tool Iterations',
	ModelNotFoundError: 'Model',
};

/** A NodeOperationError naming the item (and the field, when one is to blame). */
export function toItemError(node: INode, error: unknown, itemIndex: number): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	const name = (error as Error)?.name ?? '';
	const message = (error as Error)?.message ?? String(error);
	const field = FIELD_OF_ERROR[name];
	const text = `Item ${itemIndex}: ${message}`;
	const itemError = new NodeOperationError(node, text, {
		itemIndex,
		description: field ? `Check the "${field}" parameter.` : undefined,
	});
	// n8n swaps a message that mentions ECONNREFUSED, ENOTFOUND … for a generic sentence, losing the
	// item and the backend's name: keep ours, and its sentence as the description.
	if (itemError.message !== text) {
		itemError.description = [itemError.description, itemError.message].filter(Boolean).join(' ');
		itemError.message = text;
	}
	return itemError;
}
