/**
 * What the estimate knows about a model family's tokenizer and chat template, by model name.
 *
 * Llama 3 and Qwen (2, 2.5, 3) use byte-level BPE vocabularies grown from the same start as
 * tiktoken's cl100k_base, with the same pre-tokenizer, so cl100k counts their text almost exactly —
 * except that Qwen splits every number into single digits where cl100k takes up to three. Their
 * chat templates frame each message with a fixed number of special tokens. Every other model keeps
 * the generic rule (OpenAI's per-message framing) and relies on calibration.
 */

export type TokenFamily = 'llama3' | 'qwen' | 'generic';

export interface FamilyProfile {
	family: TokenFamily;
	/** Tokens before the first message (BOS). */
	begin: number;
	/** Framing tokens around each message besides its role name (start/end markers, separators). */
	perMessage: number;
	/** Tokens that open the reply at the end of the prompt (the assistant header). */
	primer: number;
	/** The template trims message content (Llama 3's `| trim`). */
	trimContent: boolean;
	/** Numbers are split into single digits (Qwen) instead of cl100k's groups of up to three. */
	singleDigits: boolean;
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
	 * The budget context fitting uses is never below estimate × fitFloor. For Llama 3 and Qwen the
	 * estimate counts at least the model's tokens (their vocabularies contain cl100k's merges), so
	 * calibration may raise it (template additions) but not lower it.
	 */
	fitFloor: number;
}

const LLAMA3_TOOLS_PREAMBLE =
	'Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\n' +
	'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}. Do not use variables.\n\n';

const QWEN_TOOLS_PREAMBLE =
	'system\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n</tools>\n\n' +
	'For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>\n';

/** Generic framing, as in OpenAI's published rule for cl100k models. */
export const TOKENS_PER_MESSAGE = 3;
export const REPLY_PRIMER_TOKENS = 3;

const PROFILES: Record<TokenFamily, FamilyProfile> = {
	// <|begin_of_text|> · per message <|start_header_id|> role <|end_header_id|> "\n\n" … <|eot_id|>
	llama3: {
		family: 'llama3',
		begin: 1,
		perMessage: 4,
		primer: 4,
		trimContent: true,
		singleDigits: false,
		toolsPreamble: LLAMA3_TOOLS_PREAMBLE,
		renderToolCall: (name, args) => JSON.stringify({ name, parameters: args ?? {} }),
		correction: { min: 0.9, max: 1.5 },
		fitFloor: 1,
	},
	// per message <|im_start|> role "\n" … <|im_end|> "\n"; the reply opens with <|im_start|>assistant "\n"
	qwen: {
		family: 'qwen',
		begin: 0,
		perMessage: 4,
		primer: 3,
		trimContent: false,
		singleDigits: true,
		toolsPreamble: QWEN_TOOLS_PREAMBLE,
		renderToolCall: (name, args) => `<tool_call>\n{"name": "${name}", "arguments": ${JSON.stringify(args ?? {})}}\n</tool_call>`,
		correction: { min: 0.9, max: 1.5 },
		fitFloor: 1,
	},
	generic: {
		family: 'generic',
		begin: 0,
		perMessage: TOKENS_PER_MESSAGE,
		primer: REPLY_PRIMER_TOKENS,
		trimContent: false,
		singleDigits: false,
		toolsPreamble: '',
		renderToolCall: (name, args) => JSON.stringify({ function: { name, arguments: args ?? {} } }),
		// SentencePiece vocabularies of 32k tokens count up to ~1.4× cl100k; large ones (Gemma) ~0.9×.
		correction: { min: 0.75, max: 4 },
		fitFloor: 0.75,
	},
};

/**
 * By Ollama library name: `llama3`, `llama3.1:8b`, `llama3.2:3b`, `llama3.3:70b` → llama3;
 * `qwen2`, `qwen2.5:7b`, `qwen2.5-coder`, `qwen3:8b` → qwen; anything else → generic.
 */
export function tokenFamily(model?: string): TokenFamily {
	if (!model) return 'generic';
	const name = model.toLowerCase().split('/').pop() ?? '';
	if (/^llama-?3(?!\d)/.test(name)) return 'llama3';
	if (/^qwen-?[23](?!\d)/.test(name)) return 'qwen';
	return 'generic';
}

export function familyProfile(family: TokenFamily = 'generic'): FamilyProfile {
	return PROFILES[family];
}
