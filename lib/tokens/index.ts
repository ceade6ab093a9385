/**
 * Token management: counting (tiktoken), calibration against each model's own counts, fitting a
 * request into num_ctx, and lossless prompt compaction.
 */
export { countTextTokens, countChatTokens, type ChatMessage, type ChatRole, type CountChatOptions } from './counter';
export type { TokenEncoding } from './encoders';
export { tokenFamily, type TokenFamily } from './families';
export { textScript, GENERIC_FIT_FLOOR, type TextScript } from './scripts';
export {
	TokenCalibrator,
	defaultCalibrator,
	type CalibrationMethod,
	type CalibrationQuery,
	type CalibrationSample,
	type CalibrationStats,
	type SkipCounts,
	type TokenCalibratorOptions,
	type TokenUsageReport,
} from './calibrator';
export {
	fitContext,
	resolveReserveOutput,
	DEFAULT_RESERVE_OUTPUT,
	type FitContextInput,
	type FitResult,
	type FitBudget,
	type FitStrategy,
} from './fit-context';
export type { ContextDocument } from './documents-fit';
export type { Summarizer } from './history-fit';
export { ContextOverflowError, type ContextOverflowDetails } from './context-overflow-error';
export { compactPrompt, type CompactResult } from './compact';
