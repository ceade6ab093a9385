/**
 * Fits a chat request into the model's context window (num_ctx): the system prompt and the new
 * prompt always go in, room is kept for the reply, and what is left is shared between recent
 * conversation history and documents. Counting reuses cached per-string counts, so refitting a
 * long conversation every turn does not re-encode it.
 *
 * Budget figures are in estimator (tiktoken) tokens, counted the way the `model`'s family frames
 * and tokenizes them (families.ts). When `calibrate` is given it maps an estimate to the tokens to
 * budget (the agent passes TokenCalibrator.upperBound, so a request never overflows num_ctx); the
 * window is converted once into estimator tokens (assuming calibrate grows with its input), and
 * `promptTokens` / `tokensSaved` are reported through it.
 */
import { ContextOverflowError } from './context-overflow-error';
import { countingFor, countMessageTokens, requestOverheadTokens, type ChatMessage } from './counter';
import { documentsDemand, fitDocumentsChunked, fitDocumentsWhole, type ContextDocument, type DocumentsFit } from './documents-fit';
import { DEFAULT_ENCODING, type TokenEncoding } from './encoders';
import { fitHistoryDropOldest, fitHistorySummarize, type HistoryFit, type Summarizer } from './history-fit';

export type FitStrategy = 'dropOldest' | 'summarize' | 'chunk';

export interface FitContextInput {
	system?: string;
	/** Conversation so far, oldest first. */
	history: ChatMessage[];
	documents?: ContextDocument[];
	/** The new user message. */
	prompt: string;
	numCtx: number;
	/** Tokens kept free for the reply (num_predict); -1 / unset means DEFAULT_RESERVE_OUTPUT. */
	reserveOutput: number;
	/** Shares of the budget left after system + prompt; unused share flows to the other side. */
	split?: { history: number; documents: number };
	strategy?: FitStrategy;
	/** Writes a summary of dropped turns in about targetTokens (strategy 'summarize'). */
	summarize?: Summarizer;
	encoding?: TokenEncoding;
	/** The model the request is for: its family's chat template and number rule shape the counts. */
	model?: string;
	/** Maps an estimate to the model's own count (e.g. TokenCalibrator.calibrate). */
	calibrate?: (estimated: number) => number;
	/** Chunk size for strategy 'chunk'. */
	chunkTokens?: number;
}

export interface FitBudget {
	numCtx: number;
	reserveOutput: number;
	/** For history + documents, after system, prompt, framing and the reserve. */
	available: number;
	/** Shares actually granted, spill-over included. */
	history: number;
	documents: number;
}

export interface FitResult {
	/**
	 * system prompt, [summary of earlier turns], kept history in order, [documents as one system
	 * message "Context documents …"], the prompt as the last (user) message.
	 */
	messages: ChatMessage[];
	/** Estimated prompt tokens of the whole request (calibrated when calibrate is given). */
	promptTokens: number;
	budget: FitBudget;
	dropped: { turns: number; documents: number; chunks: number; tokens: number };
	summarized?: { turns: number; tokensBefore: number; tokensAfter: number };
	/** Request tokens without fitting minus request tokens after. */
	tokensSaved: number;
	strategy: FitStrategy;
}

export const DEFAULT_RESERVE_OUTPUT = 512;
export const DEFAULT_SPLIT = { history: 0.6, documents: 0.4 } as const;

/** Tokens to keep for the reply given num_predict (-1 = unlimited, -2 = fill context, unset). */
export function resolveReserveOutput(numPredict?: number): number {
	return typeof numPredict === 'number' && Number.isFinite(numPredict) && numPredict >= 0 ? Math.floor(numPredict) : DEFAULT_RESERVE_OUTPUT;
}

function historyShare(split: FitContextInput['split']): number {
	if (!split) return DEFAULT_SPLIT.history;
	const { history, documents } = split;
	if (!(history >= 0) || !(documents >= 0) || history + documents <= 0) {
		throw new RangeError('fitContext: split shares must be non-negative numbers with a positive sum');
	}
	return history / (history + documents);
}

/** Largest estimate whose calibrated value still fits `limit` (binary search; calibrate is monotone). */
function estimatorLimit(limit: number, floor: number, calibrate?: (estimated: number) => number): number {
	if (!calibrate) return limit;
	let low = floor;
	let high = Math.max(floor + 1, limit);
	while (calibrate(high) <= limit && high < Number.MAX_SAFE_INTEGER / 2) {
		low = high;
		high *= 2;
	}
	while (high - low > 1) {
		const middle = Math.floor((low + high) / 2);
		if (calibrate(middle) <= limit) low = middle;
		else high = middle;
	}
	return low;
}

export async function fitContext(input: FitContextInput): Promise<FitResult> {
	const encoding = countingFor(input.model, input.encoding ?? DEFAULT_ENCODING);
	const strategy = input.strategy ?? 'dropOldest';
	const calibrated = input.calibrate ?? ((estimated: number) => estimated);
	const reserveOutput = resolveReserveOutput(input.reserveOutput);
	const documents = input.documents ?? [];
	const conversation = input.history ?? [];
	if (!(input.numCtx > 0)) throw new RangeError(`fitContext: numCtx must be a positive number, got ${input.numCtx}`);
	if (strategy === 'summarize' && !input.summarize) throw new TypeError("fitContext: strategy 'summarize' needs a summarize callback");
	const share = historyShare(input.split);

	const systemMessage: ChatMessage | undefined = input.system ? { role: 'system', content: input.system } : undefined;
	const promptMessage: ChatMessage = { role: 'user', content: input.prompt };
	const systemTokens = systemMessage ? countMessageTokens(systemMessage, encoding) : 0;
	const promptTokens = countMessageTokens(promptMessage, encoding);
	const fixed = requestOverheadTokens(encoding) + systemTokens + promptTokens;
	const limit = input.numCtx - reserveOutput;
	if (calibrated(fixed) > limit) {
		throw new ContextOverflowError({
			needed: calibrated(fixed) + reserveOutput,
			available: input.numCtx,
			systemTokens,
			promptTokens,
			reserveOutput,
		});
	}

	const available = estimatorLimit(limit, fixed, input.calibrate) - fixed;
	const historyBase = Math.floor(available * share);
	const documentsBase = available - historyBase;
	const documentsWanted = documentsDemand(documents, encoding);
	const historyBudget = historyBase + Math.max(0, documentsBase - documentsWanted);

	const history: HistoryFit =
		strategy === 'summarize'
			? await fitHistorySummarize({ history: conversation, budget: historyBudget, encoding, summarize: input.summarize })
			: fitHistoryDropOldest({ history: conversation, budget: historyBudget, encoding });
	const documentsBudget = available - history.tokens;
	const documentsInput = { documents, prompt: input.prompt, budget: documentsBudget, encoding, chunkTokens: input.chunkTokens };
	const fittedDocuments: DocumentsFit =
		documents.length === 0
			? { tokens: 0, droppedDocuments: 0, droppedChunks: 0, droppedTokens: 0 }
			: strategy === 'chunk'
				? fitDocumentsChunked(documentsInput)
				: fitDocumentsWhole(documentsInput);

	const messages: ChatMessage[] = [
		...(systemMessage ? [systemMessage] : []),
		...history.messages,
		...(fittedDocuments.message ? [fittedDocuments.message] : []),
		promptMessage,
	];
	const fittedTokens = calibrated(fixed + history.tokens + fittedDocuments.tokens);
	const unfittedTokens = calibrated(fixed + history.totalTokens + documentsWanted);
	return {
		messages,
		promptTokens: fittedTokens,
		budget: { numCtx: input.numCtx, reserveOutput, available, history: historyBudget, documents: documentsBudget },
		dropped: {
			turns: history.droppedTurns,
			documents: fittedDocuments.droppedDocuments,
			chunks: fittedDocuments.droppedChunks,
			tokens: history.droppedTokens + fittedDocuments.droppedTokens,
		},
		...(history.summarized ? { summarized: history.summarized } : {}),
		tokensSaved: Math.max(0, unfittedTokens - fittedTokens),
		strategy,
	};
}
