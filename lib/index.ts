/** The public API of the gateway and its parts, usable outside n8n too (see index.js at the package root). */
export { Gateway, clusterConfigFromCredential, type ClusterConfig, type GatewayCallOptions, type GatewayChatResult, type GatewayEmbedResult } from './gateway';
export { getGateway, closeAllGateways, clusterKey } from './registry';
export { QueueFullError, QueuedCallCancelledError, QueueTimeoutError, type SchedulerOptions, type SchedulerStats } from './scheduler';
export { DynamicBatcher, groupByCount, groupByTokenBudget, groupByPredictedLength, type BatcherOptions, type BatchInfo } from './batching';
export * from './ollama';
export { AgentTeamError, isAgentTeamError, type AgentTeamErrorCode } from './errors';
export {
	runAgent,
	runToolLoop,
	type AgentRunInput,
	type AgentRunResult,
	type AgentTool,
	type OutputFormat,
	type ToolCallTrace,
} from './agent';
export { InMemoryConversationStore, RedisConversationStore, type ConversationStore } from './memory';
export {
	countTextTokens,
	countChatTokens,
	fitContext,
	compactPrompt,
	TokenCalibrator,
	defaultCalibrator,
	ContextOverflowError,
	type ChatMessage,
	type FitResult,
} from './tokens';
export { processMetrics, RedisMetricsStore, RunSummary, itemMetrics, type CallRecord, type MetricsSnapshot } from './metrics';
export { createRedisClient, getSharedRedis, closeSharedRedis, type RedisConfig } from './redis';
