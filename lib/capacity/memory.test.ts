import { estimateMemory, kvCacheBytes } from './memory';
import { specFromShow } from './model-spec';
import { LIBRARY_MODELS, modelInfoFor } from './models.fixture';
import { ollamaEstimate } from './ollama-formula.fixture';

const GIB = 1024 ** 3;
const specOf = (m: (typeof LIBRARY_MODELS)[number]) => specFromShow(m.name, { model_info: modelInfoFor(m), details: { quantization_level: m.quantization } });

describe("memory estimate against Ollama's formula (llm/memory.go EstimateGPULayers + fs/ggml GraphSize)", () => {
	const rows = LIBRARY_MODELS.flatMap((m) => m.contexts.map((numCtx) => ({ m, numCtx })));
	it.each(rows.map(({ m, numCtx }) => [m.name, numCtx, m] as const))('%s at num_ctx %d: within 10 %%', (_name, numCtx, m) => {
		const ours = estimateMemory(specOf(m), { numCtx, parallel: 1, kvCacheType: 'f16', flashAttention: false, weightsBytes: m.fileBytes });
		const theirs = ollamaEstimate(m.facts, numCtx, 1, 'f16');
		expect(ours.kvCache).toBe(theirs.kv); // the cache is the same arithmetic, to the byte
		expect(Math.abs(ours.total / theirs.total - 1)).toBeLessThan(0.1);
	});

	it('the table in docs/capacity.md is what the two formulas give', () => {
		const table = rows.map(({ m, numCtx }) => {
			const ours = estimateMemory(specOf(m), { numCtx, parallel: 1, kvCacheType: 'f16', flashAttention: false, weightsBytes: m.fileBytes }).total;
			const theirs = ollamaEstimate(m.facts, numCtx, 1, 'f16').total;
			return `| ${m.name} | ${numCtx} | ${(ours / GIB).toFixed(2)} | ${(theirs / GIB).toFixed(2)} | ${((ours / theirs - 1) * 100).toFixed(1)} % |`;
		});
		expect(table).toEqual([
			'| llama3.1:8b | 8192 | 6.75 | 6.45 | 4.6 % |',
			'| llama3.1:8b | 32768 | 11.39 | 11.09 | 2.7 % |',
			'| qwen3:8b | 8192 | 7.15 | 7.01 | 2.1 % |',
			'| qwen3:8b | 32768 | 12.17 | 12.72 | -4.4 % |',
			'| gemma2:2b | 2048 | 2.73 | 2.71 | 0.6 % |',
			'| gemma2:2b | 8192 | 3.36 | 3.34 | 0.5 % |',
			'| gemma3:1b | 8192 | 1.79 | 1.78 | 0.6 % |',
			'| gemma3:1b | 32768 | 1.89 | 1.88 | 0.7 % |',
			'| nomic-embed-text | 512 | 0.74 | 0.72 | 2.7 % |',
			'| nomic-embed-text | 2048 | 0.79 | 0.74 | 6.6 % |',
		]);
	});
});

describe('KV cache arithmetic', () => {
	const llama = specOf(LIBRARY_MODELS[0]);
	it('is num_ctx × parallel × layers × KV heads × (K + V dims) × bytes per element', () => {
		expect(kvCacheBytes(llama, 8192, 4, 'f16')).toBe(8192 * 4 * 32 * 8 * 256 * 2);
		expect(kvCacheBytes(llama, 8192, 4, 'q8_0')).toBe(8192 * 4 * 32 * 8 * 256);
		expect(kvCacheBytes(llama, 8192, 4, 'q4_0')).toBe((8192 * 4 * 32 * 8 * 256) / 2);
	});

	it('applies a quantised KV type only with flash attention, as Ollama does; flash attention drops the score buffer', () => {
		const noFa = estimateMemory(llama, { numCtx: 8192, parallel: 4, kvCacheType: 'q4_0', flashAttention: false, weightsBytes: 4.9e9 });
		expect(noFa.kvCacheType).toBe('f16');
		const fa = estimateMemory(llama, { numCtx: 8192, parallel: 4, kvCacheType: 'q4_0', flashAttention: true, weightsBytes: 4.9e9 });
		expect(fa.kvCacheType).toBe('q4_0');
		expect(fa.kvCache).toBe(noFa.kvCache / 4);
		expect(fa.graph).toBeLessThan(noFa.graph);
	});

	it('gemma2 and embedding models cannot use flash attention; gemma3 caches only the sliding window on local layers', () => {
		const gemma2 = specOf(LIBRARY_MODELS.find((m) => m.name === 'gemma2:2b')!);
		expect(estimateMemory(gemma2, { numCtx: 8192, parallel: 1, kvCacheType: 'q8_0', flashAttention: true }).flashAttention).toBe(false);
		const nomic = specOf(LIBRARY_MODELS.find((m) => m.name === 'nomic-embed-text')!);
		expect(nomic.embedding).toBe(true);
		expect(estimateMemory(nomic, { numCtx: 2048, parallel: 1, kvCacheType: 'q8_0', flashAttention: true }).flashAttention).toBe(false);
		const gemma3 = specOf(LIBRARY_MODELS.find((m) => m.name === 'gemma3:1b')!);
		// 26 layers: 4 global (full 32768), 22 local (512 window + 512 batch)
		expect(kvCacheBytes(gemma3, 32768, 1, 'f16')).toBe(4 * 32768 * 512 * 2 + 22 * 1024 * 512 * 2);
	});
});
