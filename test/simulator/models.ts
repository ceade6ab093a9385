import { sha256Hex } from './rng';

/** One model of the simulated catalogue (what `ollama pull` would have put on disk). */
export interface SimModelSpec {
	/** e.g. "llama3.2:3b"; a name without a tag gets ":latest" */
	name: string;
	kind?: 'chat' | 'embedding';
	/** details.family and general.architecture, e.g. "llama", "qwen2", "nomic-bert", "bert" */
	family?: string;
	/** e.g. "3.2B" */
	parameterSize?: string;
	/** e.g. "Q4_K_M" */
	quantizationLevel?: string;
	/** trained context length (`<family>.context_length` in /api/show) */
	contextLength?: number;
	/** vector size of /api/embed for this model (`<family>.embedding_length`) */
	embeddingLength?: number;
	/** bytes on disk = weights (size in /api/tags; /api/ps adds the KV cache) */
	size?: number;
	/**
	 * KV-cache bytes per context token: 2 (K and V) x layers x KV heads x head dim x 2 bytes (f16).
	 * A loaded runner holds num_ctx x parallel of them (default 131072 = Llama 3.1 8B: 32 x 8 x 128 x 2 x 2).
	 */
	kvBytesPerToken?: number;
	/**
	 * Architecture fields /api/show returns in model_info as `<family>.<key>` (GGUF metadata):
	 * block_count, attention.head_count, attention.head_count_kv (left out when undefined, as
	 * BERT-style GGUFs do), attention.key_length / value_length, vocab_size. lib/capacity reads them.
	 */
	architecture?: ArchitectureFields;
	/** overrides of the simulator-wide cost model for this model */
	loadMs?: number;
	prefillTokensPerSec?: number;
	decodeTokensPerSec?: number;
	/** defaults: chat ["completion","tools"], embedding ["embedding"] */
	capabilities?: string[];
	/** ISO time; default a fixed date */
	modifiedAt?: string;
}

export interface ArchitectureFields {
	blockCount: number;
	headCount: number;
	headCountKV?: number;
	keyLength?: number;
	valueLength?: number;
	vocabSize: number;
	slidingWindow?: number;
}

export interface ResolvedModel {
	name: string;
	kind: 'chat' | 'embedding';
	family: string;
	parameterSize: string;
	quantizationLevel: string;
	contextLength: number;
	embeddingLength: number;
	size: number;
	kvBytesPerToken: number;
	architecture: ArchitectureFields;
	digest: string;
	capabilities: string[];
	modifiedAt: string;
	loadMs?: number;
	prefillTokensPerSec?: number;
	decodeTokensPerSec?: number;
}

export const DEFAULT_MODELS: SimModelSpec[] = [
	{
		name: 'llama3.2:3b',
		kind: 'chat',
		family: 'llama',
		parameterSize: '3.2B',
		quantizationLevel: 'Q4_K_M',
		contextLength: 131072,
		embeddingLength: 3072,
		size: 2019393189,
		kvBytesPerToken: 114688, // 28 layers x 8 KV heads x 128 x 2 x 2
		architecture: { blockCount: 28, headCount: 24, headCountKV: 8, vocabSize: 128256 },
	},
	{
		name: 'llama3.1:8b',
		kind: 'chat',
		family: 'llama',
		parameterSize: '8.0B',
		quantizationLevel: 'Q4_K_M',
		contextLength: 131072,
		embeddingLength: 4096,
		size: 4920753328,
		kvBytesPerToken: 131072, // 32 layers x 8 KV heads x 128 x 2 x 2
		architecture: { blockCount: 32, headCount: 32, headCountKV: 8, vocabSize: 128256 },
	},
	{
		name: 'qwen2.5:0.5b',
		kind: 'chat',
		family: 'qwen2',
		parameterSize: '494.03M',
		quantizationLevel: 'Q4_K_M',
		contextLength: 32768,
		embeddingLength: 896,
		size: 397821319,
		kvBytesPerToken: 12288, // 24 layers x 2 KV heads x 64 x 2 x 2
		architecture: { blockCount: 24, headCount: 14, headCountKV: 2, vocabSize: 151936 },
	},
	{
		name: 'nomic-embed-text',
		kind: 'embedding',
		family: 'nomic-bert',
		parameterSize: '137M',
		quantizationLevel: 'F16',
		contextLength: 2048,
		embeddingLength: 768,
		size: 274302450,
		kvBytesPerToken: 36864, // 12 layers x 768 x 2 x 2
		// nomic-bert GGUFs carry no head_count_kv (Ollama reads 1)
		architecture: { blockCount: 12, headCount: 12, vocabSize: 30522 },
	},
	{
		name: 'all-minilm',
		kind: 'embedding',
		family: 'bert',
		parameterSize: '23M',
		quantizationLevel: 'F16',
		contextLength: 512,
		embeddingLength: 384,
		size: 45960996,
		kvBytesPerToken: 9216, // 6 layers x 384 x 2 x 2
		architecture: { blockCount: 6, headCount: 12, vocabSize: 30522 },
	},
];

/** "Llama3.2" -> "llama3.2:latest"; "x:3b" stays; a registry prefix is dropped. */
export function normalizeModelName(name: string): string {
	let n = name.trim().toLowerCase();
	n = n.replace(/^(?:https?:\/\/)?registry\.ollama\.ai\/(?:library\/)?/, '');
	const lastSlash = n.lastIndexOf('/');
	const tagPart = n.slice(lastSlash + 1);
	if (!tagPart.includes(':')) n += ':latest';
	return n;
}

export function resolveModel(spec: SimModelSpec): ResolvedModel {
	const name = normalizeModelName(spec.name);
	const kind = spec.kind ?? (spec.embeddingLength && !spec.contextLength ? 'embedding' : 'chat');
	return {
		name,
		kind,
		family: spec.family ?? 'llama',
		parameterSize: spec.parameterSize ?? '1B',
		quantizationLevel: spec.quantizationLevel ?? 'Q4_K_M',
		contextLength: spec.contextLength ?? (kind === 'embedding' ? 2048 : 131072),
		embeddingLength: spec.embeddingLength ?? (kind === 'embedding' ? 768 : 2048),
		size: spec.size ?? 1_000_000_000,
		kvBytesPerToken: spec.kvBytesPerToken ?? 131072,
		architecture: spec.architecture ?? (kind === 'embedding' ? { blockCount: 12, headCount: 12, vocabSize: 30522 } : { blockCount: 28, headCount: 24, headCountKV: 8, vocabSize: 128256 }),
		digest: sha256Hex(`sim-model:${name}`),
		capabilities: spec.capabilities ?? (kind === 'embedding' ? ['embedding'] : ['completion', 'tools']),
		modifiedAt: spec.modifiedAt ?? '2025-09-18T10:21:33.512840812Z',
		loadMs: spec.loadMs,
		prefillTokensPerSec: spec.prefillTokensPerSec,
		decodeTokensPerSec: spec.decodeTokensPerSec,
	};
}

export function detailsOf(m: ResolvedModel) {
	return {
		parent_model: '',
		format: 'gguf',
		family: m.family,
		families: [m.family],
		parameter_size: m.parameterSize,
		quantization_level: m.quantizationLevel,
	};
}

function parameterCount(ps: string): number {
	const m = ps.match(/^([\d.]+)\s*([KMB])?/i);
	if (!m) return 0;
	const mult = { K: 1e3, M: 1e6, B: 1e9 }[(m[2] ?? '').toUpperCase() as 'K' | 'M' | 'B'] ?? 1;
	return Math.round(Number(m[1]) * mult);
}

export function modelInfoOf(m: ResolvedModel): Record<string, unknown> {
	const a = m.family;
	const info: Record<string, unknown> = {
		'general.architecture': a,
		'general.file_type': m.quantizationLevel === 'F16' ? 1 : 15,
		'general.parameter_count': parameterCount(m.parameterSize),
		'general.quantization_version': 2,
		[`${a}.context_length`]: m.contextLength,
		[`${a}.embedding_length`]: m.embeddingLength,
		[`${a}.block_count`]: m.architecture.blockCount,
		[`${a}.attention.head_count`]: m.architecture.headCount,
	};
	const arch = m.architecture;
	if (arch.headCountKV !== undefined) info[`${a}.attention.head_count_kv`] = arch.headCountKV;
	if (arch.keyLength !== undefined) info[`${a}.attention.key_length`] = arch.keyLength;
	if (arch.valueLength !== undefined) info[`${a}.attention.value_length`] = arch.valueLength;
	if (arch.slidingWindow !== undefined) info[`${a}.attention.sliding_window`] = arch.slidingWindow;
	if (m.kind === 'embedding') {
		info[`${a}.pooling_type`] = 1;
		info['tokenizer.ggml.model'] = 'bert';
	} else {
		info[`${a}.rope.freq_base`] = 500000;
		info[`${a}.vocab_size`] = arch.vocabSize;
		info['tokenizer.ggml.model'] = 'gpt2';
		info['tokenizer.ggml.bos_token_id'] = 128000;
		info['tokenizer.ggml.eos_token_id'] = 128009;
	}
	info['tokenizer.ggml.tokens'] = [];
	info['tokenizer.ggml.token_type'] = [];
	info['tokenizer.ggml.merges'] = [];
	return info;
}

const CHAT_TEMPLATE =
	'{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n';

export function showResponse(m: ResolvedModel): Record<string, unknown> {
	const params = m.kind === 'embedding' ? 'num_ctx                        ' + m.contextLength : 'stop                           "<|eot_id|>"';
	return {
		license: 'Simulated model; no weights.',
		modelfile: `# Modelfile generated by "ollama show"\n# To build a new Modelfile based on this, replace FROM with:\n# FROM ${m.name}\n\nFROM /sim/models/blobs/sha256-${m.digest}\n${m.kind === 'embedding' ? '' : `TEMPLATE """${CHAT_TEMPLATE}"""\n`}PARAMETER ${params.replace(/\s+/, ' ')}\n`,
		parameters: params,
		template: m.kind === 'embedding' ? '{{ .Prompt }}' : CHAT_TEMPLATE,
		details: detailsOf(m),
		model_info: modelInfoOf(m),
		capabilities: m.capabilities,
		modified_at: m.modifiedAt,
	};
}

export function tagsEntry(m: ResolvedModel): Record<string, unknown> {
	return {
		name: m.name,
		model: m.name,
		modified_at: m.modifiedAt,
		size: m.size,
		digest: m.digest,
		details: detailsOf(m),
	};
}
