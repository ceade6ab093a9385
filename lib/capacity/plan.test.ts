import { estimateMemory } from './memory';
import { specFromShow } from './model-spec';
import { LIBRARY_MODELS, modelInfoFor } from './models.fixture';
import { contextFor, planCapacity } from './plan';

const GIB = 1024 ** 3;
const llama = LIBRARY_MODELS[0];
const spec = specFromShow(llama.name, { model_info: modelInfoFor(llama), details: { quantization_level: llama.quantization } });

describe('planCapacity', () => {
	it('a GPU with room for 4 slots at 8k keeps f16 and 4 slots', () => {
		const plan = planCapacity({ backend: 'gpu-1', model: llama.name, spec, gpuMemoryBytes: 24 * GIB, weightsBytes: llama.fileBytes, workload: { p95Tokens: 6000, concurrency: 4 } });
		expect(plan).toMatchObject({ numCtx: 8192, slots: 4, kvCacheType: 'f16', fits: true });
	});

	it('too little memory for 4 slots at 8k: a smaller KV type or fewer slots, never a spill', () => {
		const gpu = 9 * GIB;
		const wanted = estimateMemory(spec, { numCtx: 8192, parallel: 4, kvCacheType: 'f16', flashAttention: true, weightsBytes: llama.fileBytes });
		expect(wanted.total).toBeGreaterThan(gpu); // 4 × 8k at f16 really does not fit
		const plan = planCapacity({ backend: 'gpu-1', model: llama.name, spec, gpuMemoryBytes: gpu, weightsBytes: llama.fileBytes, workload: { p95Tokens: 8000, concurrency: 4 } });
		expect(plan.fits).toBe(true);
		expect(plan.memory.total).toBeLessThanOrEqual(gpu);
		expect(plan.kvCacheType !== 'f16' || plan.slots < 4).toBe(true);
		expect(plan.numCtx).toBe(8192);
		expect(plan.recommendations.map((r) => r.setting)).toEqual(['quantization', 'num_ctx', 'OLLAMA_NUM_PARALLEL', 'OLLAMA_KV_CACHE_TYPE', 'OLLAMA_FLASH_ATTENTION']);
		for (const r of plan.recommendations) expect(r.reason).not.toMatch(/\n/);
		expect(plan.recommendations.find((r) => r.setting === 'OLLAMA_NUM_PARALLEL')!.value).toBe(String(plan.slots));
	});

	it('8 GiB: 4 slots at q8_0; 7 GiB: 4 slots only at q4_0, with flash attention', () => {
		const at8 = planCapacity({ backend: 'gpu-1', model: llama.name, spec, gpuMemoryBytes: 8 * GIB, weightsBytes: llama.fileBytes, workload: { p95Tokens: 8000, concurrency: 4 } });
		expect(at8).toMatchObject({ slots: 4, kvCacheType: 'q8_0', flashAttention: true, fits: true });
		const plan = planCapacity({ backend: 'gpu-1', model: llama.name, spec, gpuMemoryBytes: 7 * GIB, weightsBytes: llama.fileBytes, workload: { p95Tokens: 8000, concurrency: 4 } });
		expect(plan).toMatchObject({ slots: 4, kvCacheType: 'q4_0', flashAttention: true, fits: true });
		expect(plan.memory.total).toBeLessThanOrEqual(7 * GIB);
	});

	it('a GPU too small for one slot of the model: a smaller num_ctx, then a smaller quantisation', () => {
		const plan = planCapacity({ backend: 'small', model: llama.name, spec, gpuMemoryBytes: 5 * GIB, weightsBytes: llama.fileBytes, workload: { p95Tokens: 8000, concurrency: 2 } });
		expect(plan.fits).toBe(true);
		expect(plan.memory.total).toBeLessThanOrEqual(5 * GIB);
		expect(plan.quantization).not.toBe('Q4_K_M');
		expect(plan.recommendations[0].reason).toMatch(/does not fit one slot/);
	});

	it('num_ctx from the workload: p95 tokens rounded up to a power of two, within the trained context', () => {
		expect(contextFor(spec, 100)).toBe(2048);
		expect(contextFor(spec, 5000)).toBe(8192);
		expect(contextFor({ ...spec, contextLength: 4096 }, 50_000)).toBe(4096);
	});

	it('the table holds every KV type with and without flash attention', () => {
		const plan = planCapacity({ backend: 'gpu-1', model: llama.name, spec, gpuMemoryBytes: 10 * GIB, weightsBytes: llama.fileBytes });
		expect(plan.table.map((t) => `${t.kvCacheType}/${t.flashAttention}`)).toEqual(['f16/false', 'f16/true', 'f16/false', 'q8_0/true', 'f16/false', 'q4_0/true']);
	});
});
