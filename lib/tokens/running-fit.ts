/**
 * Running correction from estimated to actual token counts for one model (or model+backend).
 * Two predictors learn side by side:
 *  - ratio: actual ≈ factor × estimated (mean of ratios during warm-up, EWMA after);
 *  - linear: actual ≈ slope × estimated + intercept, least squares over a window of recent samples.
 *    Chat templates add a fixed per-request offset that a pure ratio smears over request size.
 * Each is scored on every new sample BEFORE learning from it (an honest, out-of-sample error), and
 * 'auto' uses whichever has been more accurate lately.
 */

export type CalibrationMethod = 'auto' | 'ratio' | 'linear';

export interface RunningFitOptions {
	method: CalibrationMethod;
	/** EWMA weight of a new ratio once warm-up is over. */
	alpha: number;
	/** Samples averaged with equal weight before the EWMA takes over. */
	warmup: number;
	/** Recent samples the linear fit uses. */
	window: number;
}

/** Ratios outside these bounds are measurement errors, not tokenizer differences... */
const MIN_RATIO = 0.25;
const MAX_RATIO = 4;
/** ...unless the gap is small in absolute terms: tiny requests are dominated by template overhead. */
const ABSOLUTE_SLACK = 64;
/**
 * After warm-up, a count more than this factor away from the prediction is an outlier (for example
 * a prompt_eval_count that only covers tokens Ollama did not find in its KV cache)...
 */
const OUTLIER_FACTOR = 2;
/** ...unless outliers keep coming: then the model behind the name changed, so start over. */
const OUTLIERS_BEFORE_RESET = 5;
/** Both predictors need this many head-to-head scores before 'auto' trusts the comparison. */
const MIN_COMPARISONS = 3;
/** Weight of a new error in the running error scores. */
const ERROR_ALPHA = 0.2;

interface Sample {
	estimated: number;
	actual: number;
}

interface LinearFit {
	slope: number;
	intercept: number;
}

export class RunningFit {
	samples = 0;
	factor = 1;
	private readonly recent: Sample[] = [];
	private linear: LinearFit | undefined;
	private consecutiveOutliers = 0;
	private ratioError = 0;
	private linearError = 0;
	private comparisons = 0;

	constructor(private readonly options: RunningFitOptions) {}

	/** Learns from one sample; returns false when the sample was rejected as an outlier. */
	observe(estimated: number, actual: number): boolean {
		if (!(estimated > 0) || !(actual > 0) || !Number.isFinite(estimated) || !Number.isFinite(actual)) return false;
		if (isAbsurd(estimated, actual)) return false;
		if (this.isOutlier(estimated, actual)) {
			if (++this.consecutiveOutliers < OUTLIERS_BEFORE_RESET) return false;
			this.reset();
		}
		this.consecutiveOutliers = 0;
		this.score(estimated, actual);
		this.samples++;
		const ratio = clamp(actual / estimated, MIN_RATIO, MAX_RATIO);
		const weight = this.samples <= this.options.warmup ? 1 / this.samples : this.options.alpha;
		this.factor += weight * (ratio - this.factor);
		this.recent.push({ estimated, actual });
		if (this.recent.length > this.options.window) this.recent.shift();
		this.linear = fitLine(this.recent);
		return true;
	}

	predict(estimated: number): number {
		if (this.samples === 0) return estimated;
		const linear = this.useLinear() ? this.predictLinear(estimated) : undefined;
		return linear ?? estimated * this.factor;
	}

	method(): 'none' | 'ratio' | 'linear' {
		if (this.samples === 0) return 'none';
		return this.useLinear() ? 'linear' : 'ratio';
	}

	line(): LinearFit | undefined {
		return this.linear;
	}

	private useLinear(): boolean {
		if (!this.linear) return false;
		if (this.options.method === 'linear') return true;
		if (this.options.method === 'ratio') return false;
		return this.comparisons >= MIN_COMPARISONS && this.linearError < this.ratioError;
	}

	private predictLinear(estimated: number): number | undefined {
		if (!this.linear) return undefined;
		const predicted = this.linear.slope * estimated + this.linear.intercept;
		// Far below the sampled range an intercept can go negative; the ratio is safer there.
		return predicted >= 1 ? predicted : undefined;
	}

	private isOutlier(estimated: number, actual: number): boolean {
		if (this.samples < this.options.warmup) return false;
		const predicted = this.predict(estimated);
		if (Math.abs(actual - predicted) <= ABSOLUTE_SLACK) return false;
		return actual > predicted * OUTLIER_FACTOR || actual < predicted / OUTLIER_FACTOR;
	}

	private score(estimated: number, actual: number): void {
		const linear = this.predictLinear(estimated);
		if (this.samples === 0 || linear === undefined) return;
		const ratioError = Math.abs(estimated * this.factor - actual) / actual;
		const linearError = Math.abs(linear - actual) / actual;
		const weight = this.comparisons < 1 / ERROR_ALPHA ? 1 / (this.comparisons + 1) : ERROR_ALPHA;
		this.ratioError += weight * (ratioError - this.ratioError);
		this.linearError += weight * (linearError - this.linearError);
		this.comparisons++;
	}

	private reset(): void {
		this.samples = 0;
		this.factor = 1;
		this.recent.length = 0;
		this.linear = undefined;
		this.ratioError = 0;
		this.linearError = 0;
		this.comparisons = 0;
	}
}

function isAbsurd(estimated: number, actual: number): boolean {
	if (Math.abs(actual - estimated) <= ABSOLUTE_SLACK) return false;
	const ratio = actual / estimated;
	return ratio < MIN_RATIO || ratio > MAX_RATIO;
}

function clamp(value: number, min: number, max: number): number {
	return Math.min(max, Math.max(min, value));
}

/** Ordinary least squares; undefined when the samples cannot pin down a sane line. */
function fitLine(samples: Sample[]): LinearFit | undefined {
	const n = samples.length;
	if (n < 3) return undefined;
	let sumX = 0;
	let sumY = 0;
	for (const s of samples) {
		sumX += s.estimated;
		sumY += s.actual;
	}
	const meanX = sumX / n;
	const meanY = sumY / n;
	let covariance = 0;
	let varianceX = 0;
	for (const s of samples) {
		const dx = s.estimated - meanX;
		covariance += dx * (s.actual - meanY);
		varianceX += dx * dx;
	}
	// Requests of nearly one size give a slope that is mostly noise.
	const spread = Math.sqrt(varianceX / n);
	if (spread < 0.05 * meanX) return undefined;
	const slope = covariance / varianceX;
	if (slope < MIN_RATIO || slope > MAX_RATIO) return undefined;
	return { slope, intercept: meanY - slope * meanX };
}
