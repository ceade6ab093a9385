import type { ConversationStore } from '../memory';
import type { ChatRequest, Message } from '../ollama';
import {
	compactPrompt,
	ContextOverflowError,
	countChatTokens,
	fitContext,
	resolveReserveOutput,
	textScript,
	type ChatMessage,
	type FitResult,
	type TextScript,
	type TokenCalibrator,
} from '../tokens';
import type { AgentRunInput } from './run-types';
import { toOllamaTools, type AgentTool } from './tool';
import { trimToolResults } from './trim-tool-results';

/** Ollama's default context window when a request sets no num_ctx. */
export const SERVER_DEFAULT_NUM_CTX = 4096;

const SUMMARY_SYSTEM =
	'Summarize the conversation below for the assistant who continues it. Keep names, numbers, decisions and open questions. Be brief.';

export interface AgentContextDeps {
	calibrator: TokenCalibrator;
	store?: ConversationStore;
	tools: AgentTool[];
	/** One model call that is not streamed to the client (the summary of older turns). */
	chat: (request: ChatRequest) => Promise<{ message: Message }>;
	/** Where the context's warnings go (the turn's list). */
	warnings: string[];
}

/**
 * The context window of one agent turn: compaction, the conversation read from memory, fitting
 * system prompt, history, documents and prompt into num_ctx (dropping or summarising older turns),
 * and re-fitting before each tool-loop turn so tool output cannot overflow it. `fit` is the fit in
 * force; a re-fit replaces it.
 */
export class AgentContext {
	fit!: FitResult;
	numCtx = SERVER_DEFAULT_NUM_CTX;
	/** Characters removed by compaction (system prompt, prompt, documents). */
	compactedChars = 0;
	history: ChatMessage[] = [];
	/** The request's kind of text: calibration learns and floors each script apart (lib/tokens/scripts.ts). */
	script?: TextScript;
	private keepHistory = true;
	private system = '';
	private prompt = '';
	private documents: AgentRunInput['documents'] = [];
	private readonly ollamaTools: ReturnType<typeof toOllamaTools> | undefined;
	private readonly counting: { encoding: AgentRunInput['context']['encoding']; model: string };
	private readonly bareRequest: number;
	private readonly toolDefinitionTokens: number;
	private readonly reserve: number;

	private constructor(
		private readonly input: AgentRunInput,
		private readonly deps: AgentContextDeps,
	) {
		this.ollamaTools = deps.tools.length ? toOllamaTools(deps.tools) : undefined;
		this.counting = { encoding: input.context.encoding, model: input.model };
		this.bareRequest = countChatTokens([], this.counting);
		this.toolDefinitionTokens = this.ollamaTools ? countChatTokens([], { ...this.counting, tools: this.ollamaTools }) - this.bareRequest : 0;
		this.reserve = resolveReserveOutput(input.options.num_predict);
	}

	/** Reads memory, compacts and fits the turn's context (one summary call when the strategy summarises). */
	static async prepare(input: AgentRunInput, deps: AgentContextDeps): Promise<AgentContext> {
		const context = new AgentContext(input, deps);
		await context.fitFirst();
		return context;
	}

	/** The fitted messages: system, [summary], kept history, [documents], the prompt. */
	get messages(): Message[] {
		return this.fit.messages as Message[];
	}

	/** The estimated prompt tokens of the fitted request with its tool definitions, before calibration. */
	get rawEstimate(): number {
		return countChatTokens(this.fit.messages, { ...this.counting, tools: this.ollamaTools });
	}

	/**
	 * Before each tool-loop turn: the fitted request plus what the loop added, re-fitted when that
	 * no longer fits num_ctx — older history and documents give way first, then the longest tool
	 * results are cut (marked, and named in the warnings).
	 */
	readonly prepareTurn = async (added: Message[]): Promise<Message[]> => {
		const limit = this.numCtx - this.reserve;
		if (added.length === 0 || this.upperBound(countChatTokens([...this.fit.messages, ...added] as ChatMessage[], { ...this.counting, tools: this.ollamaTools })) <= limit) {
			return [...this.messages, ...added];
		}
		let loop = added;
		for (let attempt = 0; ; attempt++) {
			try {
				this.fit = await this.fitInto(this.numCtx, this.keepHistory, this.toolDefinitionTokens + this.messagesTokens(loop));
				return [...this.messages, ...loop];
			} catch (error) {
				if (!(error instanceof ContextOverflowError) || attempt >= 3) throw error;
				const trimmed = trimToolResults(loop, error.needed - error.available, (text) => this.messagesTokens([{ role: 'tool', content: text }]));
				if (trimmed.cut.length === 0) throw error;
				loop = trimmed.messages;
				for (const { tool, chars } of trimmed.cut) {
					this.deps.warnings.push(
						`A tool result of "${tool}" was cut by ${chars} characters to fit the context window (num_ctx ${this.numCtx}); raise the Context Window or make the tool return less.`,
					);
				}
			}
		}
	};

	private async fitFirst(): Promise<void> {
		const { input, deps } = this;
		this.system = this.compact(input.system);
		this.prompt = this.compact(input.prompt);
		this.documents = input.documents.map((d) => ({ ...d, text: this.compact(d.text) }));
		this.history = input.session && deps.store ? ((await deps.store.load(input.session)) as ChatMessage[]) : [];
		this.script = textScript([this.system, this.prompt, ...this.history.map((m) => m.content), ...this.documents.map((d) => d.text)]);
		const numCtxSet = Number(input.options.num_ctx) > 0;
		this.numCtx = numCtxSet ? Number(input.options.num_ctx) : SERVER_DEFAULT_NUM_CTX;
		try {
			this.fit = await this.fitInto(this.numCtx, true);
		} catch (error) {
			// Without a Context Window the server's real default is unknown (OLLAMA_CONTEXT_LENGTH may
			// be larger): send the prompt rather than refuse it, and say what to set.
			if (numCtxSet || !(error instanceof ContextOverflowError)) throw error;
			this.numCtx = error.needed;
			this.keepHistory = false;
			this.fit = await this.fitInto(this.numCtx, false);
			deps.warnings.push(
				`The prompt needs ~${error.needed} tokens, more than Ollama's default context of ${SERVER_DEFAULT_NUM_CTX}; history and documents were left out. Set the Context Window option, or the server may truncate the prompt.`,
			);
		}
	}

	private compact(text: string): string {
		if (!this.input.context.compact) return text;
		const result = compactPrompt(text);
		this.compactedChars += result.removedChars;
		return result.text;
	}

	private upperBound(estimated: number): number {
		return this.deps.calibrator.upperBound({ model: this.input.model, estimated, script: this.script });
	}

	/** Tokens of messages without the request's own overhead (counted once per request). */
	private messagesTokens(messages: Message[]): number {
		return countChatTokens(messages as ChatMessage[], this.counting) - this.bareRequest;
	}

	/**
	 * Fits history and documents around what must be sent: system prompt, prompt, the reply
	 * reserve and `extraTokens` (tool definitions, the tool loop's messages so far).
	 */
	private fitInto(numCtx: number, keepHistory: boolean, extraTokens = this.toolDefinitionTokens): Promise<FitResult> {
		const { input } = this;
		return fitContext({
			system: this.system,
			history: keepHistory ? this.history : [],
			documents: keepHistory ? this.documents : [],
			prompt: this.prompt,
			numCtx,
			reserveOutput: this.reserve + (extraTokens > 0 ? this.upperBound(extraTokens) : 0),
			split: { history: input.context.historyShare, documents: 1 - input.context.historyShare },
			strategy: input.context.strategy,
			encoding: input.context.encoding,
			model: input.model,
			calibrate: (estimated) => this.upperBound(estimated),
			summarize: async (turns, targetTokens) => {
				const transcript = turns.map((t) => `${t.role}: ${t.content}`).join('\n');
				const reply = await this.deps.chat({
					model: input.context.summaryModel || input.model,
					messages: [
						{ role: 'system', content: SUMMARY_SYSTEM },
						{ role: 'user', content: transcript },
					],
					options: { num_predict: Math.max(16, targetTokens) },
				});
				return reply.message.content;
			},
		});
	}
}
