import { estimateMemory, KV_CACHE_TYPES, supportsFlashAttention, weightsFromParameters, type KvCacheType, type MemoryEstimate } from './memory';
import type { ModelSpec } from './model-spec';

export interface Workload {
	/** Prompt + reply tokens of the longest calls (p95), from the gateway's metrics; sets num_ctx. */
	p95Tokens?: number;
	/** Calls in flight at once for this model (p95 or max seen); sets the slots wanted. */
	concurrency?: number;
}

export interface PlanInput {
	backend: string;
	model: string;
	spec: ModelSpec;
	/** GPU memory of the backend, bytes. */
	gpuMemoryBytes: number;
	/** The model file's size, when known (/api/tags). */
	weightsBytes?: number;
	workload?: Workload;
	/** Slots wanted when the workload says nothing (default 4). */
	defaultSlots?: number;
}

export interface Recommendation {
	setting: 'quantization' | 'num_ctx' | 'OLLAMA_NUM_PARALLEL' | 'OLLAMA_KV_CACHE_TYPE' | 'OLLAMA_FLASH_ATTENTION';
	value: string;
	reason: string;
}

export interface CapacityPlan {
	backend: string;
	model: string;
	gpuMemoryBytes: number;
	numCtx: number;
	slotsWanted: number;
	/** The chosen configuration: slots that fit fully on the GPU, and its memory. */
	slots: number;
	kvCacheType: KvCacheType;
	flashAttention: boolean;
	quantization: string;
	memory: MemoryEstimate;
	fits: boolean;
	recommendations: Recommendation[];
	/** Memory of numCtx × slotsWanted at every KV type, with and without flash attention. */
	table: Array<{ kvCacheType: KvCacheType; flashAttention: boolean; slots: number; totalBytes: number; fits: boolean; maxSlots: number }>;
}

const MIN_CTX = 2048;
const GIB = 1024 ** 3;
const gib = (bytes: number) => `${(bytes / GIB).toFixed(1)} GiB`;
/** Lower quantisations to try, in order, when even one slot does not fit. */
const SMALLER_QUANTS = ['Q8_0', 'Q6_K', 'Q5_K_M', 'Q4_K_M', 'Q4_0', 'Q3_K_M', 'Q2_K'];

/** num_ctx for a workload: its longest calls rounded up to a power of two, within [2048, trained context]. */
export function contextFor(spec: ModelSpec, p95Tokens: number | undefined): number {
	const wanted = Math.max(MIN_CTX, p95Tokens ?? 4096);
	let ctx = MIN_CTX;
	while (ctx < wanted) ctx *= 2;
	return Math.min(ctx, spec.contextLength);
}

/** Most slots (up to `limit`) whose memory fits in `budget`; 0 when one does not. */
function maxSlots(spec: ModelSpec, numCtx: number, kv: KvCacheType, fa: boolean, weights: number, budget: number, limit: number): number {
	let slots = 0;
	while (slots < limit && estimateMemory(spec, { numCtx, parallel: slots + 1, kvCacheType: kv, flashAttention: fa, weightsBytes: weights }).total <= budget) slots++;
	return slots;
}

/**
 * The settings that serve the workload without spilling to system memory: the most slots up to the
 * concurrency seen, at the best KV cache type that allows them (f16, then q8_0, then q4_0, which
 * need flash attention), then a smaller num_ctx, then a smaller quantisation. Every setting comes
 * with a one-line reason; the chosen configuration's memory is computed, never assumed.
 */
export function planCapacity(input: PlanInput): CapacityPlan {
	const { spec, gpuMemoryBytes } = input;
	const slotsWanted = Math.max(1, Math.round(input.workload?.concurrency ?? input.defaultSlots ?? 4));
	const fa = supportsFlashAttention(spec);
	let quantization = spec.quantization;
	let weights = input.weightsBytes ?? weightsFromParameters(spec.parameterCount, spec.quantization);
	let numCtx = contextFor(spec, input.workload?.p95Tokens);
	const wantedCtx = numCtx;
	const types = fa ? KV_CACHE_TYPES : (['f16'] as KvCacheType[]);

	const table = KV_CACHE_TYPES.flatMap((kvCacheType) =>
		[false, true].map((flashAttention) => {
			const m = estimateMemory(spec, { numCtx, parallel: slotsWanted, kvCacheType, flashAttention, weightsBytes: weights });
			return { kvCacheType: m.kvCacheType, flashAttention: m.flashAttention, slots: slotsWanted, totalBytes: m.total, fits: m.total <= gpuMemoryBytes, maxSlots: maxSlots(spec, numCtx, kvCacheType, flashAttention, weights, gpuMemoryBytes, 64) };
		}),
	);

	// 1. the best KV type that fits the slots wanted; else the type that fits the most slots
	const choose = () => {
		let best: { kv: KvCacheType; slots: number } = { kv: 'f16', slots: 0 };
		for (const kv of types) {
			const slots = maxSlots(spec, numCtx, kv, fa, weights, gpuMemoryBytes, slotsWanted);
			if (slots > best.slots) best = { kv, slots };
			if (slots >= slotsWanted) break;
		}
		return best;
	};
	let best = choose();
	// 2. not even one slot: halve num_ctx down to the minimum, then smaller quantisations
	while (best.slots === 0 && numCtx > MIN_CTX) {
		numCtx = Math.max(MIN_CTX, numCtx / 2);
		best = choose();
	}
	for (const q of SMALLER_QUANTS) {
		if (best.slots > 0) break;
		const bits = weightsFromParameters(spec.parameterCount, q);
		if (bits >= weights) continue;
		quantization = q;
		weights = bits;
		best = choose();
	}

	const slots = best.slots;
	const memory = estimateMemory(spec, { numCtx, parallel: Math.max(1, slots), kvCacheType: best.kv, flashAttention: fa, weightsBytes: weights });
	const fits = slots > 0 && memory.total <= gpuMemoryBytes;
	const rec: Recommendation[] = [];
	const used = `${gib(memory.total)} of ${gib(gpuMemoryBytes)}`;
	rec.push({
		setting: 'quantization',
		value: quantization,
		reason: quantization === spec.quantization ? `weights ${gib(weights)} leave room for the KV cache (${used} in all)` : `${spec.quantization} does not fit one slot; ${quantization} weights are ${gib(weights)}`,
	});
	rec.push({
		setting: 'num_ctx',
		value: String(numCtx),
		reason: numCtx === wantedCtx ? `covers the longest calls (p95 ${input.workload?.p95Tokens ?? 'unknown'} tokens) within the trained ${spec.contextLength}` : `${wantedCtx} does not fit one slot; ${numCtx} does`,
	});
	rec.push({
		setting: 'OLLAMA_NUM_PARALLEL',
		value: String(Math.max(1, slots)),
		reason: slots >= slotsWanted ? `${slotsWanted} calls at once fit (${used})` : `${slotsWanted} wanted but only ${slots} fit without spilling (${used}); the gateway queues the rest`,
	});
	rec.push({
		setting: 'OLLAMA_KV_CACHE_TYPE',
		value: best.kv,
		reason: best.kv === 'f16' ? 'full-precision cache fits' : `f16 fits fewer slots; ${best.kv} halves${best.kv === 'q4_0' ? ' again' : ''} the cache (${gib(memory.kvCache)})`,
	});
	rec.push({
		setting: 'OLLAMA_FLASH_ATTENTION',
		value: fa ? '1' : '0',
		reason: fa ? 'no attention-score buffer, and the only way to a quantised KV cache' : `${spec.architecture}${spec.embedding ? ' (embedding)' : ''} cannot use flash attention in Ollama`,
	});
	return { backend: input.backend, model: input.model, gpuMemoryBytes, numCtx, slotsWanted, slots, kvCacheType: best.kv, flashAttention: fa, quantization, memory, fits, recommendations: rec, table };
}
