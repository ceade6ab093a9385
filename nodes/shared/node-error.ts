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
	return new NodeOperationError(node, `Item ${itemIndex}: ${message}`, {
		itemIndex,
		description: field ? `Check the "${field}" parameter.` : undefined,
	});
}
