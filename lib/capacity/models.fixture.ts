/**
 * Real models as Ollama's library ships them: their GGUF metadata (the model_info /api/show
 * returns) and file sizes, plus the tensor sizes Ollama's estimate sums (block, output layer),
 * derived from the shapes and quantisation types: Q4_K 144 bytes / 256 weights, Q6_K 210 / 256,
 * F16 2 bytes. File sizes are the library's (the `size` of /api/tags).
 */
import type { GgufFacts } from './ollama-formula.fixture';

export interface LibraryModel {
	name: string;
	fileBytes: number;
	quantization: string;
	parameterCount: number;
	contextLength: number;
	facts: GgufFacts;
	/** The two contexts the comparison uses. */
	contexts: [number, number];
}

const q4k = (n: number) => (n * 144) / 256;
const q6k = (n: number) => (n * 210) / 256;

function facts(f: Omit<GgufFacts, 'blockBytes'>, fileBytes: number): GgufFacts {
	// everything that is neither token_embd nor the output layer is in the blocks
	const blockBytes = Math.floor((fileBytes - f.outputLayerBytes - f.tokenEmbdBytes) / f.blockCount);
	return { ...f, blockBytes };
}

export const LIBRARY_MODELS: LibraryModel[] = [
	{
		name: 'llama3.1:8b',
		fileBytes: 4_920_753_328,
		quantization: 'Q4_K_M',
		parameterCount: 8_030_261_312,
		contextLength: 131072,
		contexts: [8192, 32768],
		facts: facts({ architecture: 'llama', blockCount: 32, embeddingLength: 4096, headCount: 32, headCountKV: 8, vocabSize: 128256, outputLayerBytes: q6k(128256 * 4096) + 4096 * 4, tokenEmbdBytes: q4k(128256 * 4096) }, 4_920_753_328),
	},
	{
		name: 'qwen3:8b',
		fileBytes: 5_225_387_904,
		quantization: 'Q4_K_M',
		parameterCount: 8_190_735_360,
		contextLength: 40960,
		contexts: [8192, 32768],
		facts: facts(
			{ architecture: 'qwen3', blockCount: 36, embeddingLength: 4096, headCount: 32, headCountKV: 8, keyLength: 128, valueLength: 128, vocabSize: 151936, outputLayerBytes: q6k(151936 * 4096) + 4096 * 4, tokenEmbdBytes: q4k(151936 * 4096) },
			5_225_387_904,
		),
	},
	{
		name: 'gemma2:2b',
		fileBytes: 1_629_518_304,
		quantization: 'Q4_0',
		parameterCount: 2_614_341_888,
		contextLength: 8192,
		contexts: [2048, 8192],
		// tied embeddings: no output tensor, so Ollama counts token_embd as the output layer
		facts: facts(
			{ architecture: 'gemma2', blockCount: 26, embeddingLength: 2304, headCount: 8, headCountKV: 4, keyLength: 256, valueLength: 256, vocabSize: 256000, slidingWindow: 4096, outputLayerBytes: q6k(256000 * 2304) + 2304 * 4, tokenEmbdBytes: 0 },
			1_629_518_304,
		),
	},
	{
		name: 'gemma3:1b',
		fileBytes: 815_319_791,
		quantization: 'Q4_K_M',
		parameterCount: 999_885_952,
		contextLength: 32768,
		contexts: [8192, 32768],
		facts: facts(
			{ architecture: 'gemma3', blockCount: 26, embeddingLength: 1152, headCount: 4, headCountKV: 1, keyLength: 256, valueLength: 256, vocabSize: 262144, slidingWindow: 512, outputLayerBytes: q6k(262144 * 1152) + 1152 * 4, tokenEmbdBytes: 0 },
			815_319_791,
		),
	},
	{
		name: 'nomic-embed-text',
		fileBytes: 274_302_450,
		quantization: 'F16',
		parameterCount: 136_727_040,
		contextLength: 2048,
		contexts: [512, 2048],
		// nomic-bert's GGUF has no head_count_kv key: Ollama reads 1
		facts: facts({ architecture: 'nomic-bert', blockCount: 12, embeddingLength: 768, headCount: 12, vocabSize: 30522, outputLayerBytes: 30522 * 768 * 2, tokenEmbdBytes: 0 }, 274_302_450),
	},
];

/** The /api/show model_info of a library model, with the keys Ollama returns. */
export function modelInfoFor(m: LibraryModel): Record<string, unknown> {
	const f = m.facts;
	const a = f.architecture;
	const info: Record<string, unknown> = {
		'general.architecture': a,
		'general.parameter_count': m.parameterCount,
		[`${a}.block_count`]: f.blockCount,
		[`${a}.context_length`]: m.contextLength,
		[`${a}.embedding_length`]: f.embeddingLength,
		[`${a}.attention.head_count`]: f.headCount,
		[`${a}.vocab_size`]: f.vocabSize,
	};
	if (f.headCountKV !== undefined) info[`${a}.attention.head_count_kv`] = f.headCountKV;
	if (f.keyLength !== undefined) info[`${a}.attention.key_length`] = f.keyLength;
	if (f.valueLength !== undefined) info[`${a}.attention.value_length`] = f.valueLength;
	if (f.slidingWindow !== undefined) info[`${a}.attention.sliding_window`] = f.slidingWindow;
	if (a === 'nomic-bert') info[`${a}.pooling_type`] = 1;
	return info;
}
