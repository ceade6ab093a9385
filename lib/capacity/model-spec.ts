/**
 * What the memory estimate needs to know about a model, read from Ollama's /api/show
 * (`model_info` holds the GGUF metadata keys, prefixed by the architecture: `llama.block_count`).
 * Missing keys fall back as Ollama's fs/ggml KV accessors do (head_count_kv → 1, key/value
 * length → embedding_length / head_count), so the same file gives the same figures.
 */
export interface ModelSpec {
	architecture: string;
	parameterCount: number;
	/** e.g. "Q4_K_M", "F16" (details.quantization_level). */
	quantization: string;
	blockCount: number;
	embeddingLength: number;
	headCount: number;
	headCountKV: number;
	keyLength: number;
	valueLength: number;
	/** Trained context length. */
	contextLength: number;
	vocabSize: number;
	/** Sliding-window attention span (Gemma 2/3), 0 when none. */
	slidingWindow: number;
	/** An embedding model (`<arch>.pooling_type` is set): no generation, no flash attention. */
	embedding: boolean;
}

type Info = Record<string, unknown>;

const num = (value: unknown): number | undefined => {
	if (typeof value === 'number' && Number.isFinite(value)) return value;
	// per-layer arrays (head counts of some models): Ollama's *Max accessors take the largest
	if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'number')) return Math.max(...(value as number[]));
	return undefined;
};

/** "8.0B" / "494.03M" → a count (details.parameter_size, when model_info lacks general.parameter_count). */
export function parseParameterSize(text: string): number {
	const m = /^([\d.]+)\s*([KMBT])?/i.exec(text.trim());
	if (!m) return 0;
	const scale = { K: 1e3, M: 1e6, B: 1e9, T: 1e12 }[(m[2] ?? '').toUpperCase() as 'K'] ?? 1;
	return Math.round(Number(m[1]) * scale);
}

/** A ModelSpec from an /api/show reply; throws naming the model when the architecture fields are missing. */
export function specFromShow(model: string, show: { model_info?: Info; details?: { parameter_size?: string; quantization_level?: string } }): ModelSpec {
	const info = show.model_info ?? {};
	const arch = typeof info['general.architecture'] === 'string' ? (info['general.architecture'] as string) : '';
	const key = (name: string) => num(info[`${arch}.${name}`]);
	const blockCount = key('block_count');
	const embeddingLength = key('embedding_length');
	if (!arch || !blockCount || !embeddingLength) {
		throw new Error(`/api/show for "${model}" has no architecture fields (general.architecture, <arch>.block_count, <arch>.embedding_length)`);
	}
	const headCount = key('attention.head_count') ?? 1;
	const headDim = Math.floor(embeddingLength / Math.max(1, headCount));
	const tokens = info['tokenizer.ggml.tokens'];
	return {
		architecture: arch,
		parameterCount: num(info['general.parameter_count']) ?? parseParameterSize(show.details?.parameter_size ?? ''),
		quantization: show.details?.quantization_level ?? 'unknown',
		blockCount,
		embeddingLength,
		headCount,
		headCountKV: key('attention.head_count_kv') ?? 1,
		keyLength: key('attention.key_length') ?? headDim,
		valueLength: key('attention.value_length') ?? headDim,
		contextLength: key('context_length') ?? 2048,
		// /api/show leaves the token list out unless verbose: the vocabulary size key, or the list's length
		vocabSize: key('vocab_size') ?? (Array.isArray(tokens) && tokens.length > 0 ? tokens.length : 32000),
		slidingWindow: key('attention.sliding_window') ?? 0,
		embedding: info[`${arch}.pooling_type`] !== undefined,
	};
}
