/**
 * Learns how far tiktoken estimates are from each model's own token count (the `prompt_eval_count`
 * of every reply) and corrects later estimates. Corrections are kept per model+backend (two servers
 * may run different builds or templates of one model name) and per model, the fallback used while a
 * backend is still new.
 */
import { RunningFit, type RunningFitOptions } from './running-fit';

export type { CalibrationMethod } from './running-fit';

export interface CalibrationSample {
	model: string;
	backend?: string;
	/** Our estimate of the request's prompt tokens (uncalibrated). */
	estimated: number;
	/** The model's count: the reply's `prompt_eval_count`. */
	actual: number;
}

export interface CalibrationQuery {
	model: string;
	backend?: string;
	estimated: number;
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
}

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

export class TokenCalibrator {
	private readonly fits = new Map<string, RunningFit>();
	private readonly options: RunningFitOptions;

	constructor(options: TokenCalibratorOptions = {}) {
		this.options = { ...DEFAULTS, ...options };
	}

	/** Learns from one reply; returns false when the sample was rejected as implausible. */
	observe(sample: CalibrationSample): boolean {
		const modelAccepted = this.fitFor(modelKey(sample.model)).observe(sample.estimated, sample.actual);
		if (sample.backend === undefined) return modelAccepted;
		return this.fitFor(backendKey(sample.model, sample.backend)).observe(sample.estimated, sample.actual);
	}

	/** The estimate corrected towards the model's own count (rounded to whole tokens). */
	calibrate(query: CalibrationQuery): number {
		const fit = this.fitInUse(query.model, query.backend);
		const corrected = fit ? fit.predict(query.estimated) : query.estimated;
		return Math.max(0, Math.round(corrected));
	}

	stats(model: string, backend?: string): CalibrationStats {
		const fit = this.fitInUse(model, backend);
		if (!fit) return { factor: 1, samples: 0, method: 'none', source: 'none' };
		const line = fit.line();
		const ownBackend = backend !== undefined && fit === this.fits.get(backendKey(model, backend));
		return {
			factor: fit.factor,
			samples: fit.samples,
			method: fit.method(),
			...(line ? { slope: line.slope, intercept: line.intercept } : {}),
			source: ownBackend ? 'backend' : 'model',
		};
	}

	/**
	 * For item usage output: scores the calibrated estimate against the model's count, then learns
	 * from the pair. `estimated` is the raw (uncalibrated) estimate the request was sized with.
	 */
	report(model: string, backend: string | undefined, estimated: number, actual: number): TokenUsageReport {
		const estimatedTokens = this.calibrate({ model, backend, estimated });
		this.observe({ model, backend, estimated, actual });
		const errorPct = actual > 0 ? Math.round(((estimatedTokens - actual) / actual) * 10_000) / 100 : 0;
		return { estimatedTokens, modelTokens: actual, errorPct };
	}

	/** Forgets everything learned (one model, or all). */
	reset(model?: string): void {
		if (model === undefined) return this.fits.clear();
		for (const key of [...this.fits.keys()]) {
			if (key === modelKey(model) || key.startsWith(backendKey(model, ''))) this.fits.delete(key);
		}
	}

	private fitInUse(model: string, backend?: string): RunningFit | undefined {
		const own = backend === undefined ? undefined : this.fits.get(backendKey(model, backend));
		if (own && own.samples >= MIN_BACKEND_SAMPLES) return own;
		const shared = this.fits.get(modelKey(model));
		if (shared && shared.samples > 0) return shared;
		return own && own.samples > 0 ? own : undefined;
	}

	private fitFor(key: string): RunningFit {
		let fit = this.fits.get(key);
		if (!fit) {
			fit = new RunningFit(this.options);
			this.fits.set(key, fit);
		}
		return fit;
	}
}

function modelKey(model: string): string {
	return `m\u0000${model}`;
}

function backendKey(model: string, backend: string): string {
	return `b\u0000${model}\u0000${backend}`;
}

/** One calibrator per process, shared by every node execution. */
export const defaultCalibrator = new TokenCalibrator();
