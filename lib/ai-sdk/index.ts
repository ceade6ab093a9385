// Adapters for n8n's own AI nodes (AI Agent, chains, vector stores). Loaded only by the sub-nodes:
// they need n8n's @n8n/ai-node-sdk and @langchain/core (peer dependencies), so lib/index.ts does not export them.
export { OllamaClusterChatModel, type ClusterChatSettings } from './chat-model';
export { OllamaClusterEmbeddings, type ClusterEmbeddingsSettings } from './embeddings';
export { ClusterModelNotFoundError, explainModelNotFound } from './model-errors';
export { toOllamaMessages, toOllamaTools, type OllamaTool } from './messages';
export { chatRequestFromOptions, InvalidJsonSchemaOptionError, type ChatModelOptions } from './chat-options';
