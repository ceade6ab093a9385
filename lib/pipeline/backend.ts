import type { BackendConfig, CallOptions, ChatRequest, ChatResult, EmbedRequest, EmbedResult } from '../ollama/types';

/**
 * One Ollama server as the stages see it. `lib/ollama`'s `OllamaTransport` implements it; the
 * stages only depend on this, so they can be tested with any server behind it.
 */
export interface Backend {
	/** The configured display name (never the URL: it may carry credentials). */
	readonly name: string;
	readonly backend: BackendConfig;
	chat(request: ChatRequest, options?: CallOptions): Promise<ChatResult>;
	embed(request: EmbedRequest, options?: CallOptions): Promise<EmbedResult>;
	listModels(options?: CallOptions): Promise<string[]>;
	/** Model name → digest from /api/tags (the cache keys on it); optional for test backends. */
	modelDigests?(options?: CallOptions): Promise<Record<string, string>>;
	close(): Promise<void>;
}
