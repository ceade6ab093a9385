/**
 * What the estimate knows about a model family's tokenizer and chat template, by model name.
 *
 * Each known family counts text with its model's own vocabulary (encoders.ts): Llama 3 (cl100k_base
 * plus its 27,744 further tokens), Qwen 2/2.5/3 (151,643 tokens, one digit per token), Gemma 3
 * (262k SentencePiece-BPE), gpt-oss (o200k_base) and the DeepSeek-R1 distills (their Qwen or Llama
 * base's vocabulary). Their chat templates (Ollama's) frame each message with a fixed number of
 * special tokens. Every other model (Mistral, Phi, DeepSeek V3 …) keeps the generic rule (cl100k or
 * o200k, OpenAI's per-message framing) and relies on calibration.
 */
import type { Vocabulary } from './encoders';

export type TokenFamily = 'llama3' | 'qwen' | 'gemma3' | 'gptoss' | 'deepseek-qwen' | 'deepseek-llama' | 'generic';

export interface FamilyProfile {
	family: TokenFamily;
	/** The model's own vocabulary; undefined for generic (the caller's encoding is used). */
	vocabulary?: Vocabulary;
	/** Texts the template writes before the first message, each between special tokens (counted once). */
	beginText: string[];
	/** Special tokens before the first message (BOS, the system header's markers). */
	begin: number;
	/** Special tokens around each message besides its role text (start/end markers). */
	perMessage: number;
	/** The texts a message's role is written as, each between special tokens (none when it is a special token). */
	roleText: (role: string) => string[];
	/** Special tokens a role adds beyond perMessage (gpt-oss's channel, DeepSeek's end marker). */
	roleExtra: (role: string) => number;
	/** Tokens that open the reply at the end of the prompt (the assistant header). */
	primer: number;
	/** The template trims message content (Llama 3's `| trim`). */
	trimContent: boolean;
	/** Text the template adds once when tools are offered (their JSON is counted on top). */
	toolsPreamble: string;
	/** How an assistant's tool call is written into the prompt. */
	renderToolCall: (name: string, args: unknown) => string;
	/**
	 * Bounds of the calibrated count relative to the estimate. A correction outside them is not a
	 * tokenizer difference but a measurement artefact (for example a prompt_eval_count that only
	 * covers the part of the prompt Ollama did not find in its cache).
	 */
	correction: { min: number; max: number };
	/**
	 * The budget context fitting uses is never below estimate × fitFloor. A family with its own
	 * vocabulary counts the model's tokens, so calibration may raise it (template additions) but
	 * not lower it; the generic family's floor depends on the script (scripts.ts).
	 */
	fitFloor: number;
}

const LLAMA3_TOOLS_PREAMBLE =
	'Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\n' +
	'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}. Do not use variables.\n\n';

const QWEN_TOOLS_PREAMBLE =
	'system\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n</tools>\n\n' +
	'For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>\n';

/**
 * gpt-oss's system message (harmony format, as Ollama renders it). The date changes daily but a
 * date always costs the same tokens.
 */
export const GPTOSS_SYSTEM_HEADER =
	'You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\nCurrent date: 2025-01-01\n\nReasoning: medium\n\n# Valid channels: analysis, commentary, final. Channel must be included for every message.';

/** Generic framing, as in OpenAI's published rule for cl100k models. */
export const TOKENS_PER_MESSAGE = 3;
export const REPLY_PRIMER_TOKENS = 3;

const sameRole = (role: string) => [role];
const none = () => 0;
const exact = { correction: { min: 0.9, max: 1.5 }, fitFloor: 1 };

const PROFILES: Record<TokenFamily, FamilyProfile> = {
	// <|begin_of_text|> · per message <|start_header_id|> role <|end_header_id|> "\n\n" … <|eot_id|>
	llama3: {
		family: 'llama3',
		vocabulary: 'llama3',
		beginText: [],
		begin: 1,
		perMessage: 4,
		roleText: sameRole,
		roleExtra: none,
		primer: 4,
		trimContent: true,
		toolsPreamble: LLAMA3_TOOLS_PREAMBLE,
		renderToolCall: (name, args) => JSON.stringify({ name, parameters: args ?? {} }),
		...exact,
	},
	// per message <|im_start|> role "\n" … <|im_end|> "\n"; the reply opens with <|im_start|>assistant "\n"
	qwen: {
		family: 'qwen',
		vocabulary: 'qwen',
		beginText: [],
		begin: 0,
		perMessage: 4,
		roleText: sameRole,
		roleExtra: none,
		primer: 3,
		trimContent: false,
		toolsPreamble: QWEN_TOOLS_PREAMBLE,
		renderToolCall: (name, args) => `<tool_call>\n{"name": "${name}", "arguments": ${JSON.stringify(args ?? {})}}\n</tool_call>`,
		...exact,
	},
	// Ollama's gemma3 template: <bos> · per message <start_of_turn> user|model "\n" … <end_of_turn> "\n";
	// a system message is a user turn; the reply opens with <start_of_turn> model "\n".
	gemma3: {
		family: 'gemma3',
		vocabulary: 'gemma3',
		beginText: [],
		begin: 1,
		perMessage: 4,
		roleText: (role) => [role === 'assistant' ? 'model' : 'user'],
		roleExtra: none,
		primer: 3,
		trimContent: false,
		toolsPreamble: '',
		renderToolCall: (name, args) => JSON.stringify({ name, arguments: args ?? {} }),
		...exact,
	},
	// Harmony: <|start|>system<|message|>{header}<|end|> · per message <|start|> role <|message|> … <|end|>,
	// a system message as the developer's "# Instructions", an assistant's as <|channel|>final; the
	// reply opens with <|start|>assistant.
	gptoss: {
		family: 'gptoss',
		vocabulary: 'o200k_base',
		beginText: ['system', GPTOSS_SYSTEM_HEADER],
		begin: 3,
		perMessage: 3,
		roleText: (role) => (role === 'system' ? ['developer', '# Instructions\n\n'] : role === 'assistant' ? ['assistant', 'final'] : [role]),
		roleExtra: (role) => (role === 'assistant' ? 1 : 0),
		primer: 2,
		trimContent: false,
		toolsPreamble: '',
		renderToolCall: (name, args) => JSON.stringify({ name, arguments: args ?? {} }),
		...exact,
	},
	// DeepSeek-R1 distills: <｜begin▁of▁sentence｜> system text · <｜User｜> … · <｜Assistant｜> … <｜end▁of▁sentence｜>;
	// the reply opens with <｜Assistant｜>. Text in the base model's vocabulary.
	'deepseek-qwen': deepseek('deepseek-qwen', 'qwen'),
	'deepseek-llama': deepseek('deepseek-llama', 'llama3'),
	generic: {
		family: 'generic',
		beginText: [],
		begin: 0,
		perMessage: TOKENS_PER_MESSAGE,
		roleText: sameRole,
		roleExtra: none,
		primer: REPLY_PRIMER_TOKENS,
		trimContent: false,
		toolsPreamble: '',
		renderToolCall: (name, args) => JSON.stringify({ function: { name, arguments: args ?? {} } }),
		// SentencePiece vocabularies of 32k tokens count up to ~1.4× cl100k; large ones (Gemma) ~0.9×.
		correction: { min: 0.75, max: 4 },
		fitFloor: 0.75,
	},
};

function deepseek(family: TokenFamily, vocabulary: Vocabulary): FamilyProfile {
	return {
		family,
		vocabulary,
		beginText: [],
		begin: 1,
		perMessage: 0,
		roleText: () => [],
		roleExtra: (role) => (role === 'assistant' ? 2 : role === 'system' ? 0 : 1),
		primer: 1,
		trimContent: false,
		toolsPreamble: '',
		renderToolCall: (name, args) => JSON.stringify({ name, arguments: args ?? {} }),
		...exact,
	};
}

/**
 * By Ollama library name: `llama3`, `llama3.1:8b`, `llama3.2:3b`, `llama3.3:70b` → llama3;
 * `qwen2`, `qwen2.5:7b`, `qwen2.5-coder`, `qwen3:8b` → qwen; `gemma3:4b`, `gemma3n` → gemma3;
 * `gpt-oss:20b` → gptoss; `deepseek-r1` (1.5b, 7b, 8b, 14b, 32b: Qwen 2.5 / Qwen 3 bases) →
 * deepseek-qwen, `deepseek-r1:70b` (Llama 3.3 base) → deepseek-llama, `deepseek-r1:671b` (DeepSeek
 * V3's own vocabulary) and anything else → generic.
 */
export function tokenFamily(model?: string): TokenFamily {
	if (!model) return 'generic';
	const name = model.toLowerCase().split('/').pop() ?? '';
	if (/^llama-?3(?!\d)/.test(name)) return 'llama3';
	if (/^qwen-?[23](?!\d)/.test(name)) return 'qwen';
	if (/^gemma-?3(?!\d)/.test(name)) return 'gemma3';
	if (/^gpt-?oss(?![\w.])/.test(name)) return 'gptoss';
	if (/^deepseek-r1(?![\w.])/.test(name)) {
		const tag = name.split(':')[1] ?? '';
		if (/^671b/.test(tag)) return 'generic';
		return /^70b/.test(tag) ? 'deepseek-llama' : 'deepseek-qwen';
	}
	return 'generic';
}

export function familyProfile(family: TokenFamily = 'generic'): FamilyProfile {
	return PROFILES[family];
}
