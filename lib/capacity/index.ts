/**
 * Capacity planning for Ollama backends: memory of weights + KV cache + graph per model, context
 * and slot count (`estimateMemory`), and the settings that serve a workload without spilling to
 * system memory (`planCapacity`). Inputs come from /api/show (`specFromShow`), /api/ps and the
 * credential's GPU memory.
 */
export { specFromShow, parseParameterSize, type ModelSpec } from './model-spec';
export { estimateMemory, kvCacheBytes, supportsFlashAttention, weightsFromParameters, bitsPerWeight, KV_CACHE_TYPES, GPU_MINIMUM_BYTES, type KvCacheType, type MemoryEstimate, type MemoryOptions } from './memory';
export { planCapacity, contextFor, type CapacityPlan, type PlanInput, type Recommendation, type Workload } from './plan';
export { backendFacts, type BackendFacts, type BackendRequest } from './backend-facts';
