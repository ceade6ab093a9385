/**
 * Ollama's own memory estimate, evaluated for tests only: llm/memory.go EstimateGPULayers (the
 * figure /api/ps reports as size_vram for the llama.cpp runner) with fs/ggml GraphSize(context,
 * batch, numParallel, kvCacheType, flashAttention), as in ollama/ollama since the numParallel
 * argument moved into GraphSize. Only what a full offload on one CUDA GPU takes:
 *
 *   MinimumMemory + layerSize(blk.0 + kv[0])             (one layer as a buffer)
 *   + Σ over blocks (blk.i + kv[i]) + output layer        (output_norm + output, or token_embd)
 *   + graphFullOffload
 *
 * The per-architecture graph formulas are GraphSize's; an architecture it has no case for falls
 * back to GQA × kvTotal / 6 for both graphs (memory.go). Integer arithmetic as Go's uint64.
 */
import { GPU_MINIMUM_BYTES, KV_BYTES_PER_ELEMENT, type KvCacheType } from './memory';

export interface GgufFacts {
	architecture: string;
	blockCount: number;
	embeddingLength: number;
	headCount: number;
	/** undefined: the key is absent (Ollama then reads 1). */
	headCountKV?: number;
	keyLength?: number;
	valueLength?: number;
	vocabSize: number;
	slidingWindow?: number;
	/** Bytes of one repeating block's tensors (blk.N, all the same here). */
	blockBytes: number;
	/** output_norm + output, or token_embd when the output is tied to it. */
	outputLayerBytes: number;
	/** token_embd when it is a separate tensor (stays in system memory: not in Ollama's GPU sum). */
	tokenEmbdBytes: number;
}

export function ollamaEstimate(f: GgufFacts, numCtx: number, numParallel: number, kvCacheType: KvCacheType, numBatch = 512): { kv: number; graph: number; total: number } {
	const batch = Math.min(numCtx, numBatch);
	const context = numCtx * numParallel;
	const embedding = f.embeddingLength;
	const heads = f.headCount;
	const headsKV = f.headCountKV ?? 1;
	const embeddingHeads = Math.floor(embedding / heads);
	const headsK = f.keyLength ?? embeddingHeads;
	const headsV = f.valueLength ?? embeddingHeads;
	const vocab = f.vocabSize;
	const bpe = KV_BYTES_PER_ELEMENT[kvCacheType];
	const kv = Array.from({ length: f.blockCount }, () => Math.floor(context * (headsK + headsV) * headsKV * bpe));
	let full = 0;
	let partial = 0;
	const div = (a: number, b: number) => Math.floor(a / b);
	switch (f.architecture) {
		case 'llama':
			full = Math.max(4 * batch * (1 + 4 * embedding + context * (1 + heads)), 4 * batch * (embedding + vocab));
			partial =
				4 * batch * embedding +
				Math.max(
					4 * batch * (1 + embedding + Math.max(context, embedding)) + div(embedding * embedding * 9, 16) + 4 * context * (batch * heads + embeddingHeads * headsKV),
					4 * batch * (embedding + vocab) + div(embedding * vocab * 105, 128),
				);
			break;
		case 'gemma':
		case 'gemma2':
		case 'gemma3':
			full = Math.max(4 * batch * (embedding + vocab), 4 * batch * (2 + context + context * heads + 2 * embedding + 2 * headsK * heads));
			partial = Math.max(
				4 * embedding * batch + div(embedding * vocab * 105, 128) + 4 * vocab * batch,
				4 * batch * (2 * embedding + 1 + 2 * headsK * heads + context + context * heads) + 4 * headsK * context * 8 + div(embedding * headsK * heads * 9, 16),
			);
			if (f.architecture === 'gemma3') {
				const window = numParallel * (f.slidingWindow ?? 0) + batch;
				for (let i = 0; i < kv.length; i++) if ((i + 1) % 6 !== 0) kv[i] = Math.floor(window * (headsK + headsV) * headsKV * bpe);
			}
			break;
		case 'qwen2':
			full = Math.max(4 * batch * (embedding + vocab), 4 * batch * (1 + 2 * embedding + context + context * heads));
			partial = Math.max(4 * batch * (embedding + vocab) + div(embedding * vocab * 105, 128), 4 * (batch * (1 + 2 * embedding + context * (1 + heads)) + embedding * (1 + context)));
			break;
		default:
			break;
	}
	const kvTotal = kv.reduce((a, b) => a + b, 0);
	if (partial === 0) partial = div(div(heads, Math.max(1, headsKV)) * kvTotal, 6);
	if (full === 0) full = partial;
	const total = GPU_MINIMUM_BYTES + (f.blockBytes + kv[0]) + f.blockBytes * f.blockCount + kvTotal + f.outputLayerBytes + full;
	return { kv: kvTotal, graph: full, total };
}
