import { DEFAULT_MODELS, resolveModel } from '../../test/simulator/models';
import { startSimulator, type Simulator } from '../../test/simulator';
import { kvCacheBytes } from './memory';
import { parseParameterSize, specFromShow } from './model-spec';

let sim: Simulator;
beforeAll(async () => {
	sim = await startSimulator({ timeScale: 0, loadMs: 0 });
});
afterAll(async () => sim.close());

const show = async (model: string) => (await fetch(`${sim.url}/api/show`, { method: 'POST', body: JSON.stringify({ model }) })).json() as Promise<Parameters<typeof specFromShow>[1]>;

describe('specFromShow over /api/show (simulator)', () => {
	it('reads the architecture fields Ollama returns in model_info', async () => {
		const spec = specFromShow('llama3.1:8b', await show('llama3.1:8b'));
		expect(spec).toMatchObject({
			architecture: 'llama',
			parameterCount: 8_000_000_000,
			quantization: 'Q4_K_M',
			blockCount: 32,
			embeddingLength: 4096,
			headCount: 32,
			headCountKV: 8,
			keyLength: 128,
			valueLength: 128,
			contextLength: 131072,
			vocabSize: 128256,
			embedding: false,
		});
	});

	it.each(DEFAULT_MODELS.filter((m) => m.kind === 'chat').map((m) => m.name))('%s: one token of f16 KV cache is the bytes the simulator allocates per token', async (name) => {
		const spec = specFromShow(name, await show(name));
		expect(kvCacheBytes(spec, 1, 1, 'f16')).toBe(resolveModel(DEFAULT_MODELS.find((m) => m.name === name)!).kvBytesPerToken);
	});

	it('an embedding model: pooling type set, no head_count_kv key (read as 1, as Ollama does)', async () => {
		const spec = specFromShow('nomic-embed-text', await show('nomic-embed-text'));
		expect(spec).toMatchObject({ architecture: 'nomic-bert', embedding: true, headCountKV: 1, keyLength: 64, blockCount: 12 });
	});

	it('names the model when the architecture fields are missing', () => {
		expect(() => specFromShow('odd:1b', { model_info: { 'general.architecture': 'odd' } })).toThrow(/"odd:1b" has no architecture fields/);
		expect(parseParameterSize('494.03M')).toBe(494_030_000);
	});
});
