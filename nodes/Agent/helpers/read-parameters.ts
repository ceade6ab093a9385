
import type { AgentRunInput, OutputFormat } from '../../../lib/agent';
import type { ChatRequest } from '../../../lib/ollama';
import type { ContextDocument, FitStrategy, TokenEncoding } from '../../../lib/tokens';
import type { ParameterReader } from '../../shared/constant-parameters';
import { ROLE_PROMPTS, type Role } from '../roles';
import { parseKeepAlive } from '../../../lib/ollama/keep-alive';
import { fieldError } from '../../shared/node-error';

interface AgentOptions {
	summaryItem?: boolean;
	documents?: string | unknown[];
	compact?: boolean;
	contextStrategy?: FitStrategy;
	numCtx?: number;
	historyShare?: number;
	keepAlive?: string;
	numPredict?: number;
	maxToolIterations?: number;
	seed?: number;
	summaryModel?: string;
	temperature?: number;
	encoding?: TokenEncoding;
	warmUp?: boolean;
	shareMemoryAcrossWorkflows?: boolean;
}

export function readOptions(ctx: ParameterReader, itemIndex: number): AgentOptions {
	return ctx.getNodeParameter('options', itemIndex, {}) as AgentOptions;
}

function parseJsonParameter(value: unknown): unknown {
	return typeof value === 'string' ? JSON.parse(value) : value;
}

/** Ollama's runner and sampling options from the node's options. */
export function ollamaOptions(options: AgentOptions, fail: (field: string, message: string) => Error): NonNullable<ChatRequest['options']> {
	const result: NonNullable<ChatRequest['options']> = {};
	if (options.temperature !== undefined) result.temperature = Number(options.temperature);
	if (options.seed !== undefined && Number(options.seed) >= 0) result.seed = Number(options.seed); // -1: random
	if (options.numCtx) {
		if (!Number.isInteger(options.numCtx) || options.numCtx < 0) throw fail('Context Window', 'must be a positive whole number');
		result.num_ctx = options.numCtx;
	}
	if (options.numPredict !== undefined && options.numPredict !== -1) {
		if (!Number.isInteger(options.numPredict) || options.numPredict < 1) throw fail('Max Tokens', 'must be -1 or a positive whole number');
		result.num_predict = options.numPredict;
	}
	return result;
}

export const keepAliveOf = (options: AgentOptions): string | number | undefined => parseKeepAlive(options.keepAlive);

/** Reads and checks the node's parameters for one item; errors name the item and the field. */
export function readAgentInput(ctx: ParameterReader, itemIndex: number): AgentRunInput {
	const fail = (field: string, message: string, description?: string) => fieldError(ctx.getNode(), itemIndex, field, message, description);

	const model = String(ctx.getNodeParameter('model', itemIndex, '') ?? '').trim();
	if (!model) throw fail('Model Name or ID', 'is empty');

	const role = ctx.getNodeParameter('role', itemIndex, 'custom') as Role;
	if (!(role in ROLE_PROMPTS)) throw fail('Role', `has an unknown value "${String(role)}"`);
	const system = String(ctx.getNodeParameter('systemPrompt', itemIndex, '') ?? '').trim() || ROLE_PROMPTS[role];

	const rawPrompt = ctx.getNodeParameter('prompt', itemIndex, '');
	const prompt = typeof rawPrompt === 'string' ? rawPrompt : rawPrompt == null ? '' : JSON.stringify(rawPrompt);
	if (!prompt.trim()) {
		throw fail(
			'Prompt',
			'is empty',
			'By default the prompt is the item\'s "chatInput", "text" or "prompt" field; set the Prompt parameter to an expression that points at your text.',
		);
	}

	let format: OutputFormat = { type: 'text' };
	const outputFormat = ctx.getNodeParameter('outputFormat', itemIndex, 'text') as string;
	const options = readOptions(ctx, itemIndex);
	if (outputFormat === 'json') format = { type: 'json' };
	if (outputFormat === 'jsonSchema') {
		let schema: unknown;
		try {
			schema = parseJsonParameter(ctx.getNodeParameter('jsonSchema', itemIndex, '{}'));
		} catch (error) {
			throw fail('JSON Schema', `is not valid JSON: ${(error as Error).message}`);
		}
		if (!schema || typeof schema !== 'object' || Array.isArray(schema)) throw fail('JSON Schema', 'must be a JSON object');
		format = { type: 'jsonSchema', schema: schema as Record<string, unknown> };
	}

	let documents: ContextDocument[] = [];
	let rawDocuments: unknown;
	try {
		rawDocuments = parseJsonParameter(options.documents ?? '[]');
	} catch (error) {
		throw fail('Documents', `is not valid JSON: ${(error as Error).message}`);
	}
	if (rawDocuments != null && rawDocuments !== '') {
		if (!Array.isArray(rawDocuments)) throw fail('Documents', 'must be an array of strings or of objects with a "text" string');
		documents = rawDocuments.map((doc, i) => {
			if (typeof doc === 'string') return { text: doc };
			if (doc && typeof doc === 'object' && typeof (doc as ContextDocument).text === 'string') {
				const { text, score, id } = doc as ContextDocument;
				return { text, ...(typeof score === 'number' ? { score } : {}), ...(id !== undefined ? { id: String(id) } : {}) };
			}
			throw fail('Documents', `has an entry ${i} that is neither a string nor an object with a "text" string`);
		});
	}

	const sessionKey = String(ctx.getNodeParameter('sessionKey', itemIndex, '') ?? '').trim() || undefined;
	// Scoped to this workflow as n8n's own memory nodes do, unless the user shares it on purpose.
	const session = sessionKey
		? { sessionKey, workflowId: options.shareMemoryAcrossWorkflows === true ? undefined : String(ctx.getWorkflow().id ?? '') }
		: undefined;
	const historyShare = options.historyShare ?? 60;
	if (!(historyShare >= 0 && historyShare <= 100)) throw fail('Context Share for Conversation (%)', `must be between 0 and 100, got ${historyShare}`);
	const maxToolIterations = options.maxToolIterations ?? 5;
	if (!Number.isInteger(maxToolIterations) || maxToolIterations < 1) throw fail('Max Tool Iterations', 'must be a whole number of at least 1');

	return {
		model,
		system,
		prompt,
		options: ollamaOptions(options, (field, message) => fail(field, message)),
		keepAlive: keepAliveOf(options),
		format,
		documents,
		session,
		context: {
			strategy: options.contextStrategy ?? 'dropOldest',
			historyShare: historyShare / 100,
			summaryModel: options.summaryModel?.trim() || undefined,
			compact: options.compact === true,
			encoding: options.encoding ?? 'cl100k_base',
		},
		maxToolIterations,
	};
}
