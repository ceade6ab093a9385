import type { ModelSpec } from './model-spec';

export type KvCacheType = 'f16' | 'q8_0' | 'q4_0';
export const KV_CACHE_TYPES: readonly KvCacheType[] = ['f16', 'q8_0', 'q4_0'];

/** Bytes per cached K or V element (fs/ggml kvCacheBytesPerElement). */
export const KV_BYTES_PER_ELEMENT: Record<KvCacheType, number> = { f16: 2, q8_0: 1, q4_0: 0.5 };

/** Memory CUDA keeps for itself on a GPU before any layer (Ollama's discover: cudaMinimumMemory = 457 MiB). */
export const GPU_MINIMUM_BYTES = 457 * 1024 ** 2;

/** Average bits per weight of a GGUF quantisation (llama.cpp's quantize table, mixed-tensor averages). */
const BITS_PER_WEIGHT: Record<string, number> = {
	F32: 32,
	F16: 16,
	BF16: 16,
	Q8_0: 8.5,
	Q6_K: 6.56,
	Q5_K_M: 5.69,
	Q5_K_S: 5.54,
	Q5_0: 5.5,
	Q4_K_M: 4.89,
	Q4_K_S: 4.58,
	Q4_0: 4.55,
	Q3_K_M: 3.91,
	Q3_K_S: 3.5,
	Q2_K: 3.35,
};

export function bitsPerWeight(quantization: string): number | undefined {
	return BITS_PER_WEIGHT[quantization.toUpperCase()];
}

/** Weight bytes from the parameter count at a quantisation (when the file size is not known). */
export function weightsFromParameters(parameterCount: number, quantization: string): number {
	return Math.round((parameterCount * (bitsPerWeight(quantization) ?? 4.89)) / 8);
}

export interface MemoryOptions {
	numCtx: number;
	/** OLLAMA_NUM_PARALLEL: each slot has its own num_ctx of cache. */
	parallel: number;
	kvCacheType: KvCacheType;
	flashAttention: boolean;
	/** num_batch (Ollama's default 512). */
	numBatch?: number;
	/** The model file's size (/api/tags, /api/show); else estimated from parameters × quantisation. */
	weightsBytes?: number;
}

export interface MemoryEstimate {
	weights: number;
	kvCache: number;
	/** Compute graph: activations of one batch (attention scores without flash attention). */
	graph: number;
	/** CUDA's minimum plus one layer kept as a buffer (as Ollama reserves). */
	overhead: number;
	total: number;
	/** The KV cache type in effect: Ollama applies a quantised type only with flash attention. */
	kvCacheType: KvCacheType;
	flashAttention: boolean;
}

/** Whether Ollama can run the model with flash attention (fs/ggml SupportsFlashAttention). */
export function supportsFlashAttention(spec: ModelSpec): boolean {
	if (spec.embedding || spec.architecture === 'gemma2') return false;
	return spec.keyLength > 0 && spec.keyLength === spec.valueLength;
}

/** KV cache bytes of all layers for numCtx × parallel tokens. */
export function kvCacheBytes(spec: ModelSpec, numCtx: number, parallel: number, kvCacheType: KvCacheType, numBatch = 512): number {
	const perToken = (spec.keyLength + spec.valueLength) * spec.headCountKV * KV_BYTES_PER_ELEMENT[kvCacheType];
	const full = numCtx * parallel * perToken;
	if (spec.architecture === 'gemma3' && spec.slidingWindow > 0) {
		// five of every six layers attend to a sliding window only, and cache only that
		const local = Math.min(numCtx * parallel, spec.slidingWindow * parallel + numBatch) * perToken;
		const globalLayers = Math.floor(spec.blockCount / 6);
		return globalLayers * full + (spec.blockCount - globalLayers) * local;
	}
	return spec.blockCount * full;
}

/**
 * What one runner of `spec` needs in GPU memory: weights + KV cache + compute graph + overhead.
 * Our own arithmetic from the /api/show fields, architecture-independent: the graph is the larger of
 * the output logits (batch × (embedding + vocab) floats) and, without flash attention, the attention
 * scores of one batch against the whole cache (batch × context × heads floats). lib/capacity's tests
 * hold it against Ollama's per-architecture formula (llm/memory.go + fs/ggml GraphSize).
 */
export function estimateMemory(spec: ModelSpec, options: MemoryOptions): MemoryEstimate {
	const flashAttention = options.flashAttention && supportsFlashAttention(spec);
	const kvCacheType: KvCacheType = flashAttention ? options.kvCacheType : 'f16';
	const batch = Math.min(options.numCtx, options.numBatch ?? 512);
	const context = options.numCtx * options.parallel;
	const weights = options.weightsBytes ?? weightsFromParameters(spec.parameterCount, spec.quantization);
	const kvCache = kvCacheBytes(spec, options.numCtx, options.parallel, kvCacheType, batch);
	// an embedding model pools hidden states and computes no vocabulary logits
	const logits = 4 * batch * (spec.embeddingLength + (spec.embedding ? 0 : spec.vocabSize));
	const scores = flashAttention ? 0 : 4 * batch * (context * (1 + spec.headCount) + 4 * spec.embeddingLength);
	const graph = Math.max(logits, scores);
	const overhead = GPU_MINIMUM_BYTES + Math.round((weights + kvCache) / spec.blockCount);
	return { weights, kvCache, graph, overhead, total: weights + kvCache + graph + overhead, kvCacheType, flashAttention };
}
