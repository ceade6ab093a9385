// Batching: many small calls turned into few large ones.
export { DynamicBatcher, type BatcherOptions, type BatchInfo, type MemberOutcome, type RunBatch } from './batcher';
export { createEmbedCoalescerStage, type EmbedCoalescerStage } from './embed-coalescer';
