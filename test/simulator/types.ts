import type { SimModelSpec } from './models';

/** Cost model and server settings; every field can be changed live with `setOptions`. */
export interface CostModel {
	/** OLLAMA_NUM_PARALLEL: slots per loaded chat model (default 1, as Ollama since v0.9.7) */
	parallel: number;
	/** slots per loaded embedding model; Ollama always loads embedding models with 1 (default 1) */
	embeddingParallel: number;
	/**
	 * OLLAMA_MAX_QUEUE (default 512). With queueRule "modern" only requests that need a load or a
	 * reload count (they wait in sched.go's pending channel); with "legacy" every waiting request counts.
	 */
	maxQueue: number;
	/**
	 * "modern" (Ollama >= 0.11.5, default): a request for a loaded model with compatible runner options
	 * goes straight to the runner and waits there for a slot without limit. "legacy": every waiting
	 * request counts against maxQueue (older servers / the previous simulator).
	 */
	queueRule: 'modern' | 'legacy';
	/**
	 * Prompt tokens per second of one model, i.e. 1000 / prefillTokenMs (default 4000). Setting it sets
	 * prefillTokenMs.
	 */
	prefillTokensPerSec: number;
	/**
	 * Decode speed of ONE stream alone: 1000 / (stepMs + decodeTokenMs) (default 125 tokens/s).
	 * Setting it scales stepMs and decodeTokenMs together (their ratio stays).
	 */
	decodeTokensPerSec: number;
	/** fixed cost of one forward step of a model's batch, in ms (default 6.86) */
	stepMs: number;
	/** cost of each decoding sequence's token in a step, in ms (default 1.14) */
	decodeTokenMs: number;
	/** cost of each prompt (prefill) token in a step, in ms (default 0.25) */
	prefillTokenMs: number;
	/**
	 * OLLAMA_MULTIUSER_CACHE: choose a slot's prompt cache by findBestCacheSlot (keeps other users'
	 * prefixes) instead of findLongestCacheSlot (default false, as Ollama)
	 */
	multiUserCache: boolean;
	/** num_batch when a request sets none: prompt tokens + decode tokens per step (default 512) */
	numBatch: number;
	/** VRAM of the simulated GPU in GiB (default 80, an H100/A100 80 GB) */
	vramGiB: number;
	/** system RAM a model that does not fit in VRAM alone may spill into, in GiB (default 64; 0 = none) */
	systemMemoryGiB: number;
	/** time after an unload before its memory counts as free (sched.go waitForVRAMRecovery), ms, scaled (default 250) */
	unloadDelayMs: number;
	/** cold-load time of a model (default 300 ms) */
	loadMs: number;
	/** OLLAMA_KEEP_ALIVE: Go duration string or seconds; negative = forever (default "5m") */
	defaultKeepAlive: string | number;
	/** OLLAMA_MAX_LOADED_MODELS (default 3) */
	maxLoadedModels: number;
	/** OLLAMA_CONTEXT_LENGTH: num_ctx when a request sets none (default 4096; capped by the model's context) */
	defaultNumCtx: number;
	/** multiplies load, prefill and decode times; 0 = no compute time at all (default 1) */
	timeScale: number;
	/** length range of generated prose replies in simulator tokens (default 20..80; num_predict still caps) */
	replyTokensMin: number;
	replyTokensMax: number;
	/**
	 * reported by GET /api/version (default "0.32.15"). Also selects what prompt_eval_count reports:
	 * the whole prompt, except on 0.30.0 (llama-server before "include cached prompt tokens",
	 * v0.30.1), where it is only the part after the cached prefix.
	 */
	version: string;
	/** similarity of two unrelated texts' embeddings (cosine, default 0.3; 0 = none) */
	embedBaseline: number;
	/** when set, requests without `Authorization: Bearer <apiKey>` get 401 (control endpoints /_sim/* are exempt) */
	apiKey?: string;
	/** the model catalogue (default DEFAULT_MODELS) */
	models: SimModelSpec[];
}

export interface SimFaults {
	/** fraction of inference requests (chat/generate/embed/embeddings) answered HTTP 500 */
	errorRate: number;
	/** fraction of inference requests that are accepted and never answered */
	hangRate: number;
	/** fraction of streaming responses whose socket is destroyed after a few chunks */
	dropMidStreamRate: number;
	/** extra wall-clock delay (not scaled by timeScale) before the first token / a non-stream reply */
	firstTokenDelayMs: number;
	/** the next N inference requests get HTTP 500 (decremented per request) */
	failNext: number;
	/** seed of the fault RNG (setting it re-seeds) */
	seed: number;
	/**
	 * fraction of chat/generate requests whose runner crashes: 500 "model runner has unexpectedly
	 * stopped, ..." (or an {"error"} line inside the 200 stream once tokens were sent); every request
	 * on that runner fails the same way and the next request loads the model again (cold)
	 */
	crashRate: number;
	/** the next N chat/generate requests crash their runner (decremented per request) */
	crashNext: number;
	/** a crash happens after this many generated tokens (default 3; 0 = before the first token) */
	crashAfterTokens: number;
	/** the next N model loads fail ("llama-server process has terminated: ...", HTTP 500) */
	loadFailNext: number;
	/**
	 * 1 = the whole server hangs (a frozen process: connections are accepted, nothing is answered):
	 * new requests of every endpoint but /_sim/* get no reply, streams in progress send nothing
	 * more; 0 thaws it (held requests and streams go on). Unlike hangRate, probes hang too.
	 */
	hang: number;
}

export interface ScriptToolCall {
	name: string;
	arguments?: Record<string, unknown>;
}

/** A scripted reply, matched against the last user message (chat) or the prompt (generate). */
export interface ScriptRule {
	/** RegExp, or a string that is used as a RegExp source (with `flags`) */
	match: RegExp | string;
	flags?: string;
	/** fixed reply text, returned as-is (even for format json, so tests can feed malformed JSON) */
	reply?: string;
	/** tool calls to return instead of text (chat only) */
	toolCalls?: ScriptToolCall[];
	/** how many times the rule may fire (default unlimited) */
	times?: number;
	/** only for this model (name with or without ":latest") */
	model?: string;
	/**
	 * what `match` is tested against in /api/chat: the last user message (default), or the last
	 * message of any role (e.g. to script the answer that follows a tool result)
	 */
	on?: 'lastUser' | 'lastMessage';
}

export interface RequestLogEntry {
	time: string;
	method: string;
	path: string;
	/** parsed JSON body, the raw text when it was not JSON, or null */
	body: unknown;
	/** request headers without `authorization` */
	headers: Record<string, string | string[] | undefined>;
	/** whether an Authorization header was present */
	authorized: boolean;
}

export interface SimStats {
	/** all requests except the control endpoints /_sim/* */
	requests: number;
	requestsByEndpoint: Record<string, number>;
	/** by normalised model name, e.g. "llama3.2:3b", "nomic-embed-text:latest" */
	requestsByModel: Record<string, number>;
	responsesByStatus: Record<string, number>;
	/** requests holding a slot now (loading, prefill, decode) */
	active: number;
	maxActive: number;
	/** requests waiting for a slot / a load now */
	queued: number;
	maxQueued: number;
	/** model requests (chat, generate, embed) open at the server now, queued or running: what a client has in flight here */
	inFlight: number;
	maxInFlight: number;
	rejected503: number;
	/** HTTP 500 answers (simulated faults and other internal errors) */
	errors500: number;
	unauthorized401: number;
	hung: number;
	droppedStreams: number;
	/** requests whose client went away before the answer was complete */
	aborted: number;
	completed: number;
	/** every model load, reloads included */
	loads: number;
	/** loads that failed (loadFailNext, or a model that does not fit) */
	loadFailures: number;
	/** runner crashes (crashRate / crashNext) */
	crashes: number;
	/** prompt tokens served from a slot's KV cache (not processed again) */
	cachedPromptTokens: number;
	/** forward steps computed (all models) */
	steps: number;
	/** loads caused by changed runner options (num_ctx, num_batch, num_gpu, num_thread, use_mmap, main_gpu) */
	reloads: number;
	unloads: number;
	promptTokens: number;
	evalTokens: number;
	lastRequests: RequestLogEntry[];
	/** TCP connections accepted */
	connections: number;
}

export interface SimulatorOptions extends Partial<CostModel> {
	/** default 127.0.0.1 */
	host?: string;
	/** default 0 (a free port) */
	port?: number;
	faults?: Partial<SimFaults>;
	scripts?: ScriptRule[];
}

export interface LoadedModelInfo {
	name: string;
	state: 'loading' | 'ready';
	active: number;
	numCtx: number;
	expiresAt: string;
	draining: boolean;
	/** slots of this runner (its OLLAMA_NUM_PARALLEL at load time) */
	parallel: number;
	/** requests handed this runner and waiting for a slot */
	waiting: number;
	/** bytes: weights + KV cache (num_ctx x parallel) */
	size: number;
	/** bytes of `size` in VRAM */
	sizeVram: number;
	/** cached prompt length per slot (tokens) */
	cachedTokens: number[];
}

export interface Simulator {
	url: string;
	port: number;
	host: string;
	/** live counters */
	readonly stats: SimStats;
	readonly options: Readonly<CostModel>;
	readonly faults: Readonly<SimFaults>;
	resetStats(): void;
	setFaults(partial: Partial<SimFaults>): void;
	addScript(rule: ScriptRule): void;
	clearScripts(): void;
	setOptions(partial: Partial<CostModel>): void;
	/** models currently loaded (like /api/ps, plus scheduler state) */
	loadedModels(): LoadedModelInfo[];
	/** unload every idle model now (busy ones unload when idle) */
	unloadAll(): void;
	close(): Promise<void>;
}
