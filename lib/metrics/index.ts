/**
 * Call metrics: one record per LLM call, turned into per-item metrics, a per-run summary and
 * process-wide or (through Redis) cluster-wide aggregates per backend and per model.
 */
export {
	recordFromChatResult,
	recordFromError,
	isBackendCallError,
	errorLabel,
	type CallRecord,
	type CallRecordExtra,
	type FailedCallContext,
} from './call-record';
export { itemMetrics, type ItemMetrics } from './item-metrics';
export { RunSummary, type RunSummaryData, type CallCounts } from './run-summary';
export type { LatencyPercentiles } from './percentile';
export type { AggregateCounts, AggregateStats, MetricsSnapshot, QueueCounters, QueueSnapshot } from './snapshot';
export { ProcessMetrics, processMetrics, DEFAULT_LATENCY_WINDOW, DEFAULT_MAX_NAMES, OTHER_NAME, type ProcessMetricsOptions, type QueueSource } from './process-metrics';
export { RedisMetricsStore, DEFAULT_METRICS_TTL_SECONDS, type RedisMetricsOptions } from './redis-metrics';
export { toPrometheusText, PROMETHEUS_CONTENT_TYPE, type GatewayMetrics } from './prometheus';
export { collectGatewayMetrics, type MetricsSource } from './gateway-metrics';
