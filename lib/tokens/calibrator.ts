/**
 * Learns how far tiktoken estimates are from each model's own token count (the `prompt_eval_count`
 * of every reply) and corrects later estimates. Corrections are kept per model+backend (two servers
 * may run different builds or templates of one model name) and per model, the fallback used while a
 * backend is still new.
 *
 * A reply whose count only covers part of the prompt must not teach it: Ollama reuses its prompt
 * (KV) cache, and servers before 0.30.1 then report only the uncached part. Such samples are skipped
 * when the count is below what the estimate allows (the family's correction bounds, or well below
 * the current prediction), or when the prefill time is far too short for the tokens counted (how a
 * reply of a newer server that reused its cache looks). The correction itself is bounded per model
 * family, and `upperBound` — what context fitting uses — adds the worst recent under-estimate and
 * never goes below the estimate × the fit floor, so no learned correction can make a request
 * overflow num_ctx.
 *
 * With a `script` (scripts.ts) a sample or query is learned and corrected per kind of text: a generic
 * model's count of Chinese may be half the cl100k estimate while its count of English is above it.
 * The fit floor is then the script's (GENERIC_FIT_FLOOR) for generic models; a family with its own
 * vocabulary counts the model's tokens in every script, so its floor stays 1.
 */
import { familyProfile, tokenFamily } from './families';
import { GENERIC_FIT_FLOOR, type TextScript } from './scripts';
import { RunningFit, type RunningFitOptions } from './running-fit';

export type { CalibrationMethod } from './running-fit';

export interface CalibrationSample {
	model: string;
	backend?: string;
	/** Our estimate of the request's prompt tokens (uncalibrated). */
	estimated: number;
	/** The model's count: the reply's `prompt_eval_count`. */
	actual: number;
	/** The reply's `prompt_eval_duration` in ms, when known: a short one reveals prompt-cache reuse. */
	promptEvalMs?: number;
	/** The request's kind of text: learned apart from other scripts. */
	script?: TextScript;
}

export interface CalibrationQuery {
	model: string;
	backend?: string;
	estimated: number;
	/** The request's kind of text: corrected with what that script taught, floored by its floor. */
	script?: TextScript;
}

/** How far a correction may go and the fitting floor, for a model and (optionally) a script. */
interface Bounds {
	min: number;
	max: number;
	fitFloor: number;
}

/**
 * The script a correction is learned under: mixed text and unknown scripts are learned with the
 * model's text in general, as before scripts existed. Their ratios to cl100k differ by up to 4× from
 * one request to the next; a correction of their own starved a request by 24 % in the bench.
 */
function learnedScript(script: TextScript | undefined): TextScript | undefined {
	return script === 'mixed' || script === 'other' ? undefined : script;
}

function boundsFor(model: string, script: TextScript | undefined): Bounds {
	const profile = familyProfile(tokenFamily(model));
	if (profile.family !== 'generic' || script === undefined) return { ...profile.correction, fitFloor: profile.fitFloor };
	const floor = GENERIC_FIT_FLOOR[script];
	return { min: Math.min(profile.correction.min, floor), max: profile.correction.max, fitFloor: floor };
}

export interface CalibrationStats {
	/** actual / estimated, running estimate; 1 before any sample. */
	factor: number;
	/** Samples behind the correction in use. */
	samples: number;
	/** Which predictor calibrate() uses now. */
	method: 'none' | 'ratio' | 'linear';
	/** The line actual ≈ slope × estimated + intercept, once enough varied samples exist. */
	slope?: number;
	intercept?: number;
	/** Whose samples: this backend's, the model's across backends (fallback), or none yet. */
	source: 'backend' | 'model' | 'none';
	/** Samples not learned from (this backend's, or the model's without a backend). */
	skipped: SkipCounts;
}

export interface SkipCounts {
	/** The count is below what the estimate allows: it covers only the uncached part of the prompt. */
	cacheReuse: number;
	/** The prefill was far faster than this backend's rate for the tokens counted: cache reuse. */
	prefillTime: number;
	/** Not a usable pair (zero, non-finite), or a count far above the family's bound. */
	implausible: number;
}

export type SkipReason = keyof SkipCounts;

export interface TokenUsageReport {
	/** Our calibrated estimate, made before this reply was learned from. */
	estimatedTokens: number;
	/** The model's own count (prompt_eval_count). */
	modelTokens: number;
	/** (estimated - model) / model × 100, two decimals. */
	errorPct: number;
}

export type TokenCalibratorOptions = Partial<RunningFitOptions>;

/** A backend needs this many samples of its own before its correction replaces the model's. */
const MIN_BACKEND_SAMPLES = 3;

const DEFAULTS: RunningFitOptions = { method: 'auto', alpha: 0.1, warmup: 10, window: 64 };

/** Tiny requests are dominated by template overhead: the bounds get this much absolute slack. */
const SLACK_TOKENS = 16;
/** Once a correction exists, a count this far below its prediction is cache reuse, not noise. */
const UNDER_TOLERANCE = 0.08;
/** Samples the correction needs before the under-prediction check above applies. */
const MIN_SAMPLES_FOR_UNDER_CHECK = 3;
/** Prefill rates are learned and checked on prompts of at least this many tokens (less is overhead). */
const MIN_TIMED_TOKENS = 256;
/** A prefill faster than this share of the backend's usual ms per token means cached tokens. */
const PREFILL_FAST_SHARE = 0.5;
const TIMED_SAMPLES_BEFORE_CHECK = 3;
/** Recent under-estimates kept for the upper bound, and the largest margin they may add. */
const RESIDUAL_WINDOW = 64;
const MAX_MARGIN = 0.1;
/**
 * A generic model's correction per script may be taught by several languages of that script (Russian
 * and Ukrainian differ by ~15 % against cl100k): its margin may grow further, as far as it saw.
 */
const MAX_SCRIPT_MARGIN = 0.3;

/** What one key (model, or model+backend) has learned. */
class Calibration {
	readonly fit: RunningFit;
	/** (actual − predicted) / predicted of recent accepted samples, predicted before learning. */
	readonly residuals: number[] = [];
	msPerToken = 0;
	timedSamples = 0;
	readonly skipped: SkipCounts = { cacheReuse: 0, prefillTime: 0, implausible: 0 };

	constructor(
		options: RunningFitOptions,
		private readonly maxMargin = MAX_MARGIN,
	) {
		this.fit = new RunningFit(options);
	}

	/** Why this sample must not be learned from, if it must not. */
	check(sample: CalibrationSample, bounds: Bounds): SkipReason | undefined {
		const { estimated, actual, promptEvalMs } = sample;
		if (!(estimated > 0) || !(actual > 0) || !Number.isFinite(estimated) || !Number.isFinite(actual)) return 'implausible';
		if (actual < estimated * bounds.min - SLACK_TOKENS) return 'cacheReuse';
		if (actual > estimated * bounds.max + SLACK_TOKENS * 4) return 'implausible';
		if (this.fit.samples >= MIN_SAMPLES_FOR_UNDER_CHECK && actual < this.fit.predict(estimated) * (1 - UNDER_TOLERANCE) - SLACK_TOKENS) return 'cacheReuse';
		if (promptEvalMs !== undefined && promptEvalMs > 0 && actual >= MIN_TIMED_TOKENS && this.timedSamples >= TIMED_SAMPLES_BEFORE_CHECK) {
			if (promptEvalMs / actual < this.msPerToken * PREFILL_FAST_SHARE) return 'prefillTime';
		}
		return undefined;
	}

	learn(sample: CalibrationSample): boolean {
		const predicted = this.fit.predict(sample.estimated);
		if (!this.fit.observe(sample.estimated, sample.actual)) return false;
		if (this.fit.samples > 1) {
			this.residuals.push((sample.actual - predicted) / predicted);
			if (this.residuals.length > RESIDUAL_WINDOW) this.residuals.shift();
		}
		const { promptEvalMs, actual } = sample;
		if (promptEvalMs !== undefined && promptEvalMs > 0 && actual >= MIN_TIMED_TOKENS) {
			const rate = promptEvalMs / actual;
			this.timedSamples++;
			this.msPerToken += (rate - this.msPerToken) / Math.min(this.timedSamples, 20);
		}
		return true;
	}

	/** The largest recent relative under-estimate (0 when the correction has never under-counted). */
	margin(): number {
		let worst = 0;
		for (const r of this.residuals) if (r > worst) worst = r;
		return Math.min(this.maxMargin, worst);
	}
}

export class TokenCalibrator {
	private readonly fits = new Map<string, Calibration>();
	private readonly options: RunningFitOptions;

	constructor(options: TokenCalibratorOptions = {}) {
		this.options = { ...DEFAULTS, ...options };
	}

	/**
	 * Learns from one reply; returns false when the sample was skipped (cache reuse shown by the count
	 * or the prefill time, or an implausible pair). The model-wide and the backend's corrections each
	 * judge the sample against what they have learned.
	 */
	observe(input: CalibrationSample): boolean {
		const script = learnedScript(input.script);
		// Every sample teaches the model's correction for text in general (what mixed text and callers
		// without a script use, exactly as before scripts), and its script's own when it has one.
		let accepted = this.learnUnder(input, undefined);
		if (script !== undefined) accepted = this.learnUnder(input, script);
		return accepted;
	}

	private learnUnder(sample: CalibrationSample, script: TextScript | undefined): boolean {
		const bounds = boundsFor(sample.model, script);
		const keys = [modelKey(sample.model, script), ...(sample.backend === undefined ? [] : [backendKey(sample.model, sample.backend, script)])];
		const maxMargin = script !== undefined && tokenFamily(sample.model) === 'generic' ? MAX_SCRIPT_MARGIN : MAX_MARGIN;
		let accepted = false;
		for (const key of keys) {
			const calibration = this.calibrationFor(key, maxMargin);
			const reason = calibration.check(sample, bounds);
			if (reason) calibration.skipped[reason]++;
			else accepted = calibration.learn(sample);
		}
		return accepted;
	}

	/**
	 * The estimate corrected towards the model's own count (rounded to whole tokens). The correction
	 * stays within the model family's bounds (families.ts), for a generic model and a script within
	 * that script's.
	 */
	calibrate(input: CalibrationQuery): number {
		const query = { ...input, script: learnedScript(input.script) };
		const calibration = this.inUse(query.model, query.backend, query.script);
		const corrected = calibration ? calibration.fit.predict(query.estimated) : query.estimated;
		const { min, max } = boundsFor(query.model, query.script);
		return Math.max(0, Math.round(Math.min(query.estimated * max, Math.max(query.estimated * min, corrected))));
	}

	/**
	 * What to budget for a request of this estimate when fitting it into num_ctx: the calibrated count
	 * plus the largest recent under-estimate (at most 10 %), never below the estimate × the fit floor
	 * (1 for families with their own vocabulary, whose estimate is the model's count; the script's for
	 * generic models).
	 */
	upperBound(input: CalibrationQuery): number {
		const query = { ...input, script: learnedScript(input.script) };
		const calibration = this.inUse(query.model, query.backend, query.script);
		const point = this.calibrate(query) * (1 + (calibration ? calibration.margin() : 0));
		return Math.ceil(Math.max(point, query.estimated * boundsFor(query.model, query.script).fitFloor));
	}

	stats(model: string, backend?: string, requestScript?: TextScript): CalibrationStats {
		const script = learnedScript(requestScript);
		const own = this.fits.get(backend === undefined ? modelKey(model, script) : backendKey(model, backend, script));
		const skipped = { ...(own?.skipped ?? { cacheReuse: 0, prefillTime: 0, implausible: 0 }) };
		const calibration = this.inUse(model, backend, script);
		if (!calibration) return { factor: 1, samples: 0, method: 'none', source: 'none', skipped };
		const fit = calibration.fit;
		const line = fit.line();
		return {
			factor: fit.factor,
			samples: fit.samples,
			method: fit.method(),
			...(line ? { slope: line.slope, intercept: line.intercept } : {}),
			source: backend !== undefined && calibration === own ? 'backend' : 'model',
			skipped,
		};
	}

	/**
	 * For item usage output: scores the calibrated estimate against the model's count, then learns
	 * from the pair. `estimated` is the raw (uncalibrated) estimate the request was sized with.
	 */
	report(model: string, backend: string | undefined, estimated: number, actual: number, promptEvalMs?: number, script?: TextScript): TokenUsageReport {
		const estimatedTokens = this.calibrate({ model, backend, estimated, script });
		this.observe({ model, backend, estimated, actual, promptEvalMs, script });
		const errorPct = actual > 0 ? Math.round(((estimatedTokens - actual) / actual) * 10_000) / 100 : 0;
		return { estimatedTokens, modelTokens: actual, errorPct };
	}

	/** Forgets everything learned (one model, or all). */
	reset(model?: string): void {
		if (model === undefined) return this.fits.clear();
		for (const key of [...this.fits.keys()]) {
			if (key.startsWith(`m\u0000${model}\u0000`) || key.startsWith(`b\u0000${model}\u0000`)) this.fits.delete(key);
		}
	}

	private inUse(model: string, backend?: string, script?: TextScript): Calibration | undefined {
		const own = backend === undefined ? undefined : this.fits.get(backendKey(model, backend, script));
		if (own && own.fit.samples >= MIN_BACKEND_SAMPLES) return own;
		const shared = this.fits.get(modelKey(model, script));
		if (shared && shared.fit.samples > 0) return shared;
		return own && own.fit.samples > 0 ? own : undefined;
	}

	private calibrationFor(key: string, maxMargin: number): Calibration {
		let calibration = this.fits.get(key);
		if (!calibration) {
			calibration = new Calibration(this.options, maxMargin);
			this.fits.set(key, calibration);
		}
		return calibration;
	}
}

function modelKey(model: string, script = ''): string {
	return `m\u0000${model}\u0000${script}`;
}

function backendKey(model: string, backend: string, script = ''): string {
	return `b\u0000${model}\u0000${script}\u0000${backend}`;
}

/** One calibrator per process, shared by every node execution. */
export const defaultCalibrator = new TokenCalibrator();
