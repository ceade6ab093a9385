// Batching: many small calls turned into few large ones.
export { DynamicBatcher, type BatcherOptions, type DynamicBatcherOptions, type BatchInfo, type MemberOutcome, type RunBatch } from './batcher';
export { createEmbedCoalescerStage, isInputError, type EmbedCoalescerStage } from './embed-coalescer';
export { groupByCount, groupByTokenBudget, groupByPredictedLength, type ItemGroup } from './group';
