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

/**
 * The error for a parameter a user set wrongly: names the item and the field as the editor labels
 * it (`Item 3: the "Max Tokens" parameter must be …`). Every node builds these through here, so the
 * wording is the same everywhere.
 */
export function fieldError(node: INode, itemIndex: number, field: string, problem: string, description?: string): NodeOperationError {
	return new NodeOperationError(node, `Item ${itemIndex}: the "${field}" parameter ${problem}`, { itemIndex, description });
}

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
