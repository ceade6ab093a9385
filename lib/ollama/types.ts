import type { ChatRequest, EmbedRequest, GenerateRequest, Message, ToolCall } from 'ollama';

export type { ChatRequest, EmbedRequest, GenerateRequest, Message, ToolCall };

/** A backend as configured in the Ollama Cluster credential. */
export interface BackendConfig {
	/** Display name: shown in outputs and errors instead of the URL. */
	name: string;
	baseUrl: string;
	/** Relative share of traffic. */
	weight: number;
	/** Parallel slots (OLLAMA_NUM_PARALLEL) of this server. */
	parallel: number;
}

/** Ollama's own timing and token fields, durations converted from ns to ms. */
export interface OllamaStats {
	promptEvalCount: number;
	evalCount: number;
	totalMs: number;
	loadMs: number;
	promptEvalMs: number;
	evalMs: number;
	doneReason: string;
}

export interface ChatResult extends OllamaStats {
	model: string;
	message: Message;
	backend: string;
	/** Wall time of the HTTP call as the client saw it. */
	latencyMs: number;
}

export interface EmbedResult {
	model: string;
	embeddings: number[][];
	promptEvalCount: number;
	totalMs: number;
	loadMs: number;
	backend: string;
	latencyMs: number;
}

export interface CallOptions {
	signal?: AbortSignal;
	/** Receives each streamed content piece as it arrives. */
	onChunk?: (text: string) => void;
}
