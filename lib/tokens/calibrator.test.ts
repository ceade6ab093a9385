import { rngFromSeed } from '../../test/simulator/rng';
import { TokenCalibrator, defaultCalibrator } from './calibrator';

/** Deterministic PRNG so the synthetic streams are the same on every run. */
const random = rngFromSeed;

/** A model whose tokenizer counts 1.18× ours plus a 37-token template, with ±0.5 % noise. */
function modelCount(estimated: number, next: () => number): number {
	return Math.round((1.18 * estimated + 37) * (1 + (next() - 0.5) * 0.01));
}

function meanAbsoluteErrorPct(calibrator: TokenCalibrator, model: string, backend: string | undefined, sizes: number[]): number {
	const next = random(99);
	let total = 0;
	for (const estimated of sizes) {
		const actual = modelCount(estimated, next);
		total += Math.abs(calibrator.calibrate({ model, backend, estimated }) - actual) / actual;
	}
	return (total / sizes.length) * 100;
}

function train(calibrator: TokenCalibrator, model: string, backend: string | undefined, count: number, seed = 1): void {
	const next = random(seed);
	for (let i = 0; i < count; i++) {
		const estimated = 50 + Math.floor(next() * 4000);
		calibrator.observe({ model, backend, estimated, actual: modelCount(estimated, next) });
	}
}

const heldOutSizes = Array.from({ length: 200 }, (_, i) => 60 + i * 19);

describe('TokenCalibrator', () => {
	it('returns the estimate unchanged before any sample', () => {
		const calibrator = new TokenCalibrator();
		expect(calibrator.calibrate({ model: 'llama3', estimated: 1234 })).toBe(1234);
		expect(calibrator.stats('llama3')).toMatchObject({ factor: 1, samples: 0, source: 'none' });
	});

	it('converges on a ratio-plus-offset model to under 2 % error', () => {
		const calibrator = new TokenCalibrator();
		const before = meanAbsoluteErrorPct(calibrator, 'llama3', 'gpu-1', heldOutSizes);
		train(calibrator, 'llama3', 'gpu-1', 60);
		const after = meanAbsoluteErrorPct(calibrator, 'llama3', 'gpu-1', heldOutSizes);
		expect(before).toBeGreaterThan(15);
		expect(after).toBeLessThan(2);
		expect(calibrator.stats('llama3', 'gpu-1')).toMatchObject({ samples: 60, method: 'linear', source: 'backend' });
	});

	it('chooses the linear fit over a pure ratio when the template adds a fixed offset', () => {
		const ratioOnly = new TokenCalibrator({ method: 'ratio' });
		const auto = new TokenCalibrator();
		train(ratioOnly, 'm', undefined, 60);
		train(auto, 'm', undefined, 60);
		const smallRequests = Array.from({ length: 50 }, (_, i) => 60 + i * 4);
		expect(meanAbsoluteErrorPct(auto, 'm', undefined, smallRequests)).toBeLessThan(meanAbsoluteErrorPct(ratioOnly, 'm', undefined, smallRequests) / 2);
	});

	it('averages the first samples during warm-up', () => {
		const calibrator = new TokenCalibrator({ method: 'ratio' });
		calibrator.observe({ model: 'm', estimated: 1000, actual: 1100 });
		calibrator.observe({ model: 'm', estimated: 1000, actual: 1300 });
		expect(calibrator.stats('m').factor).toBeCloseTo(1.2, 10);
		expect(calibrator.calibrate({ model: 'm', estimated: 500 })).toBe(600);
	});

	it('rejects absurd counts such as a prompt_eval_count that only covers KV-cache misses', () => {
		const calibrator = new TokenCalibrator();
		train(calibrator, 'm', undefined, 30);
		const before = calibrator.calibrate({ model: 'm', estimated: 2000 });
		expect(calibrator.observe({ model: 'm', estimated: 2000, actual: 40 })).toBe(false);
		expect(calibrator.observe({ model: 'm', estimated: 0, actual: 40 })).toBe(false);
		expect(calibrator.calibrate({ model: 'm', estimated: 2000 })).toBe(before);
		expect(calibrator.stats('m').samples).toBe(30);
	});

	it('starts over when the outliers persist (a different model behind the same name)', () => {
		const calibrator = new TokenCalibrator({ method: 'ratio' });
		for (let i = 0; i < 20; i++) calibrator.observe({ model: 'm', estimated: 1000 + i * 10, actual: 1000 + i * 10 });
		for (let i = 0; i < 20; i++) calibrator.observe({ model: 'm', estimated: 1000 + i * 10, actual: 3 * (1000 + i * 10) });
		expect(calibrator.stats('m').factor).toBeCloseTo(3, 5);
	});

	it('uses the model-wide correction for a backend it has not seen, and the backend’s own once it has samples', () => {
		const calibrator = new TokenCalibrator({ method: 'ratio' });
		for (let i = 0; i < 10; i++) calibrator.observe({ model: 'phi3', backend: 'a', estimated: 1000, actual: 1200 });
		expect(calibrator.calibrate({ model: 'phi3', backend: 'new', estimated: 1000 })).toBe(1200);
		expect(calibrator.stats('phi3', 'new')).toMatchObject({ source: 'model', samples: 10 });

		for (let i = 0; i < 10; i++) calibrator.observe({ model: 'phi3', backend: 'b', estimated: 1000, actual: 1400 });
		expect(calibrator.calibrate({ model: 'phi3', backend: 'b', estimated: 1000 })).toBe(1400);
		expect(calibrator.calibrate({ model: 'phi3', backend: 'a', estimated: 1000 })).toBe(1200);
		expect(calibrator.stats('phi3', 'b')).toMatchObject({ source: 'backend', samples: 10 });
		// The model-wide correction has learned from both backends.
		expect(calibrator.stats('phi3').samples).toBe(20);
		// A backend counting much less than the model-wide correction predicts looks like cache reuse
		// to the model-wide correction (skipped there) until its own correction takes over.
		for (let i = 0; i < 10; i++) calibrator.observe({ model: 'phi3', backend: 'c', estimated: 1000, actual: 800 });
		expect(calibrator.calibrate({ model: 'phi3', backend: 'c', estimated: 1000 })).toBe(800);
		expect(calibrator.stats('phi3').skipped.cacheReuse).toBe(10);
		expect(calibrator.calibrate({ model: 'other', backend: 'a', estimated: 1000 })).toBe(1000);
	});

	it('reports the estimate made before learning from the reply, then learns', () => {
		const calibrator = new TokenCalibrator({ method: 'ratio' });
		expect(calibrator.report('m', 'a', 1000, 1250)).toEqual({ estimatedTokens: 1000, modelTokens: 1250, errorPct: -20 });
		expect(calibrator.report('m', 'a', 1000, 1250)).toEqual({ estimatedTokens: 1250, modelTokens: 1250, errorPct: 0 });
	});

	it('forgets a model on reset', () => {
		const calibrator = new TokenCalibrator();
		calibrator.observe({ model: 'm', backend: 'a', estimated: 100, actual: 150 });
		calibrator.observe({ model: 'n', estimated: 100, actual: 150 });
		calibrator.reset('m');
		expect(calibrator.stats('m', 'a').samples).toBe(0);
		expect(calibrator.stats('n').samples).toBe(1);
	});

	it('keeps the correction within the family bounds, and the fitting bound above the estimate for Llama 3 / Qwen', () => {
		const calibrator = new TokenCalibrator({ method: 'ratio' });
		// Counts of 40 % of the estimate (an old server reporting the uncached part): skipped, not learned.
		for (let i = 0; i < 20; i++) expect(calibrator.observe({ model: 'llama3.2:3b', estimated: 2000 + i, actual: 800 })).toBe(false);
		expect(calibrator.stats('llama3.2:3b')).toMatchObject({ samples: 0, skipped: { cacheReuse: 20 } });
		// Slightly lower counts are learned, but the correction cannot go below the family minimum (0.9)...
		for (let i = 0; i < 20; i++) calibrator.observe({ model: 'llama3.2:3b', estimated: 1000, actual: 905 });
		expect(calibrator.calibrate({ model: 'llama3.2:3b', estimated: 1000 })).toBe(905);
		expect(calibrator.calibrate({ model: 'llama3.2:3b', estimated: 100 })).toBeGreaterThanOrEqual(90);
		// ...and fitting never budgets less than the estimate itself for these families.
		expect(calibrator.upperBound({ model: 'llama3.2:3b', estimated: 1000 })).toBe(1000);
		// A generic model may be corrected down to 0.75 and budgeted from there.
		for (let i = 0; i < 20; i++) calibrator.observe({ model: 'mistral', estimated: 1000, actual: 780 });
		expect(calibrator.upperBound({ model: 'mistral', estimated: 1000 })).toBe(780);
	});

	it('adds the worst recent under-estimate to the fitting bound', () => {
		const calibrator = new TokenCalibrator({ method: 'ratio' });
		for (let i = 0; i < 30; i++) calibrator.observe({ model: 'mistral', estimated: 1000, actual: i % 10 === 0 ? 1330 : 1300 });
		const point = calibrator.calibrate({ model: 'mistral', estimated: 1000 });
		expect(calibrator.upperBound({ model: 'mistral', estimated: 1000 })).toBeGreaterThanOrEqual(1330);
		expect(calibrator.upperBound({ model: 'mistral', estimated: 1000 })).toBeLessThanOrEqual(Math.ceil(point * 1.1));
	});

	it('learns a generic model per script: Chinese counts below the Latin floor lower Chinese estimates only', () => {
		const calibrator = new TokenCalibrator({ method: 'ratio' });
		// A model whose vocabulary takes Chinese in about half cl100k's tokens (as Qwen and Gemma do).
		for (let i = 0; i < 20; i++) expect(calibrator.observe({ model: 'mistral', backend: 'gpu', estimated: 1000 + i, actual: 560 + i, script: 'han' })).toBe(true);
		expect(calibrator.calibrate({ model: 'mistral', backend: 'gpu', estimated: 1000, script: 'han' })).toBeLessThan(600);
		const chineseBound = calibrator.upperBound({ model: 'mistral', backend: 'gpu', estimated: 1000, script: 'han' });
		expect(chineseBound).toBeLessThan(620);
		expect(chineseBound).toBeGreaterThanOrEqual(560);
		// English of the same model learned nothing from it: no correction, and the Latin floor holds.
		expect(calibrator.calibrate({ model: 'mistral', backend: 'gpu', estimated: 1000, script: 'latin' })).toBe(1000);
		for (let i = 0; i < 5; i++) expect(calibrator.observe({ model: 'mistral', backend: 'gpu', estimated: 1000, actual: 600, script: 'latin' })).toBe(false); // below 0.75: cache reuse
		expect(calibrator.stats('mistral', 'gpu', 'latin').skipped.cacheReuse).toBe(5);
		expect(calibrator.upperBound({ model: 'mistral', backend: 'gpu', estimated: 1000, script: 'latin' })).toBeGreaterThanOrEqual(750);
		// Without a script the old per-model rule applies: a count of 56 % is cache reuse.
		expect(calibrator.observe({ model: 'mistral', backend: 'gpu', estimated: 1000, actual: 560 })).toBe(false);
	});

	it('learns mixed text and unknown scripts with the model’s text in general, not a correction of their own', () => {
		const calibrator = new TokenCalibrator({ method: 'ratio' });
		calibrator.observe({ model: 'mistral', estimated: 1000, actual: 1200, script: 'mixed' });
		calibrator.observe({ model: 'mistral', estimated: 1000, actual: 1200, script: 'other' });
		expect(calibrator.stats('mistral').samples).toBe(2);
		expect(calibrator.stats('mistral', undefined, 'mixed').samples).toBe(2);
		expect(calibrator.stats('mistral', undefined, 'han').samples).toBe(0);
		// A count at half the estimate is below the old floor: cache reuse, as before scripts.
		expect(calibrator.observe({ model: 'mistral', estimated: 1000, actual: 500, script: 'mixed' })).toBe(false);
	});

	it('keeps the fit floor at the estimate in every script for families with their own vocabulary', () => {
		const calibrator = new TokenCalibrator({ method: 'ratio' });
		for (let i = 0; i < 20; i++) calibrator.observe({ model: 'qwen3:8b', estimated: 1000, actual: 920, script: 'han' });
		expect(calibrator.calibrate({ model: 'qwen3:8b', estimated: 1000, script: 'han' })).toBe(920);
		expect(calibrator.upperBound({ model: 'qwen3:8b', estimated: 1000, script: 'han' })).toBe(1000);
		expect(calibrator.observe({ model: 'gemma3:4b', estimated: 1000, actual: 500, script: 'han' })).toBe(false);
	});

	it('budgets a script’s worst recent under-estimate beyond 10 % when its languages differ that much (Russian, Ukrainian)', () => {
		const calibrator = new TokenCalibrator({ method: 'ratio' });
		// Learned on a language at 0.55 × cl100k; then one of the same script at 0.75 × arrives (36 % more).
		for (let i = 0; i < 20; i++) calibrator.observe({ model: 'phi4', estimated: 1000, actual: 550, script: 'cyrillic' });
		expect(calibrator.observe({ model: 'phi4', estimated: 1000, actual: 750, script: 'cyrillic' })).toBe(true);
		expect(calibrator.calibrate({ model: 'phi4', estimated: 1000, script: 'cyrillic' })).toBeLessThan(600);
		// The next request of that language is budgeted near its count, not at +10 % of the old correction.
		expect(calibrator.upperBound({ model: 'phi4', estimated: 1000, script: 'cyrillic' })).toBeGreaterThanOrEqual(740);
		// Without a script (and for the families with their own vocabulary) the margin stays capped at 10 %.
		for (let i = 0; i < 20; i++) calibrator.observe({ model: 'phi3', estimated: 1000, actual: 1300 });
		calibrator.observe({ model: 'phi3', estimated: 1000, actual: 1800 });
		expect(calibrator.upperBound({ model: 'phi3', estimated: 1000 })).toBeLessThanOrEqual(Math.ceil(calibrator.calibrate({ model: 'phi3', estimated: 1000 }) * 1.1));
	});

	it('exports one shared process-wide instance', () => {
		expect(defaultCalibrator).toBeInstanceOf(TokenCalibrator);
		expect(require('./index').defaultCalibrator).toBe(defaultCalibrator);
	});
});
