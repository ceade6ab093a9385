// Adapters for n8n's own AI nodes (AI Agent, chains, vector stores). Loaded only by the sub-nodes:
// they use n8n's own @n8n/ai-node-sdk (a peer dependency) and @langchain/core (resolved through the
// NODE_PATH n8n sets), so lib/index.ts, usable outside n8n, does not export them.
export { OllamaClusterChatModel, type ClusterChatSettings } from './chat-model';
export { OllamaClusterEmbeddings, type ClusterEmbeddingsSettings } from './embeddings';
export { ClusterModelNotFoundError, explainModelNotFound } from './model-errors';
export { toOllamaMessages, toOllamaTools, type OllamaTool } from './messages';
export { chatRequestFromOptions, InvalidJsonSchemaOptionError, type ChatModelOptions } from './chat-options';
