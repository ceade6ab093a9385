import type { ChatRequest } from '../ollama';
import { parseKeepAlive } from '../ollama/keep-alive';
import { AgentTeamError } from '../errors';

/** The Chat Model sub-node's Options, named as n8n's own Ollama Chat Model names them. */
export interface ChatModelOptions {
	temperature?: number;
	topK?: number;
	topP?: number;
	frequencyPenalty?: number;
	presencePenalty?: number;
	repeatPenalty?: number;
	penalizeNewline?: boolean;
	keepAlive?: string;
	lowVram?: boolean;
	mainGpu?: number;
	numBatch?: number;
	numCtx?: number;
	numGpu?: number;
	numPredict?: number;
	numThread?: number;
	useMLock?: boolean;
	useMMap?: boolean;
	vocabOnly?: boolean;
	think?: boolean;
	format?: 'default' | 'json' | 'jsonSchema';
	/** With format "jsonSchema": the schema, as JSON text or an object. */
	jsonSchema?: string | Record<string, unknown>;
}

/** n8n option name → Ollama runner/sampling option (what @langchain/ollama's ChatOllama sends). */
const OLLAMA_OPTION: Partial<Record<keyof ChatModelOptions, string>> = {
	temperature: 'temperature',
	topK: 'top_k',
	topP: 'top_p',
	frequencyPenalty: 'frequency_penalty',
	presencePenalty: 'presence_penalty',
	repeatPenalty: 'repeat_penalty',
	penalizeNewline: 'penalize_newline',
	lowVram: 'low_vram',
	mainGpu: 'main_gpu',
	numBatch: 'num_batch',
	numCtx: 'num_ctx',
	numGpu: 'num_gpu',
	numPredict: 'num_predict',
	numThread: 'num_thread',
	useMLock: 'use_mlock',
	useMMap: 'use_mmap',
	vocabOnly: 'vocab_only',
};

export class InvalidJsonSchemaOptionError extends AgentTeamError {
	constructor(detail: string) {
		super('INVALID_SCHEMA', `The "JSON Schema" option is not a JSON Schema object: ${detail}`);
		this.name = 'InvalidSchemaError';
	}
}

/**
 * The Ollama request fields for these options. Like n8n's own sub-node, only options the user
 * added are sent; the rest stay at the server's (or the loaded runner's) values.
 */
export function chatRequestFromOptions(options: ChatModelOptions): Omit<ChatRequest, 'model' | 'messages'> {
	const ollama: Record<string, unknown> = {};
	for (const [name, key] of Object.entries(OLLAMA_OPTION)) {
		const value = options[name as keyof ChatModelOptions];
		if (value !== undefined && value !== null && value !== '') ollama[key] = value;
	}
	const request: Omit<ChatRequest, 'model' | 'messages'> = {};
	if (Object.keys(ollama).length) request.options = ollama;
	const keepAlive = parseKeepAlive(options.keepAlive);
	if (keepAlive !== undefined) request.keep_alive = keepAlive;
	if (options.think !== undefined) request.think = options.think;
	if (options.format === 'json') request.format = 'json';
	if (options.format === 'jsonSchema') {
		let schema: unknown = options.jsonSchema;
		if (typeof schema === 'string') {
			try {
				schema = JSON.parse(schema);
			} catch (error) {
				throw new InvalidJsonSchemaOptionError((error as Error).message);
			}
		}
		if (!schema || typeof schema !== 'object' || Array.isArray(schema)) throw new InvalidJsonSchemaOptionError('expected an object');
		request.format = schema as Record<string, unknown>;
	}
	return request;
}
