/**
 * Shared compute (compute.ts, after the runner's forwardBatch): the sequences of one model advance
 * together, a step costs stepMs + decodeTokenMs per decoding sequence + prefillTokenMs per prompt
 * token (at most num_batch tokens a step). Reported durations are the simulated (virtual) times,
 * so the rates below are exact, not wall-clock measurements.
 */
import { DEFAULT_COST_MODEL, Simulator } from './index';
import { postJson, waitFor, simulators } from './testutil';

const MODELS = [{ name: 'sim:8b', family: 'sim', contextLength: 32768 }];
const sim = simulators({ models: MODELS, loadMs: 0, replyTokensMin: 80, replyTokensMax: 90 });

const chat = (s: Simulator, content: string, numPredict: number) =>
	postJson(`${s.url}/api/chat`, { model: 'sim:8b', messages: [{ role: 'user', content }], stream: false, options: { num_predict: numPredict } });
const rate = (j: { eval_count: number; eval_duration: number }) => j.eval_count / (j.eval_duration / 1e9);

test('defaults: one stream decodes at 125 tokens/s, four streams share the GPU (about 2.8x in all, not 4x)', async () => {
	expect(DEFAULT_COST_MODEL.decodeTokensPerSec).toBeCloseTo(125, 1);
	const s = await sim({ parallel: 4 });
	const alone = await chat(s, 'alone', 40);
	expect(rate(alone.json)).toBeCloseTo(125, 0);
	const four = await Promise.all([0, 1, 2, 3].map((i) => chat(s, `together ${i}`, 40)));
	const rates = four.map((r) => rate(r.json));
	// each stream is slower than alone; together they get more done, but far less than 4x
	for (const r of rates) {
		expect(r).toBeLessThan(110);
		expect(r).toBeGreaterThan(80);
	}
	const aggregate = rates.reduce((a, b) => a + b, 0);
	expect(aggregate / 125).toBeGreaterThan(2.5);
	expect(aggregate / 125).toBeLessThan(3.3);
	expect(s.stats.maxActive).toBe(4);
});

test('a long prompt in prefill slows the other streams\' tokens while it runs', async () => {
	const s = await sim({ parallel: 2 });
	const base = await chat(s, 'baseline stream', 60);
	const baseEval = base.json.eval_duration;
	const streaming = chat(s, 'stream next to a long prompt', 60); // ~480 ms of decoding
	await waitFor(() => s.stats.active === 1, 3000, 'the stream to start');
	// ~3000 prompt tokens: six 512-token steps of ~135 ms each
	const long = await chat(s, 'word '.repeat(3000), 1);
	const slowed = await streaming;
	expect(long.json.prompt_eval_count).toBeGreaterThan(3000);
	expect(long.json.prompt_eval_duration).toBeGreaterThan(3000 * DEFAULT_COST_MODEL.prefillTokenMs * 1e6);
	// the decoding stream waited through the prefill steps
	expect(slowed.json.eval_duration).toBeGreaterThan(baseEval + 0.3 * long.json.prompt_eval_duration);
});

test('step costs are options: a larger fixed cost makes batching pay off more', async () => {
	const s = await sim({ parallel: 4, stepMs: 20, decodeTokenMs: 0.5 });
	expect(s.options.decodeTokensPerSec).toBeCloseTo(1000 / 20.5, 5);
	const alone = await chat(s, 'alone', 20);
	const four = await Promise.all([0, 1, 2, 3].map((i) => chat(s, `together ${i}`, 20)));
	const aggregate = four.reduce((n, r) => n + rate(r.json), 0);
	expect(aggregate / rate(alone.json)).toBeGreaterThan(3.3);
	// setting the single-stream rate scales both costs, keeping their ratio
	s.setOptions({ decodeTokensPerSec: 100 });
	expect(s.options.stepMs + s.options.decodeTokenMs).toBeCloseTo(10, 5);
	expect(s.options.stepMs / s.options.decodeTokenMs).toBeCloseTo(40, 5);
});
