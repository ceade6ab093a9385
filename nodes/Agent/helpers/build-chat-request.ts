import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import type { ChatRequest } from '../../../lib/ollama';
import { ROLE_PROMPTS, type Role } from '../roles';

interface AgentOptions {
	numCtx?: number;
	jsonOutput?: boolean;
	keepAlive?: string;
	numPredict?: number;
	seed?: number;
	temperature?: number;
}

/** Reads the node's parameters for one item and turns them into an Ollama chat request. */
export function buildChatRequest(ctx: IExecuteFunctions, itemIndex: number): ChatRequest {
	const fail = (message: string, description?: string) =>
		new NodeOperationError(ctx.getNode(), message, { itemIndex, description });

	const model = String(ctx.getNodeParameter('model', itemIndex, '') ?? '').trim();
	if (!model) throw fail(`Item ${itemIndex}: the "Model" parameter is empty`);

	const role = ctx.getNodeParameter('role', itemIndex, 'custom') as Role;
	if (!(role in ROLE_PROMPTS)) throw fail(`Item ${itemIndex}: unknown role "${String(role)}" in the "Role" parameter`);
	const systemField = role === 'custom' ? 'systemPrompt' : `systemPrompt_${role}`;
	const system = String(ctx.getNodeParameter(systemField, itemIndex, ROLE_PROMPTS[role]) ?? '');

	const rawPrompt = ctx.getNodeParameter('prompt', itemIndex, '');
	const prompt = typeof rawPrompt === 'string' ? rawPrompt : rawPrompt == null ? '' : JSON.stringify(rawPrompt);
	if (!prompt.trim()) {
		throw fail(
			`Item ${itemIndex}: the "Prompt" parameter is empty`,
			'By default the prompt is the item\'s "chatInput", "text" or "prompt" field; set the Prompt parameter to an expression that points at your text.',
		);
	}

	const options = ctx.getNodeParameter('options', itemIndex, {}) as AgentOptions;
	const ollamaOptions: NonNullable<ChatRequest['options']> = {};
	if (options.temperature !== undefined) ollamaOptions.temperature = Number(options.temperature);
	if (options.seed) ollamaOptions.seed = Number(options.seed);
	if (options.numCtx) {
		if (!Number.isInteger(options.numCtx) || options.numCtx < 0) {
			throw fail(`Item ${itemIndex}: "Context Window" must be a positive whole number`);
		}
		ollamaOptions.num_ctx = options.numCtx;
	}
	if (options.numPredict !== undefined && options.numPredict !== -1) {
		if (!Number.isInteger(options.numPredict) || options.numPredict < 1) {
			throw fail(`Item ${itemIndex}: "Max Tokens" must be -1 or a positive whole number`);
		}
		ollamaOptions.num_predict = options.numPredict;
	}

	const request: ChatRequest = {
		model,
		messages: [
			...(system.trim() ? [{ role: 'system', content: system }] : []),
			{ role: 'user', content: prompt },
		],
		options: ollamaOptions,
	};
	if (options.jsonOutput) request.format = 'json';
	if (options.keepAlive !== undefined && String(options.keepAlive).trim() !== '') {
		const keepAlive = String(options.keepAlive).trim();
		request.keep_alive = /^-?\d+$/.test(keepAlive) ? Number(keepAlive) : keepAlive;
	}
	return request;
}
