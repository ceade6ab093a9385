import type { INode } from 'n8n-workflow';

import { BackendUnreachableError, ModelNotFoundError } from '../../lib/ollama';
import { fieldError, toItemError } from './node-error';

const node = { name: 'Team Agent', type: 'n8n-nodes-agent-team.teamAgent', typeVersion: 1, parameters: {}, id: '1', position: [0, 0] } as INode;

describe('toItemError', () => {
	it('keeps the message that names the item and the backend (n8n would swap in its generic ECONNREFUSED text)', () => {
		const error = toItemError(node, new BackendUnreachableError('gpu-7', 'ECONNREFUSED'), 2);
		expect(error.message).toBe('Item 2: Ollama backend "gpu-7" is unreachable: ECONNREFUSED');
		expect(error.description).toMatch(/refused the connection/);
	});

	it('names the field to check', () => {
		const error = toItemError(node, new ModelNotFoundError('gpu-7', 'x:1b', 'not found'), 0);
		expect(error.message).toMatch(/^Item 0: Model "x:1b" is not available on Ollama backend "gpu-7"/);
		expect(error.description).toMatch(/^Pick a model the server lists in "Model Name or ID", or pull it there \(ollama pull x:1b\)/);
	});
});

describe('fieldError', () => {
	it('names the item and the field as the editor labels it, and keeps the item index for n8n', () => {
		const error = fieldError(node, 3, 'Max Tokens', 'must be -1 or a positive whole number', 'Leave it at -1 for no limit.');
		expect(error.message).toBe('Item 3: the "Max Tokens" parameter must be -1 or a positive whole number');
		expect(error.description).toBe('Leave it at -1 for no limit.');
		expect(error.context.itemIndex).toBe(3);
	});
});
