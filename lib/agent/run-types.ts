import type { Gateway, GatewayChatResult } from '../gateway';
import type { ConversationStore, SessionRef } from '../memory';
import type { ChatRequest } from '../ollama';
import type { CachePolicy } from '../pipeline';
import type { ContextDocument, FitResult, FitStrategy, TokenCalibrator, TokenEncoding } from '../tokens';
import type { OutputFormat } from './structured-output';
import type { AgentTool, ToolCallTrace } from './tool';

// What one agent turn takes and gives (runAgent), in a file of its own so the parts of the turn
// (agent-context.ts, format-retry.ts) can name them without importing runAgent.

export interface AgentRunInput {
	model: string;
	system: string;
	prompt: string;
	/** Ollama options (temperature, seed, num_ctx, num_predict …). */
	options: NonNullable<ChatRequest['options']>;
	keepAlive?: string | number;
	format: OutputFormat;
	documents: ContextDocument[];
	/** The conversation to read and extend (scoped to a workflow unless shared on purpose). */
	session?: SessionRef;
	context: {
		strategy: FitStrategy;
		/** Share of the free context for the conversation, 0–1 (the rest is for documents). */
		historyShare: number;
		summaryModel?: string;
		compact: boolean;
		encoding: TokenEncoding;
	};
	maxToolIterations: number;
	/** Answer from / store in the response cache (lib/cache); absent: no caching for this item. */
	cache?: CachePolicy;
}

export interface AgentRunDeps {
	gateway: Gateway;
	calibrator: TokenCalibrator;
	store?: ConversationStore;
	tools?: AgentTool[];
	signal?: AbortSignal;
	onChunk?: (text: string) => void;
	onToolCall?: (trace: ToolCallTrace) => void;
	/** Stops repeated tool calls (same tool, same arguments) in the tool loop; see runToolLoop. */
	repeatGuard?: { seen: Map<string, ToolCallTrace> };
	/** Every model call that returned (tool turns, the format retry, summaries), as it returns. */
	onCall?: (result: GatewayChatResult) => void;
	/** Every model call that failed, with what is known of it (the caller decides what counts). */
	onCallFailed?: (error: unknown, call: { model: string; latencyMs: number }) => void;
}

export interface AgentRunResult {
	response: string;
	/** The parsed reply for JSON output formats. */
	data?: unknown;
	final: GatewayChatResult;
	/** Every model call the item made (tool turns, the format retry, the summary). */
	calls: GatewayChatResult[];
	/** Index in `calls` of the first call of the answer (after any summary call): the estimate's. */
	mainCallIndex: number;
	estimate: { estimatedTokens: number; modelTokens: number; errorPct: number };
	context: {
		numCtx: number;
		/** The fitted request's size as the budget counted it (calibrated estimate, tool definitions excluded). */
		fittedPromptTokens: number;
		dropped: FitResult['dropped'];
		summarized?: FitResult['summarized'];
		tokensSaved: number;
		compactedChars: number;
		strategy: FitResult['strategy'];
	};
	trace: ToolCallTrace[];
	warnings: string[];
	memory?: { store: ConversationStore['kind']; sessionKey: string; scope: 'workflow' | 'shared'; historyMessages: number };
}
