import { Embeddings } from '@langchain/core/embeddings';
import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';

import { closeAllGateways } from '../../lib/registry';
import { supplyFrom } from '../../test/harness/supply-data';
import { startSimulator, type Simulator } from '../../test/simulator';
import { OllamaClusterEmbeddings } from './OllamaClusterEmbeddings.node';

let sim: Simulator;
const MODEL = 'nomic-embed-text';
const cluster = () => ({ backends: { backend: [{ name: 'sim', baseUrl: sim.url, weight: 1, parallel: 4 }] } });
const embedRequests = () => sim.stats.requestsByEndpoint['/api/embed'] ?? 0;

async function embeddings(parameters: Record<string, unknown> = {}) {
	return await supplyFrom<Embeddings>(new OllamaClusterEmbeddings(), {
		credentials: { ollamaClusterApi: cluster() },
		parameters: { model: MODEL, options: {}, ...parameters },
	});
}

/** The vectors Ollama itself gives for these texts (one direct /api/embed call). */
async function direct(input: string[]): Promise<number[][]> {
	const res = await fetch(`${sim.url}/api/embed`, { method: 'POST', body: JSON.stringify({ model: MODEL, input }) });
	return ((await res.json()) as { embeddings: number[][] }).embeddings;
}

beforeAll(async () => {
	sim = await startSimulator({ parallel: 4, timeScale: 0 });
});
afterAll(async () => {
	await closeAllGateways();
	await sim.close();
});

const docs = Array.from({ length: 20 }, (_, i) => `Document ${i}: ${['GPUs run models', 'Redis stores keys', 'Ollama serves LLMs', 'n8n runs workflows'][i % 4]} (${i})`);

describe('Ollama Cluster Embeddings (supplyData, real HTTP to the simulator)', () => {
	test("is an Embeddings of @langchain/core (n8n's logWrapper and vector stores check it)", async () => {
		const { response } = await embeddings();
		expect(response).toBeInstanceOf(Embeddings);
	});

	test('embedDocuments: one /api/embed array call for the batch n8n hands over, the vectors Ollama gives, logged on the sub-node', async () => {
		const { response, record } = await embeddings();
		const before = embedRequests();
		const vectors = await response.embedDocuments(docs);
		expect(embedRequests() - before).toBe(1);
		expect(vectors).toEqual(await direct(docs));
		expect(record.inputs[0]).toMatchObject({ type: 'ai_embedding', data: [[{ json: { documents: docs } }]] });
		expect(record.outputs[0]).toMatchObject({ type: 'ai_embedding', index: 0, data: [[{ json: { response: vectors } }]] });
		expect(record.events).toEqual(['ai-document-embedded']);
	});

	test('concurrent embedQuery calls (a retriever per item) are coalesced into fewer /api/embed calls', async () => {
		const { response, record } = await embeddings();
		const before = embedRequests();
		const queries = Array.from({ length: 10 }, (_, i) => `question ${i} about GPUs`);
		const vectors = await Promise.all(queries.map((q) => response.embedQuery(q)));
		expect(embedRequests() - before).toBeLessThan(queries.length);
		expect(vectors).toEqual(await direct(queries));
		expect(record.events.filter((e) => e === 'ai-query-embedded')).toHaveLength(10);
	});

	test("n8n's in-memory vector store (LangChain MemoryVectorStore) fills and searches through it", async () => {
		const { response } = await embeddings();
		const store = await MemoryVectorStore.fromTexts(docs, docs.map((_, i) => ({ i })), response);
		const [best] = await store.similaritySearch('Which one serves LLMs with Ollama?', 1);
		expect(best.pageContent).toMatch(/Ollama serves LLMs/);
	});

	test('Cache (exact): texts embedded before come from the cache, no second /api/embed', async () => {
		const { response } = await embeddings({ options: { cache: { settings: { mode: 'exact', namespace: 'emb-test' } } } });
		const texts = ['cached one', 'cached two', 'cached three'];
		const first = await response.embedDocuments(texts);
		const before = embedRequests();
		const again = await response.embedDocuments(texts);
		expect(embedRequests()).toBe(before);
		expect(again).toEqual(first);
	});

	test('unknown model: an error on the sub-node naming the model, the backends and `ollama pull`', async () => {
		const { response, record } = await embeddings({ model: 'no-such-embedder' });
		const error = (await response.embedQuery('hello').catch((e: Error) => e)) as Error & { functionality?: string };
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.functionality).toBe('configuration-node');
		expect(error.message).toMatch(/Model "no-such-embedder" is not available on any backend of the Ollama cluster \(sim\); pull it on each backend with `ollama pull no-such-embedder`/);
		expect(record.outputs.at(-1)!.data).toBe(error);
	});
});
