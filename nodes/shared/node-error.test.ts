import type { INode } from 'n8n-workflow';

import { BackendUnreachableError, ModelNotFoundError } from '../../lib/ollama';
import { toItemError } from './node-error';

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
