/**
 * /api/embed as routes.go EmbedHandler + the runner: inputs one at a time on the embedding model's
 * single slot (so concurrent batches interleave), truncation to the context length minus the
 * special tokens; vectors with a baseline similarity and a synonym table (embedding.ts).
 */
import { Ollama } from 'ollama';

import { embed } from './embedding';
import { simTokenize } from './tokenizer';
import { cos, postJson, waitFor, simulators } from './testutil';

const sim = simulators({ loadMs: 0 });

test('each input takes the one slot; a batch that arrived first finishes first (EmbedHandler: one goroutine per input)', async () => {
	// one input of ~202 tokens: a step of 5 ms + 202 x 1 ms
	const s = await sim({ prefillTokenMs: 1, stepMs: 5, decodeTokenMs: 1 });
	await postJson(`${s.url}/api/embed`, { model: 'nomic-embed-text', input: 'load' });
	const text = (tag: string, i: number) => `${tag} ${i} ` + 'word '.repeat(198);
	const batch = (tag: string) => postJson(`${s.url}/api/embed`, { model: 'nomic-embed-text', input: [0, 1, 2].map((i) => text(tag, i)) });
	const t0 = performance.now();
	const done: Record<string, number> = {};
	const a = batch('a').then((r) => ((done.a = performance.now() - t0), r));
	await waitFor(() => s.stats.requestsByEndpoint['/api/embed'] === 2, 3000, 'a to arrive');
	const b = batch('b').then((r) => ((done.b = performance.now() - t0), r));
	const [ra, rb] = await Promise.all([a, b]);
	const one = 207; // ms per input
	// all of a's inputs queued before b's: b's three inputs run after a is done (interleaved, b would end one input after a)
	expect(done.b - done.a).toBeGreaterThan(2 * one);
	expect(rb.json.total_duration).toBeGreaterThan(ra.json.total_duration);
	expect(ra.json.embeddings).toHaveLength(3);
	expect(ra.json.embeddings[1]).toEqual(embed('nomic-embed-text:latest', text('a', 1), 768, undefined, s.options.embedBaseline));
	expect(s.stats.maxActive).toBe(1);
	expect(s.stats.maxQueued).toBeGreaterThanOrEqual(4);
	expect(s.loadedModels()[0].parallel).toBe(1);
});

test('truncation keeps the context length minus the model\'s special tokens', async () => {
	const s = await sim({ timeScale: 0 });
	const long = 'lorem ipsum dolor sit amet '.repeat(200);
	const r = await postJson(`${s.url}/api/embed`, { model: 'all-minilm', input: long });
	expect(r.json.prompt_eval_count).toBe(512);
	const kept = simTokenize(long).slice(0, 510).join('');
	expect(r.json.embeddings[0]).toEqual(embed('all-minilm:latest', kept, 384, undefined, s.options.embedBaseline));
});

test('paraphrases score high, unrelated texts sit at the baseline, numbers and negations need a guard', async () => {
	const s = await sim({ timeScale: 0 });
	const c = new Ollama({ host: s.url });
	const pairs = {
		paraphrase: ['How do I reset my password?', 'How do I change my password?'],
		synonyms: ['I want to cancel my purchase', 'I want to terminate my order purchase'],
		number: ['Refund order 1234 please', 'Refund order 5678 please'],
		negation: ['I can log in to my account', 'I cannot log in to my account'],
		unrelated: ['How do I reset my password?', 'The weather in Oslo is rainy today'],
	};
	const score: Record<string, number> = {};
	for (const [k, [a, b]] of Object.entries(pairs)) {
		const { embeddings } = await c.embed({ model: 'nomic-embed-text', input: [a, b] });
		score[k] = cos(embeddings[0], embeddings[1]);
	}
	expect(score.paraphrase).toBeGreaterThan(0.95);
	expect(score.synonyms).toBeGreaterThan(0.8);
	// a threshold that accepts the paraphrase also accepts these: only a guard can tell them apart
	expect(score.number).toBeGreaterThan(0.9);
	expect(score.negation).toBeGreaterThan(0.9);
	expect(score.unrelated).toBeGreaterThan(0.2);
	expect(score.unrelated).toBeLessThan(0.45);
	// the baseline is an option
	s.setOptions({ embedBaseline: 0 });
	const { embeddings } = await c.embed({ model: 'nomic-embed-text', input: pairs.unrelated });
	expect(cos(embeddings[0], embeddings[1])).toBeLessThan(0.15);
});
