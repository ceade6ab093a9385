import { Embeddings } from '@langchain/core/embeddings';

import type { Gateway, GatewayCallOptions } from '../gateway';
import type { EmbedRequest } from '../ollama';
import type { CachePolicy } from '../pipeline';
import { explainModelNotFound } from './model-errors';

export interface ClusterEmbeddingsSettings {
	gateway: Gateway;
	model: string;
	/** Ollama request fields besides model/input: keep_alive, truncate, dimensions, options. */
	request?: Omit<EmbedRequest, 'model' | 'input'>;
	priority?: number;
	/** Embeddings cached per input text (lib/cache); undefined: not cached. */
	cache?: CachePolicy;
	/** The execution's cancel signal. */
	cancelSignal?: AbortSignal;
	/** How a failed call is reported (the node: n8n's sub-node error). */
	toNodeError?: (error: unknown) => unknown;
	/** Told of each call before it is sent; the function it returns is told how it ended (the node logs both). */
	observe?: (kind: 'documents' | 'query', input: string[]) => (outcome: { vectors: number[][] } | { error: unknown }) => void;
}

/**
 * LangChain embeddings for n8n's vector stores and retrievers, through the gateway.
 *
 * It extends `Embeddings` from the `@langchain/core` that n8n itself loads: not a dependency of
 * this package (n8n's community-node rules allow only n8n-workflow and @n8n/ai-node-sdk as peers,
 * and a dependency would install a second copy), but resolved through the NODE_PATH n8n sets for
 * community packages (n8n's own node_modules), as n8n-workflow is. So n8n's vector stores and
 * retrievers get an `Embeddings` of their own LangChain (`instanceof` checks hold). The AI node
 * SDK has no embeddings type yet.
 *
 * embedDocuments sends all texts of one call (n8n hands a vector store's documents in batches of
 * its Embedding Batch Size, 200) as one /api/embed array request; concurrent embedQuery calls
 * (a retriever per item) are coalesced by the gateway's batching stage into array requests.
 */
export class OllamaClusterEmbeddings extends Embeddings {
	private readonly settings: ClusterEmbeddingsSettings;

	constructor(settings: ClusterEmbeddingsSettings) {
		// the gateway retries, fails over and queues: LangChain's own retries would only repeat that
		super({ maxRetries: 0 });
		this.settings = settings;
	}

	get model(): string {
		return this.settings.model;
	}

	private options(): GatewayCallOptions {
		return {
			signal: this.settings.cancelSignal,
			priority: this.settings.priority,
			...(this.settings.cache ? { hints: { cache: this.settings.cache } } : {}),
		};
	}

	private async embed(kind: 'documents' | 'query', input: string[]): Promise<number[][]> {
		if (input.length === 0) return [];
		const { gateway, model } = this.settings;
		const ended = this.settings.observe?.(kind, input);
		try {
			const result = await gateway.embed({ ...this.settings.request, model, input }, this.options());
			ended?.({ vectors: result.embeddings });
			return result.embeddings;
		} catch (error) {
			const explained = explainModelNotFound(gateway, model, error);
			const reported = this.settings.toNodeError ? this.settings.toNodeError(explained) : explained;
			ended?.({ error: reported });
			throw reported;
		}
	}

	async embedDocuments(documents: string[]): Promise<number[][]> {
		return await this.embed('documents', documents);
	}

	async embedQuery(document: string): Promise<number[]> {
		const [vector] = await this.embed('query', [document]);
		return vector;
	}
}
