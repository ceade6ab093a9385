/**
 * The Ollama-compatible HTTP server of the simulator (plain node:http).
 * Field names, status codes and error texts follow Ollama v0.12.x (server/routes.go, api/types.go).
 */
import http, { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { once, setMaxListeners } from 'node:events';

import { Sequence, StepCosts } from './compute';
import { embed, rawEmbedding } from './embedding';
import { DEFAULT_MODELS, ResolvedModel, normalizeModelName, resolveModel, showResponse, tagsEntry, detailsOf } from './models';
import { Rng, canonicalJson, rngFromSeed, rngFromString } from './rng';
import { CacheContent, ERR_MAX_QUEUE, ERR_RUNNER_STOPPED, Handle, MaxQueueError, RunnerOpts, SchedError, Scheduler, SchedulerHost, Slot } from './scheduler';
import { AbortedError, Timers, keepAliveMs } from './timers';
import {
	TokenizableMessage,
	chatPromptTokenIds,
	chatPromptTokens as countChatPrompt,
	countSimTokens,
	embedInputTokens,
	generatePromptTokens,
	simTokenIds,
	simTokenize,
	EMBED_SPECIAL_TOKENS,
} from './tokenizer';
import { generateJsonObject, generateProse, toolArguments, valueForSchema } from './textgen';
import type { CostModel, LoadedModelInfo, RequestLogEntry, ScriptRule, SimFaults, SimStats, SimulatorOptions } from './types';

/**
 * Compute defaults: an 8B Q4_K_M model on one data-centre GPU (A100/H100 class) under Ollama:
 * one stream alone decodes 125 tokens/s (stepMs + decodeTokenMs = 8 ms), four streams 350 tokens/s
 * in all (2.8x: 6.857 + 4 x 1.143 = 11.43 ms per step), a prompt token costs 0.25 ms (about 3,800
 * prompt tokens/s in 512-token steps). See README.md ("Shared compute") for the sources.
 */
export const DEFAULT_STEP_MS = 6.857;
export const DEFAULT_DECODE_TOKEN_MS = 1.143;
export const DEFAULT_PREFILL_TOKEN_MS = 0.25;

export const DEFAULT_COST_MODEL: CostModel = {
	parallel: 1,
	embeddingParallel: 1,
	maxQueue: 512,
	queueRule: 'modern',
	prefillTokensPerSec: 1000 / DEFAULT_PREFILL_TOKEN_MS,
	decodeTokensPerSec: 1000 / (DEFAULT_STEP_MS + DEFAULT_DECODE_TOKEN_MS),
	stepMs: DEFAULT_STEP_MS,
	decodeTokenMs: DEFAULT_DECODE_TOKEN_MS,
	prefillTokenMs: DEFAULT_PREFILL_TOKEN_MS,
	numBatch: 512,
	multiUserCache: false,
	vramGiB: 80,
	systemMemoryGiB: 64,
	unloadDelayMs: 250,
	loadMs: 300,
	defaultKeepAlive: '5m',
	maxLoadedModels: 3,
	defaultNumCtx: 4096,
	timeScale: 1,
	replyTokensMin: 20,
	replyTokensMax: 80,
	version: '0.32.15',
	embedBaseline: 0.3,
	apiKey: undefined,
	models: DEFAULT_MODELS,
};

export const DEFAULT_FAULTS: SimFaults = {
	errorRate: 0,
	hangRate: 0,
	dropMidStreamRate: 0,
	firstTokenDelayMs: 0,
	failNext: 0,
	seed: 1,
	crashRate: 0,
	crashNext: 0,
	crashAfterTokens: 3,
	loadFailNext: 0,
	hang: 0,
};

const LAST_REQUESTS = 50;
/** a dropped stream is cut this long after its last chunk was flushed */
const DROP_DELAY_MS = 25;

type Json = Record<string, unknown>;

class HttpError extends Error {
	constructor(
		readonly status: number,
		message: string,
	) {
		super(message);
	}
}

interface CompiledScript {
	re: RegExp;
	reply?: string;
	toolCalls?: Array<{ name: string; arguments?: Record<string, unknown> }>;
	remaining: number;
	model?: string;
	on: 'lastUser' | 'lastMessage';
	source: string;
}

interface ToolCallOut {
	id: string;
	function: { index: number; name: string; arguments: Record<string, unknown> };
}

interface ReplyPlan {
	content: string;
	toolCalls?: ToolCallOut[];
	doneReason: 'stop' | 'length';
	/** tokens streamed (content pieces; for tool calls the serialized call) */
	evalCount: number;
}

interface DeliverJob {
	kind: 'chat' | 'generate';
	modelName: string;
	plan: ReplyPlan;
	/** the whole prompt (what prompt_eval_count reports on current Ollama) */
	promptTokens: number;
	stream: boolean;
	genContext?: { prompt: string; system: string };
	/** the prompt's token ids, matched against the slots' KV caches (undefined: the cache is not tracked) */
	promptIds?: CacheContent;
	/** what the slot's cache holds after the reply (prompt + reply) */
	cacheAfter?: () => CacheContent;
}

interface Ctx {
	req: IncomingMessage;
	res: ServerResponse;
	path: string;
	start: bigint;
	abort: AbortController;
	body: unknown;
}

function emptyStats(): SimStats {
	return {
		requests: 0,
		requestsByEndpoint: {},
		requestsByModel: {},
		responsesByStatus: {},
		active: 0,
		maxActive: 0,
		queued: 0,
		maxQueued: 0,
		inFlight: 0,
		maxInFlight: 0,
		rejected503: 0,
		errors500: 0,
		unauthorized401: 0,
		hung: 0,
		droppedStreams: 0,
		aborted: 0,
		completed: 0,
		loads: 0,
		loadFailures: 0,
		crashes: 0,
		cachedPromptTokens: 0,
		steps: 0,
		reloads: 0,
		unloads: 0,
		promptTokens: 0,
		evalTokens: 0,
		lastRequests: [],
		connections: 0,
	};
}

function isObj(v: unknown): v is Json {
	return !!v && typeof v === 'object' && !Array.isArray(v);
}

function goKind(v: unknown): string {
	if (v === null) return 'null';
	if (Array.isArray(v)) return 'array';
	if (typeof v === 'object') return 'object';
	return typeof v; // string, number, boolean
}

/** Go encoding/json-like message for a body that is not valid JSON. */
function goSyntaxError(text: string, err: unknown): string {
	const msg = err instanceof Error ? err.message : String(err);
	if (/Unexpected end|end of JSON/i.test(msg)) return 'unexpected EOF';
	const pos = msg.match(/position (\d+)/);
	let i = pos ? Number(pos[1]) : -1;
	if (i >= text.trimEnd().length) return 'unexpected EOF';
	if (i < 0) {
		const tok = msg.match(/Unexpected token '?(.)'?/);
		i = tok ? text.indexOf(tok[1]) : 0;
	}
	const ch = text[Math.max(0, i)] ?? '';
	return `invalid character '${ch}' looking for beginning of value`;
}

/** "0.30.1-rc2" -> [0, 30, 1]; undefined when it is not a version. */
export function parseVersion(v: string): [number, number, number] | undefined {
	const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
	return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

function nowIso(): string {
	return new Date().toISOString();
}

function nsSince(t: bigint): number {
	return Number(process.hrtime.bigint() - t);
}

/** Go's omitempty for the Metrics struct. */
function metrics(m: {
	total_duration?: number;
	load_duration?: number;
	prompt_eval_count?: number;
	prompt_eval_duration?: number;
	eval_count?: number;
	eval_duration?: number;
}): Json {
	const out: Json = {};
	for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && v !== 0) out[k] = Math.round(v);
	return out;
}

export class SimServer implements SchedulerHost {
	options: CostModel;
	faults: SimFaults;
	stats: SimStats = emptyStats();
	readonly timers = new Timers();
	readonly scheduler: Scheduler;
	readonly server: http.Server;
	private models = new Map<string, ResolvedModel>();
	private scripts: CompiledScript[] = [];
	private faultRng: Rng;
	private readonly sockets = new Set<Socket>();
	/** streams the simulator dropped on purpose (not counted as client aborts) */
	private readonly dropped = new WeakSet<ServerResponse>();
	private closing?: Promise<void>;

	constructor(opts: SimulatorOptions = {}) {
		const { host: _h, port: _p, faults, scripts, ...cost } = opts;
		void _h;
		void _p;
		this.options = { ...DEFAULT_COST_MODEL };
		this.applyOptions(cost);
		this.faults = { ...DEFAULT_FAULTS };
		this.faultRng = rngFromSeed(this.faults.seed);
		if (faults) this.setFaults(faults);
		for (const s of scripts ?? []) this.addScript(s);
		this.scheduler = new Scheduler(this);
		this.server = http.createServer((req, res) => {
			this.handle(req, res).catch((e) => {
				if (!res.headersSent && !res.destroyed) this.sendJson(res, 500, { error: String(e?.message ?? e) });
			});
		});
		this.server.keepAliveTimeout = 65_000;
		this.server.headersTimeout = 66_000;
		this.server.requestTimeout = 0;
		this.server.on('connection', (sock: Socket) => {
			this.stats.connections++;
			this.sockets.add(sock);
			sock.on('close', () => this.sockets.delete(sock));
		});
	}

	// ---------------- public control ----------------

	defaultKeepAliveMs(): number {
		try {
			return keepAliveMs(this.options.defaultKeepAlive);
		} catch {
			return 5 * 60_000;
		}
	}

	private applyOptions(partial: Partial<CostModel>): void {
		const next: CostModel = { ...this.options };
		for (const [k, v] of Object.entries(partial) as Array<[keyof CostModel, unknown]>) {
			if (v === undefined) continue;
			switch (k) {
				case 'version':
					if (typeof v !== 'string') throw new Error('version must be a string');
					next.version = v;
					break;
				case 'multiUserCache':
					if (typeof v !== 'boolean') throw new Error('multiUserCache must be true or false');
					next.multiUserCache = v;
					break;
				case 'queueRule':
					if (v !== 'modern' && v !== 'legacy') throw new Error('queueRule must be "modern" or "legacy"');
					next.queueRule = v;
					break;
				case 'apiKey':
					if (v !== null && typeof v !== 'string') throw new Error('apiKey must be a string');
					next.apiKey = v === null || v === '' ? undefined : (v as string);
					break;
				case 'defaultKeepAlive':
					if (typeof v !== 'string' && typeof v !== 'number') throw new Error('defaultKeepAlive must be a duration');
					keepAliveMs(v);
					next.defaultKeepAlive = v;
					break;
				case 'models':
					if (!Array.isArray(v) || v.some((m) => !isObj(m) || typeof m.name !== 'string')) throw new Error('models must be an array of {name, ...}');
					next.models = v as CostModel['models'];
					break;
				default: {
					if (!(k in DEFAULT_COST_MODEL)) throw new Error(`unknown option ${String(k)}`);
					const n = Number(v);
					if (!Number.isFinite(n) || n < 0) throw new Error(`${String(k)} must be a non-negative number`);
					(next as unknown as Record<string, number>)[k] = n;
				}
			}
		}
		for (const k of ['prefillTokensPerSec', 'decodeTokensPerSec'] as const) if (!(next[k] > 0)) throw new Error(`${k} must be > 0`);
		if (next.embedBaseline >= 1) throw new Error('embedBaseline must be within [0, 1)');
		// the rates and the step costs describe the same model: a rate sets its costs, explicit costs win
		if (partial.decodeTokensPerSec !== undefined) {
			const k = 1000 / next.decodeTokensPerSec / (this.options.stepMs + this.options.decodeTokenMs);
			if (partial.stepMs === undefined) next.stepMs = this.options.stepMs * k;
			if (partial.decodeTokenMs === undefined) next.decodeTokenMs = this.options.decodeTokenMs * k;
		}
		if (partial.prefillTokensPerSec !== undefined && partial.prefillTokenMs === undefined) next.prefillTokenMs = 1000 / next.prefillTokensPerSec;
		if (!(next.stepMs + next.decodeTokenMs > 0)) throw new Error('stepMs + decodeTokenMs must be > 0');
		if (!(next.prefillTokenMs > 0)) throw new Error('prefillTokenMs must be > 0');
		next.decodeTokensPerSec = 1000 / (next.stepMs + next.decodeTokenMs);
		next.prefillTokensPerSec = 1000 / next.prefillTokenMs;
		this.options = next;
		this.models = new Map(next.models.map((m) => resolveModel(m)).map((m) => [m.name, m]));
	}

	setOptions(partial: Partial<CostModel>): void {
		this.applyOptions(partial);
		this.scheduler?.poke();
	}

	setFaults(partial: Partial<SimFaults>): void {
		const next = { ...this.faults };
		for (const [k, v] of Object.entries(partial)) {
			if (v === undefined) continue;
			if (!(k in DEFAULT_FAULTS)) throw new Error(`unknown fault ${k}`);
			const n = Number(v);
			if (!Number.isFinite(n) || n < 0) throw new Error(`${k} must be a non-negative number`);
			if (k.endsWith('Rate') && n > 1) throw new Error(`${k} must be within [0, 1]`);
			(next as unknown as Record<string, number>)[k] = k === 'failNext' ? Math.floor(n) : n;
		}
		if (partial.seed !== undefined) this.faultRng = rngFromSeed(next.seed);
		this.faults = next;
		if (!next.hang) this.thaw();
	}

	/** Requests and streams held by the `hang` fault, released when it is cleared. */
	private readonly frozen = new Set<() => void>();

	private thaw(): void {
		const waiters = [...this.frozen];
		this.frozen.clear();
		for (const w of waiters) w();
	}

	/**
	 * The `hang` fault (a frozen server: the process accepts connections and never answers): waits
	 * until the fault is cleared; false when the client went away meanwhile (or the server closed).
	 */
	private untilThawed(res: ServerResponse): Promise<boolean> {
		if (!this.faults.hang) return Promise.resolve(!res.destroyed);
		return new Promise<boolean>((resolve) => {
			const done = (ok: boolean) => {
				this.frozen.delete(thawed);
				res.off('close', gone);
				resolve(ok);
			};
			const thawed = () => done(!res.destroyed);
			const gone = () => done(false);
			this.frozen.add(thawed);
			res.on('close', gone);
		});
	}

	addScript(rule: ScriptRule): void {
		if (!rule || (typeof rule.match !== 'string' && !(rule.match instanceof RegExp))) throw new Error('script needs a match (RegExp or regex source)');
		const flags = (rule.match instanceof RegExp ? rule.match.flags : rule.flags ?? '').replace(/[gy]/g, '');
		const re = new RegExp(rule.match instanceof RegExp ? rule.match.source : rule.match, flags);
		if (rule.toolCalls !== undefined && (!Array.isArray(rule.toolCalls) || rule.toolCalls.some((t) => !t || typeof t.name !== 'string'))) {
			throw new Error('toolCalls must be an array of {name, arguments}');
		}
		this.scripts.push({
			re,
			reply: rule.reply,
			toolCalls: rule.toolCalls,
			remaining: rule.times === undefined || rule.times === null ? Infinity : Math.max(0, Number(rule.times)),
			model: rule.model ? normalizeModelName(rule.model) : undefined,
			on: rule.on === 'lastMessage' ? 'lastMessage' : 'lastUser',
			source: re.toString(),
		});
	}

	clearScripts(): void {
		this.scripts = [];
	}

	resetStats(): void {
		const s = emptyStats();
		s.active = this.stats.active;
		s.maxActive = this.stats.active;
		s.queued = this.stats.queued;
		s.maxQueued = this.stats.queued;
		s.inFlight = this.stats.inFlight;
		s.maxInFlight = this.stats.inFlight;
		// the stats object is replaced; keep identity for holders of sim.stats by copying into it
		Object.assign(this.stats, s);
	}

	loadedModels(): LoadedModelInfo[] {
		return this.scheduler.info();
	}

	listen(port: number, host: string): Promise<void> {
		return new Promise((resolve, reject) => {
			this.server.once('error', reject);
			this.server.listen(port, host, () => {
				this.server.off('error', reject);
				resolve();
			});
		});
	}

	close(): Promise<void> {
		if (this.closing) return this.closing;
		this.timers.clearAll();
		this.scheduler.shutdown();
		for (const s of this.sockets) s.destroy();
		this.sockets.clear();
		this.server.closeAllConnections?.();
		this.closing = new Promise<void>((resolve) => {
			if (!this.server.listening) return resolve();
			this.server.close(() => resolve());
		});
		return this.closing;
	}

	// ---------------- HTTP plumbing ----------------

	private sendJson(res: ServerResponse, status: number, obj: unknown): void {
		if (res.headersSent || res.destroyed) return;
		const body = JSON.stringify(obj);
		this.countStatus(status);
		res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
		res.end(body);
	}

	private sendText(res: ServerResponse, status: number, text: string): void {
		if (res.headersSent || res.destroyed) return;
		this.countStatus(status);
		res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
		res.end(text);
	}

	private countStatus(status: number): void {
		const k = String(status);
		this.stats.responsesByStatus[k] = (this.stats.responsesByStatus[k] ?? 0) + 1;
		if (status === 500) this.stats.errors500++;
	}

	private readBody(req: IncomingMessage): Promise<string> {
		return new Promise((resolve, reject) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
			req.on('error', reject);
			req.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
		});
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const start = process.hrtime.bigint();
		const path = new URL(req.url ?? '/', 'http://sim').pathname;
		const method = req.method ?? 'GET';
		const text = method === 'GET' || method === 'HEAD' ? '' : await this.readBody(req);
		if (path.startsWith('/_sim/') || path === '/_sim') return this.control(req, res, path, text);
		if (this.faults.hang) {
			this.stats.hung++;
			if (!(await this.untilThawed(res))) return;
		}

		let parsed: unknown = null;
		let parseError: unknown;
		if (text.trim()) {
			try {
				parsed = JSON.parse(text);
			} catch (e) {
				parseError = e;
				parsed = text;
			}
		}
		const st = this.stats;
		st.requests++;
		st.requestsByEndpoint[path] = (st.requestsByEndpoint[path] ?? 0) + 1;
		const headers: RequestLogEntry['headers'] = { ...req.headers };
		delete headers.authorization;
		st.lastRequests.push({ time: nowIso(), method, path, body: parsed, headers, authorized: req.headers.authorization !== undefined });
		if (st.lastRequests.length > LAST_REQUESTS) st.lastRequests.splice(0, st.lastRequests.length - LAST_REQUESTS);

		const key = this.options.apiKey;
		if (key !== undefined && req.headers.authorization !== `Bearer ${key}`) {
			st.unauthorized401++;
			return this.sendJson(res, 401, { error: 'unauthorized' });
		}

		const abort = new AbortController();
		const model = method === 'POST' && (path === '/api/chat' || path === '/api/generate' || path === '/api/embed');
		if (model && ++st.inFlight > st.maxInFlight) st.maxInFlight = st.inFlight;
		res.on('close', () => {
			if (model) this.stats.inFlight--;
			if (!res.writableFinished) {
				abort.abort();
				if (!this.dropped.has(res)) st.aborted++;
			}
		});
		const ctx: Ctx = { req, res, path, start, abort, body: parsed };

		const isGet = method === 'GET' || method === 'HEAD';
		try {
			if (isGet && path === '/') return this.sendText(res, 200, 'Ollama is running');
			if (isGet && path === '/api/version') return this.sendJson(res, 200, { version: this.options.version });
			if (isGet && path === '/api/tags') return this.sendJson(res, 200, { models: [...this.models.values()].map(tagsEntry) });
			if (method === 'GET' && path === '/api/ps') return this.sendJson(res, 200, { models: this.ps() });
			const post: Record<string, (c: Ctx) => Promise<void>> = {
				'/api/chat': (c) => this.chat(c),
				'/api/generate': (c) => this.generate(c),
				'/api/embed': (c) => this.embedHandler(c),
				'/api/embeddings': (c) => this.embeddingsHandler(c),
				'/api/show': (c) => this.show(c),
			};
			const h = method === 'POST' ? post[path] : undefined;
			if (!h) return this.sendText(res, 404, '404 page not found');
			if (!text.trim()) throw new HttpError(400, 'missing request body');
			if (parseError !== undefined) throw new HttpError(400, goSyntaxError(text, parseError));
			if (!isObj(parsed)) {
				const struct = { '/api/chat': 'ChatRequest', '/api/generate': 'GenerateRequest', '/api/embed': 'EmbedRequest', '/api/embeddings': 'EmbeddingRequest', '/api/show': 'ShowRequest' }[path];
				throw new HttpError(400, `json: cannot unmarshal ${goKind(parsed)} into Go value of type api.${struct}`);
			}
			await h(ctx);
		} catch (e) {
			if (e instanceof AbortedError) return;
			if (e instanceof HttpError) return this.sendJson(res, e.status, { error: e.message });
			if (e instanceof MaxQueueError) return this.sendJson(res, 503, { error: ERR_MAX_QUEUE });
			throw e;
		}
	}

	// ---------------- control endpoints ----------------

	private async control(req: IncomingMessage, res: ServerResponse, path: string, text: string): Promise<void> {
		const method = req.method ?? 'GET';
		let body: unknown = {};
		if (text.trim()) {
			try {
				body = JSON.parse(text);
			} catch (e) {
				return this.sendRaw(res, 400, { error: `invalid JSON: ${(e as Error).message}` });
			}
		}
		const b = isObj(body) ? body : {};
		try {
			switch (`${method} ${path}`) {
				case 'GET /_sim/stats':
					return this.sendRaw(res, 200, this.stats);
				case 'POST /_sim/reset':
					this.resetStats();
					if (b.scripts) this.clearScripts();
					if (b.faults) {
						this.faults = { ...DEFAULT_FAULTS };
						this.faultRng = rngFromSeed(this.faults.seed);
					}
					if (b.models) this.scheduler.unloadAll();
					return this.sendRaw(res, 200, { ok: true });
				case 'GET /_sim/faults':
					return this.sendRaw(res, 200, this.faults);
				case 'POST /_sim/faults':
					this.setFaults(b as Partial<SimFaults>);
					return this.sendRaw(res, 200, this.faults);
				case 'GET /_sim/options':
					return this.sendRaw(res, 200, this.publicOptions());
				case 'POST /_sim/options':
					this.setOptions(b as Partial<CostModel>);
					return this.sendRaw(res, 200, this.publicOptions());
				case 'GET /_sim/scripts':
					return this.sendRaw(res, 200, { scripts: this.scripts.map((s) => ({ match: s.source, remaining: s.remaining === Infinity ? null : s.remaining, model: s.model, on: s.on })) });
				case 'POST /_sim/scripts': {
					const rules = Array.isArray(body) ? body : [b];
					for (const r of rules) this.addScript(r as ScriptRule);
					return this.sendRaw(res, 200, { ok: true, count: this.scripts.length });
				}
				case 'DELETE /_sim/scripts':
					this.clearScripts();
					return this.sendRaw(res, 200, { ok: true, count: 0 });
				case 'POST /_sim/unload':
					this.scheduler.unloadAll();
					return this.sendRaw(res, 200, { ok: true, loaded: this.loadedModels() });
				case 'GET /_sim/state':
					return this.sendRaw(res, 200, { options: this.publicOptions(), faults: this.faults, loaded: this.loadedModels(), scripts: this.scripts.length });
				default:
					return this.sendRaw(res, 404, { error: `unknown control endpoint ${method} ${path}` });
			}
		} catch (e) {
			return this.sendRaw(res, 400, { error: (e as Error).message });
		}
	}

	private publicOptions(): Json {
		return { ...this.options, apiKey: this.options.apiKey ? '***' : undefined };
	}

	/** JSON reply that is not counted in the API stats (control endpoints). */
	private sendRaw(res: ServerResponse, status: number, obj: unknown): void {
		const body = JSON.stringify(obj);
		res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
		res.end(body);
	}

	// ---------------- helpers for inference ----------------

	private findModel(name: string): ResolvedModel | undefined {
		return this.models.get(normalizeModelName(name));
	}

	/** The `model` field ('' when missing); a non-string is a JSON binding error (400). */
	private modelField(b: Json, struct: string): string {
		const m = b.model;
		if (m !== undefined && m !== null && typeof m !== 'string') {
			throw new HttpError(400, `json: cannot unmarshal ${goKind(m)} into Go struct field ${struct}.model of type string`);
		}
		return typeof m === 'string' ? m.trim() && m : '';
	}

	/** ChatHandler and the legacy EmbeddingsHandler answer a missing model with 400 "model is required". */
	private requireModelField(b: Json, struct: string): string {
		const m = this.modelField(b, struct);
		if (!m) throw new HttpError(400, 'model is required');
		return m;
	}

	private countModel(m: ResolvedModel): void {
		this.stats.requestsByModel[m.name] = (this.stats.requestsByModel[m.name] ?? 0) + 1;
	}

	/** api.Duration UnmarshalJSON: the error is the JSON binding error, 400 with its text. */
	private parseKeepAlive(v: unknown): number | undefined {
		if (v === undefined || v === null) return undefined;
		if (typeof v !== 'number' && typeof v !== 'string') {
			// reflect.TypeOf of what encoding/json decoded into `any`
			const goType = typeof v === 'boolean' ? 'bool' : Array.isArray(v) ? '[]interface {}' : 'map[string]interface {}';
			throw new HttpError(400, `Unsupported type: '${goType}'`);
		}
		try {
			return keepAliveMs(v);
		} catch (e) {
			throw new HttpError(400, (e as Error).message);
		}
	}

	private runnerOpts(options: unknown): RunnerOpts {
		const o = isObj(options) ? options : {};
		const int = (k: string, d: number) => {
			const v = o[k];
			if (v === undefined || v === null) return d;
			if (typeof v !== 'number') throw new HttpError(400, `option "${k}" must be of type integer`);
			return Math.trunc(v);
		};
		const numCtx = Math.max(4, int('num_ctx', this.options.defaultNumCtx));
		return {
			numCtx,
			numBatch: int('num_batch', 512),
			numGpu: int('num_gpu', -1),
			mainGpu: int('main_gpu', 0),
			numThread: int('num_thread', 0),
			useMmap: typeof o.use_mmap === 'boolean' ? o.use_mmap : null,
		};
	}

	private effectiveCtx(model: ResolvedModel, ro: RunnerOpts): number {
		return Math.min(ro.numCtx, model.contextLength);
	}

	/** failNext / errorRate / hangRate. Returns true when the request was handled (500 or hang). */
	private applyFaults(ctx: Ctx): boolean {
		const f = this.faults;
		if (f.failNext > 0) {
			f.failNext--;
			this.sendJson(ctx.res, 500, { error: 'simulated internal error' });
			return true;
		}
		if (f.errorRate > 0 && this.faultRng() < f.errorRate) {
			this.sendJson(ctx.res, 500, { error: 'simulated internal error' });
			return true;
		}
		if (f.hangRate > 0 && this.faultRng() < f.hangRate) {
			this.stats.hung++;
			return true; // never answered; close() destroys the socket
		}
		return false;
	}

	/** sched.go getRunner; load_duration runs from the request's arrival until the runner is handed over. */
	private async getRunner(ctx: Ctx, model: ResolvedModel, ro: RunnerOpts, keepAlive: number | undefined): Promise<{ handle: Handle; loadNs: number }> {
		const handle = await this.scheduler.getRunner(model, ro, keepAlive, ctx.abort.signal);
		return { handle, loadNs: Math.max(1, Number(handle.handedAt - ctx.start)) };
	}

	/** SchedulerHost: the step costs of `model` (per-model rates override the server's), time scale applied. */
	stepCosts(model: ResolvedModel, numBatch: number): StepCosts {
		const o = this.options;
		let step = o.stepMs;
		let dec = o.decodeTokenMs;
		let pre = o.prefillTokenMs;
		if (model.decodeTokensPerSec && model.decodeTokensPerSec > 0) {
			const k = 1000 / model.decodeTokensPerSec / (step + dec);
			step *= k;
			dec *= k;
		}
		if (model.prefillTokensPerSec && model.prefillTokensPerSec > 0) pre = 1000 / model.prefillTokensPerSec;
		const s = o.timeScale;
		return { stepMs: step * s, decodeTokenMs: dec * s, prefillTokenMs: pre * s, numBatch: numBatch > 0 ? numBatch : o.numBatch };
	}

	/** SchedulerHost: consumes one loadFailNext fault. */
	takeLoadFailure(): boolean {
		if (this.faults.loadFailNext <= 0) return false;
		this.faults.loadFailNext--;
		return true;
	}

	/**
	 * The prompt cache changes what a client sees only through compute time or (on 0.30.0) the counts;
	 * with no compute time and whole-prompt counts it is not tracked, which saves two tokenisations
	 * per request (zero-compute benchmarks measure the client, not the simulator).
	 */
	private tracksPromptCache(): boolean {
		return this.options.timeScale > 0 || this.countsUncachedOnly();
	}

	/** Whether prompt_eval_count is only the part after the cached prefix (llama-server builds of 0.30.0). */
	private countsUncachedOnly(): boolean {
		const v = parseVersion(this.options.version);
		return !!v && v[0] === 0 && v[1] === 30 && v[2] === 0;
	}

	/** Tokens after which this request's runner crashes (crashNext / crashRate), or undefined. */
	private crashPoint(n: number): number | undefined {
		const f = this.faults;
		let crash = false;
		if (f.crashNext > 0) {
			f.crashNext--;
			crash = true;
		} else if (f.crashRate > 0 && this.faultRng() < f.crashRate) crash = true;
		return crash ? Math.min(n, Math.max(0, Math.floor(f.crashAfterTokens))) : undefined;
	}

	private matchScript(model: ResolvedModel, text: string | undefined, lastAny: string | undefined): CompiledScript | undefined {
		for (const s of this.scripts) {
			if (s.remaining <= 0) continue;
			if (s.model && s.model !== model.name) continue;
			const subject = s.on === 'lastMessage' ? lastAny : text;
			if (subject === undefined) continue;
			if (s.re.test(subject)) {
				s.remaining--;
				return s;
			}
		}
		return undefined;
	}

	private validateFormat(format: unknown): void {
		if (format === undefined || format === null || format === '') return;
		if (format === 'json' || isObj(format)) return;
		throw new HttpError(500, `invalid format: ${JSON.stringify(JSON.stringify(format))}; expected "json" or a valid JSON Schema object`);
	}

	/** Apply stop sequences, num_predict and (shift=false) the context limit to generated text. */
	private limitText(content: string, options: Json, promptTokens: number, numCtx: number, shift: boolean): ReplyPlan {
		let doneReason: 'stop' | 'length' = 'stop';
		const stop = options.stop;
		const stops = (Array.isArray(stop) ? stop : typeof stop === 'string' ? [stop] : []).filter((x): x is string => typeof x === 'string' && x.length > 0);
		let cut = -1;
		for (const s of stops) {
			const i = content.indexOf(s);
			if (i >= 0 && (cut < 0 || i < cut)) cut = i;
		}
		if (cut >= 0) content = content.slice(0, cut);
		let pieces = simTokenize(content);
		const np = typeof options.num_predict === 'number' ? Math.trunc(options.num_predict) : -1;
		if (np > 0 && pieces.length > np) {
			pieces = pieces.slice(0, np);
			doneReason = 'length';
		}
		if (!shift && promptTokens + pieces.length > numCtx) {
			pieces = pieces.slice(0, Math.max(0, numCtx - promptTokens));
			doneReason = 'length';
		}
		content = pieces.join('');
		return { content, doneReason, evalCount: pieces.length };
	}

	// ---------------- /api/chat ----------------

	private async chat(ctx: Ctx): Promise<void> {
		const b = ctx.body as Json;
		const name = this.requireModelField(b, 'ChatRequest');
		if (b.messages !== undefined && b.messages !== null && !Array.isArray(b.messages)) {
			throw new HttpError(400, `json: cannot unmarshal ${goKind(b.messages)} into Go struct field ChatRequest.messages of type []api.Message`);
		}
		if (b.tools !== undefined && b.tools !== null && !Array.isArray(b.tools)) {
			throw new HttpError(400, `json: cannot unmarshal ${goKind(b.tools)} into Go struct field ChatRequest.tools of type api.Tools`);
		}
		const messages = ((b.messages as unknown[] | undefined) ?? []).map((m) => (isObj(m) ? m : {})) as Array<Json & TokenizableMessage>;
		for (const m of messages) {
			if (m.content !== undefined && m.content !== null && typeof m.content !== 'string') {
				throw new HttpError(400, `json: cannot unmarshal ${goKind(m.content)} into Go struct field Message.messages.content of type string`);
			}
		}
		const tools = (b.tools as unknown[] | undefined) ?? [];
		const model = this.findModel(name);
		if (!model) throw new HttpError(404, `model '${name}' not found`);
		this.countModel(model);
		const keepAlive = this.parseKeepAlive(b.keep_alive);
		if (messages.length === 0 && keepAlive === 0) {
			this.scheduler.expire(model.name);
			return this.sendJson(ctx.res, 200, { model: name, created_at: nowIso(), message: { role: 'assistant', content: '' }, done: true, done_reason: 'unload' });
		}
		if (model.kind === 'embedding' || !model.capabilities.includes('completion')) throw new HttpError(400, `"${name}" does not support chat`);
		if (tools.length > 0 && !model.capabilities.includes('tools')) throw new HttpError(400, `registry.ollama.ai/library/${model.name} does not support tools`);
		this.checkThink(b, name);
		const ro = this.runnerOpts(b.options);
		if (this.applyFaults(ctx)) return;

		const { handle, loadNs } = await this.getRunner(ctx, model, ro, keepAlive);
		try {
			if (messages.length === 0) {
				return this.sendJson(ctx.res, 200, { model: name, created_at: nowIso(), message: { role: 'assistant', content: '' }, done: true, done_reason: 'load' });
			}
			this.validateFormat(b.format);
			const numCtx = this.effectiveCtx(model, ro);
			const { count: promptTokens, kept } = this.chatPromptTokensTruncated(messages, tools, numCtx, b.truncate !== false, model.name);
			const plan = this.planChat(model, b, messages, tools, promptTokens, numCtx);
			const promptIds = this.tracksPromptCache() ? chatPromptTokenIds(kept, tools, model.name).slice(0, promptTokens) : undefined;
			const cacheAfter = () => {
				const reply: TokenizableMessage = { role: 'assistant', content: plan.content };
				if (plan.toolCalls) reply.tool_calls = plan.toolCalls.map((t) => ({ function: { name: t.function.name, arguments: t.function.arguments } }));
				return chatPromptTokenIds([...kept, reply], tools, model.name);
			};
			await this.deliver(ctx, handle, loadNs, { kind: 'chat', modelName: name, plan, promptTokens, stream: b.stream !== false, promptIds, cacheAfter });
		} finally {
			handle.release();
		}
	}

	private checkThink(b: Json, name: string): void {
		const t = b.think;
		if (typeof t === 'string' && t !== '' && t !== 'false') throw new HttpError(400, `think value ${JSON.stringify(t)} is not supported for this model`);
		if (t === true) throw new HttpError(400, `"${name}" does not support thinking`);
	}

	/** Like Ollama's chatPrompt: drop the oldest non-system messages until the prompt fits num_ctx. */
	private chatPromptTokensTruncated(
		messages: TokenizableMessage[],
		tools: unknown[],
		numCtx: number,
		truncate: boolean,
		modelName: string,
	): { count: number; kept: TokenizableMessage[] } {
		const chatPromptTokens = (m: TokenizableMessage[], t: unknown[]) => countChatPrompt(m, t, modelName); // real tokenizer for llama3*/qwen2*/qwen3*
		const full = chatPromptTokens(messages, tools);
		if (full <= numCtx) return { count: full, kept: messages };
		if (!truncate) throw new HttpError(400, 'the input length exceeds the context length');
		let kept = [...messages.slice(0, -1).filter((m) => m.role === 'system'), messages[messages.length - 1]];
		let best = chatPromptTokens(kept, tools);
		for (let i = messages.length - 2; i >= 0; i--) {
			const candidate = [...messages.slice(0, i).filter((m) => m.role === 'system'), ...messages.slice(i)];
			const n = chatPromptTokens(candidate, tools);
			if (n > numCtx) break;
			best = n;
			kept = candidate;
		}
		// the runner truncates what still does not fit
		return { count: Math.min(best, numCtx), kept };
	}

	private replyRng(model: ResolvedModel, kind: string, b: Json, extra: Json): Rng {
		const options = isObj(b.options) ? { ...b.options } : {};
		delete options.num_predict;
		delete options.stop;
		return rngFromString(canonicalJson({ model: model.name, kind, format: b.format ?? null, options, ...extra }));
	}

	private planChat(model: ResolvedModel, b: Json, messages: Array<Json & TokenizableMessage>, tools: unknown[], promptTokens: number, numCtx: number): ReplyPlan {
		const options = isObj(b.options) ? b.options : {};
		const last = messages[messages.length - 1];
		const lastUser = [...messages].reverse().find((m) => m.role === 'user');
		const script = this.matchScript(model, typeof lastUser?.content === 'string' ? lastUser.content : undefined, typeof last?.content === 'string' ? last.content : '');
		const normMsgs = messages.map((m) => ({
			role: m.role ?? '',
			content: typeof m.content === 'string' ? m.content : '',
			tool_calls: Array.isArray(m.tool_calls) ? m.tool_calls.map((t) => ({ name: t?.function?.name, arguments: t?.function?.arguments })) : undefined,
			tool_name: typeof m.tool_name === 'string' ? m.tool_name : undefined,
		}));
		const rng = this.replyRng(model, 'chat', b, { messages: normMsgs, tools });
		if (script) {
			if (script.toolCalls && script.toolCalls.length > 0) return this.toolCallPlan(rng, script.toolCalls.map((t) => ({ name: t.name, arguments: t.arguments ?? {} })));
			const content = script.reply ?? '';
			return { content, doneReason: 'stop', evalCount: countSimTokens(content) };
		}
		const shift = b.shift !== false;
		const hasFormat = b.format !== undefined && b.format !== null && b.format !== '';
		if (hasFormat) return this.limitText(this.formatted(rng, b.format), options, promptTokens, numCtx, shift);
		if (last?.role === 'user' && tools.length > 0) {
			const calls = this.mentionedTools(tools, typeof last.content === 'string' ? last.content : '', rng);
			if (calls.length > 0) return this.toolCallPlan(rng, calls);
		}
		if (last?.role === 'tool') {
			const results: string[] = [];
			for (let i = messages.length - 1; i >= 0 && messages[i].role === 'tool'; i--) results.unshift(String(messages[i].content ?? ''));
			return this.limitText(`Based on the tool result: ${results.join('; ')}`, options, promptTokens, numCtx, shift);
		}
		return this.limitText(generateProse(rng, this.options.replyTokensMin, this.options.replyTokensMax), options, promptTokens, numCtx, shift);
	}

	private formatted(rng: Rng, format: unknown): string {
		if (format === 'json') return JSON.stringify(generateJsonObject(rng));
		return JSON.stringify(valueForSchema(rng, format));
	}

	private mentionedTools(tools: unknown[], text: string, rng: Rng): Array<{ name: string; arguments: Record<string, unknown> }> {
		const found: Array<{ pos: number; name: string; params: unknown }> = [];
		for (const t of tools) {
			if (!isObj(t)) continue;
			const fn = isObj(t.function) ? t.function : undefined;
			const name = typeof fn?.name === 'string' ? fn.name : undefined;
			if (!name) continue;
			const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
			const m = new RegExp(`(^|[^A-Za-z0-9_])${esc}(?![A-Za-z0-9_])`, 'i').exec(text);
			if (m) found.push({ pos: m.index + m[1].length, name, params: fn?.parameters });
		}
		found.sort((a, b) => a.pos - b.pos);
		return found.map((f) => ({ name: f.name, arguments: toolArguments(rng, f.name, f.params, text) }));
	}

	private toolCallPlan(rng: Rng, calls: Array<{ name: string; arguments: Record<string, unknown> }>): ReplyPlan {
		const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
		const toolCalls: ToolCallOut[] = calls.map((c, i) => ({
			id: `call_${Array.from({ length: 8 }, () => alphabet[Math.floor(rng() * alphabet.length)]).join('')}`,
			function: { index: i, name: c.name, arguments: c.arguments },
		}));
		const evalCount = calls.reduce((n, c) => n + countSimTokens(JSON.stringify({ name: c.name, arguments: c.arguments })), 0);
		return { content: '', toolCalls, doneReason: 'stop', evalCount: Math.max(1, evalCount) };
	}

	// ---------------- /api/generate ----------------

	private async generate(ctx: Ctx): Promise<void> {
		const b = ctx.body as Json;
		// routes.go GenerateHandler: an unparsable (e.g. empty) model name is "not found" here
		const name = this.modelField(b, 'GenerateRequest');
		if (!name) throw new HttpError(404, `model '' not found`);
		for (const f of ['prompt', 'system', 'suffix', 'template'] as const) {
			if (b[f] !== undefined && b[f] !== null && typeof b[f] !== 'string') {
				throw new HttpError(400, `json: cannot unmarshal ${goKind(b[f])} into Go struct field GenerateRequest.${f} of type string`);
			}
		}
		const model = this.findModel(name);
		if (!model) throw new HttpError(404, `model '${name}' not found`);
		this.countModel(model);
		const prompt = (b.prompt as string | undefined) ?? '';
		const keepAlive = this.parseKeepAlive(b.keep_alive);
		if (prompt === '' && keepAlive === 0) {
			this.scheduler.expire(model.name);
			return this.sendJson(ctx.res, 200, { model: name, created_at: nowIso(), response: '', done: true, done_reason: 'unload' });
		}
		const raw = b.raw === true;
		const system = (b.system as string | undefined) ?? '';
		const context = Array.isArray(b.context) ? (b.context as unknown[]) : [];
		if (raw && (b.template || system || context.length > 0)) throw new HttpError(400, 'raw mode does not support template, system, or context');
		this.checkThink(b, name);
		if (model.kind === 'embedding' || !model.capabilities.includes('completion')) throw new HttpError(400, `"${name}" does not support generate`);
		const ro = this.runnerOpts(b.options);
		if (this.applyFaults(ctx)) return;

		const { handle, loadNs } = await this.getRunner(ctx, model, ro, keepAlive);
		try {
			if (prompt === '') {
				return this.sendJson(ctx.res, 200, { model: name, created_at: nowIso(), response: '', done: true, done_reason: 'load' });
			}
			this.validateFormat(b.format);
			const numCtx = this.effectiveCtx(model, ro);
			let promptTokens = generatePromptTokens(prompt, system || undefined, raw) + context.length + (b.suffix ? countSimTokens(String(b.suffix)) : 0);
			if (promptTokens > numCtx) {
				if (b.truncate === false) throw new HttpError(400, 'the input length exceeds the context length');
				promptTokens = numCtx;
			}
			const options = isObj(b.options) ? b.options : {};
			const rng = this.replyRng(model, 'generate', b, { prompt, system, raw, suffix: b.suffix ?? '', context });
			const script = this.matchScript(model, prompt, prompt);
			let plan: ReplyPlan;
			if (script) {
				const content = script.reply ?? '';
				plan = { content, doneReason: 'stop', evalCount: countSimTokens(content) };
			} else {
				const hasFormat = b.format !== undefined && b.format !== null && b.format !== '';
				const text = hasFormat ? this.formatted(rng, b.format) : generateProse(rng, this.options.replyTokensMin, this.options.replyTokensMax);
				plan = this.limitText(text, options, promptTokens, numCtx, b.shift !== false);
			}
			const msgs: TokenizableMessage[] = system ? [{ role: 'system', content: system }] : [];
			msgs.push({ role: 'user', content: prompt });
			const promptIds = !this.tracksPromptCache() ? undefined : raw ? simTokenIds(prompt) : chatPromptTokenIds(msgs);
			const cacheAfter = () => (raw ? simTokenIds(prompt + plan.content) : chatPromptTokenIds([...msgs, { role: 'assistant', content: plan.content }]));
			await this.deliver(ctx, handle, loadNs, {
				kind: 'generate',
				modelName: name,
				plan,
				promptTokens,
				stream: b.stream !== false,
				genContext: raw ? undefined : { prompt, system },
				promptIds,
				cacheAfter,
			});
		} finally {
			handle.release();
		}
	}

	// ---------------- streaming / timing ----------------

	/**
	 * Runs one chat/generate sequence on a slot of the runner and writes the reply: waits for a slot
	 * (LoadCacheSlot picks the one with the longest cached prefix), prefills the uncached part and
	 * decodes in the model's shared batch (compute.ts), streams NDJSON or answers once.
	 */
	private async deliver(ctx: Ctx, handle: Handle, loadNs: number, job: DeliverJob): Promise<void> {
		const { res } = ctx;
		const signal = ctx.abort.signal;
		const runner = handle.runner;
		const { kind, modelName, plan, promptTokens, stream } = job;
		const slot: Slot = await handle.acquireSlot(signal, job.promptIds);
		let content: CacheContent | undefined;
		let seq: Sequence | undefined;
		let headersOut = false;
		try {
			if (runner.crashed) throw new SchedError(ERR_RUNNER_STOPPED);
			const cached = Math.max(0, Math.min(slot.cachedTokens, promptTokens - 1));
			const fresh = promptTokens - cached;
			this.stats.cachedPromptTokens += cached;
			const reportedPrompt = this.countsUncachedOnly() ? fresh : promptTokens;
			const pieces = plan.toolCalls ? [] : simTokenize(plan.content);
			const n = plan.evalCount;
			const crashAt = this.crashPoint(n);
			const firstDelay = this.faults.firstTokenDelayMs;
			const timed = this.options.timeScale > 0;
			const tPrefill = process.hrtime.bigint();
			let tDecode = tPrefill;
			if (timed) {
				seq = new Sequence(fresh, n);
				runner.engine.add(seq);
			}
			const emitted = () => (seq ? seq.emitted : n);
			const isDone = () => (seq ? seq.done : true);
			const waitProgress = async () => {
				if (!seq) return;
				await seq.changed(signal);
			};
			const checkCrash = () => {
				if (crashAt !== undefined && emitted() >= crashAt) {
					this.scheduler.crash(runner);
					throw new SchedError(ERR_RUNNER_STOPPED);
				}
				if (seq?.error) throw seq.error;
			};
			// prefill, then the (unscaled) first-token delay fault
			while (seq && seq.prefillDoneAt === undefined && !seq.done) {
				checkCrash();
				await waitProgress();
			}
			if (!seq) tDecode = process.hrtime.bigint();
			this.stats.promptTokens += fresh;
			await this.timers.sleep(firstDelay, signal);

			const metricsOf = (): Json => {
				const prefillNs = seq?.prefillDoneAt !== undefined && seq.startedAt !== undefined ? (seq.prefillDoneAt - seq.startedAt) * 1e6 : Number(tDecode - tPrefill);
				const evalNs = seq?.prefillDoneAt !== undefined && seq.lastTokenAt !== undefined ? (seq.lastTokenAt - seq.prefillDoneAt) * 1e6 : nsSince(tDecode);
				const p = Math.max(1, prefillNs);
				const e = Math.max(1, evalNs);
				return metrics({
					total_duration: Math.max(nsSince(ctx.start), loadNs + p + e + firstDelay * 1e6),
					load_duration: loadNs,
					prompt_eval_count: reportedPrompt,
					prompt_eval_duration: p,
					eval_count: n,
					eval_duration: e,
				});
			};
			const chunk = (text: string, toolCalls?: ToolCallOut[]): Json =>
				kind === 'chat'
					? { model: modelName, created_at: nowIso(), message: toolCalls ? { role: 'assistant', content: text, tool_calls: toolCalls } : { role: 'assistant', content: text }, done: false }
					: { model: modelName, created_at: nowIso(), response: text, done: false };
			const finalObj = (fullContent: string): Json => {
				if (kind === 'chat') {
					const message: Json = { role: 'assistant', content: fullContent };
					if (!stream && plan.toolCalls) message.tool_calls = plan.toolCalls;
					return { model: modelName, created_at: nowIso(), message, done: true, done_reason: plan.doneReason, ...metricsOf() };
				}
				const out: Json = { model: modelName, created_at: nowIso(), response: fullContent, done: true, done_reason: plan.doneReason };
				if (job.genContext) out.context = this.contextIds(job.genContext, plan.content, promptTokens);
				return { ...out, ...metricsOf() };
			};

			if (!stream) {
				while (!isDone()) {
					checkCrash();
					await waitProgress();
				}
				checkCrash();
				if (this.faults.hang && !(await this.untilThawed(res))) throw new AbortedError();
				this.stats.evalTokens += n;
				this.stats.completed++;
				if (job.promptIds) content = job.cacheAfter?.();
				return this.sendJson(res, 200, finalObj(plan.content));
			}

			// NDJSON stream; headers go out with the first chunk, like gin's c.Stream
			const drop = this.faults.dropMidStreamRate > 0 && this.faultRng() < this.faults.dropMidStreamRate;
			const dropAfter = drop ? 1 + Math.floor(this.faultRng() * 3) : Infinity;
			let written = 0;
			const write = async (lines: string): Promise<boolean> => {
				if (this.faults.hang && !(await this.untilThawed(res))) throw new AbortedError();
				if (res.destroyed) throw new AbortedError();
				if (!headersOut) {
					this.countStatus(200);
					res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
					headersOut = true;
				}
				if (written >= dropAfter) {
					// let the chunks reach the client, then cut the connection mid-stream
					await new Promise<void>((resolve) => res.write(lines, () => resolve()));
					await this.timers.sleep(DROP_DELAY_MS, signal);
					this.stats.droppedStreams++;
					this.dropped.add(res);
					res.socket?.destroy();
					return false;
				}
				if (!res.write(lines)) await raceAbort(once(res, 'drain').then(() => undefined), signal);
				return true;
			};

			if (plan.toolCalls) {
				while (!isDone()) {
					checkCrash();
					await waitProgress();
				}
				checkCrash();
				written++;
				this.stats.evalTokens += n;
				if (!(await write(JSON.stringify(chunk('', plan.toolCalls)) + '\n'))) return;
			} else {
				let i = 0;
				for (;;) {
					const due = Math.min(pieces.length, crashAt ?? Infinity, emitted());
					if (due > i) {
						let buf = '';
						let count = 0;
						while (i < due && written < dropAfter) {
							buf += JSON.stringify(chunk(pieces[i])) + '\n';
							i++;
							written++;
							count++;
						}
						this.stats.evalTokens += count;
						if (!(await write(buf))) return;
						continue;
					}
					checkCrash();
					if (isDone() || i >= pieces.length) break;
					await waitProgress();
				}
				while (!isDone()) {
					checkCrash();
					await waitProgress();
				}
				checkCrash();
			}
			if (this.faults.hang && !(await this.untilThawed(res))) throw new AbortedError();
			this.stats.completed++;
			if (job.promptIds) content = job.cacheAfter?.();
			res.end(JSON.stringify(finalObj('')) + '\n');
		} catch (e) {
			// streamResponse: an error after the stream started is one {"error"} line inside the 200 stream
			if (e instanceof SchedError && headersOut && !res.destroyed) {
				res.end(JSON.stringify({ error: e.message }) + '\n');
				return;
			}
			throw e;
		} finally {
			if (seq && !seq.done) runner.engine.remove(seq);
			slot.release(content);
		}
	}

	private contextIds(g: { prompt: string; system: string }, response: string, promptTokens: number): number[] {
		const ids = [128000, ...simTokenIds(g.system), ...simTokenIds(g.prompt)];
		const header = [128006, 882, 128007, 271];
		while (ids.length < promptTokens) ids.push(header[ids.length % header.length]);
		ids.length = promptTokens;
		return [...ids, ...simTokenIds(response)];
	}

	// ---------------- /api/embed, /api/embeddings ----------------

	/** One embedding input on the model's slot (Ollama's sem of 1 for embedding models): prefill only. */
	private async embedOne(ctx: Ctx, handle: Handle, tokens: number): Promise<number> {
		const slot = await handle.acquireSlot(ctx.abort.signal);
		const t = process.hrtime.bigint();
		try {
			if (handle.runner.crashed) throw new SchedError(ERR_RUNNER_STOPPED);
			if (this.options.timeScale > 0) {
				const seq = new Sequence(tokens, 0);
				handle.runner.engine.add(seq);
				try {
					await seq.finished(ctx.abort.signal);
				} finally {
					if (!seq.done) handle.runner.engine.remove(seq);
				}
				this.stats.promptTokens += tokens;
				return seq.prefillDoneAt !== undefined && seq.startedAt !== undefined ? (seq.prefillDoneAt - seq.startedAt) * 1e6 : nsSince(t);
			}
			this.stats.promptTokens += tokens;
			return Math.max(1, nsSince(t));
		} finally {
			slot.release();
		}
	}

	private async embedHandler(ctx: Ctx): Promise<void> {
		const b = ctx.body as Json;
		const truncate = b.truncate !== false;
		// routes.go EmbedHandler: an unparsable (e.g. empty) model name is "not found" here
		const name = this.modelField(b, 'EmbedRequest');
		if (!name) throw new HttpError(404, `model '' not found`);
		let inputs: string[] = [];
		const inp = b.input;
		if (typeof inp === 'string') {
			if (inp.length > 0) inputs = [inp];
		} else if (Array.isArray(inp)) {
			for (const v of inp) {
				if (typeof v !== 'string') throw new HttpError(400, 'invalid input type');
				inputs.push(v);
			}
		} else if (inp !== undefined && inp !== null) throw new HttpError(400, 'invalid input type');
		const model = this.findModel(name);
		if (!model) throw new HttpError(404, `model '${name}' not found`);
		this.countModel(model);
		const keepAlive = this.parseKeepAlive(b.keep_alive);
		const dimensions = typeof b.dimensions === 'number' ? Math.trunc(b.dimensions) : 0;
		const ro = this.runnerOpts(b.options);
		if (this.applyFaults(ctx)) return;

		const { handle, loadNs } = await this.getRunner(ctx, model, ro, keepAlive);
		try {
			if (inputs.length === 0) return this.sendJson(ctx.res, 200, { model: name, embeddings: [] });
			const ctxLen = this.effectiveCtx(model, ro);
			const texts = inputs.map((s) => {
				const tokens = embedInputTokens(s);
				if (tokens <= ctxLen) return { text: s, tokens };
				if (!truncate) throw new HttpError(400, 'the input length exceeds the context length');
				// keep the context length minus the special tokens the model adds
				const keep = ctxLen - EMBED_SPECIAL_TOKENS;
				if (keep <= 0) throw new HttpError(400, 'input after truncation exceeds maximum context length');
				return { text: simTokenize(s).slice(0, keep).join(''), tokens: ctxLen };
			});
			// EmbedHandler starts one goroutine per input; each takes the runner's semaphore (1 slot for an
			// embedding model, FIFO), so all inputs of this request queue now, ahead of later requests'
			// Each queued input listens on the request's signal until it gets the slot (then stops): as many
			// listeners as inputs, by design and bounded, not a leak (Node warns past 10 otherwise).
			setMaxListeners(texts.length + 10, ctx.abort.signal);
			const times = await Promise.all(texts.map(({ tokens }) => this.embedOne(ctx, handle, tokens)));
			const prefillNs = times.reduce((a, b) => a + b, 0);
			const count = texts.reduce((n, t) => n + t.tokens, 0);
			const embeddings = texts.map(({ text }) => embed(model.name, text, model.embeddingLength, dimensions, this.options.embedBaseline));
			await this.timers.sleep(this.faults.firstTokenDelayMs, ctx.abort.signal);
			this.stats.completed++;
			this.sendJson(ctx.res, 200, {
				model: name,
				embeddings,
				...metrics({
					total_duration: Math.max(nsSince(ctx.start), loadNs + prefillNs + this.faults.firstTokenDelayMs * 1e6),
					load_duration: loadNs,
					prompt_eval_count: count,
				}),
			});
		} finally {
			handle.release();
		}
	}

	private async embeddingsHandler(ctx: Ctx): Promise<void> {
		const b = ctx.body as Json;
		const name = this.requireModelField(b, 'EmbeddingRequest');
		if (b.prompt !== undefined && b.prompt !== null && typeof b.prompt !== 'string') {
			throw new HttpError(400, `json: cannot unmarshal ${goKind(b.prompt)} into Go struct field EmbeddingRequest.prompt of type string`);
		}
		const model = this.findModel(name);
		// this path goes through the scheduler in Ollama, hence the other wording
		if (!model) throw new HttpError(404, `model ${JSON.stringify(name)} not found, try pulling it first`);
		this.countModel(model);
		const keepAlive = this.parseKeepAlive(b.keep_alive);
		const ro = this.runnerOpts(b.options);
		const prompt = (b.prompt as string | undefined) ?? '';
		if (this.applyFaults(ctx)) return;
		const { handle } = await this.getRunner(ctx, model, ro, keepAlive);
		try {
			if (!prompt) return this.sendJson(ctx.res, 200, { embedding: [] });
			const ctxLen = this.effectiveCtx(model, ro);
			const tokens = Math.min(embedInputTokens(prompt), ctxLen);
			const text = embedInputTokens(prompt) > ctxLen ? simTokenize(prompt).slice(0, Math.max(1, ctxLen - EMBED_SPECIAL_TOKENS)).join('') : prompt;
			await this.embedOne(ctx, handle, tokens);
			await this.timers.sleep(this.faults.firstTokenDelayMs, ctx.abort.signal);
			this.stats.completed++;
			this.sendJson(ctx.res, 200, { embedding: rawEmbedding(model.name, text, model.embeddingLength, this.options.embedBaseline) });
		} finally {
			handle.release();
		}
	}

	// ---------------- /api/show, /api/ps ----------------

	private async show(ctx: Ctx): Promise<void> {
		const b = ctx.body as Json;
		const name = typeof b.model === 'string' && b.model ? b.model : typeof b.name === 'string' && b.name ? b.name : '';
		if (!name) throw new HttpError(400, 'model is required');
		const model = this.findModel(name);
		if (!model) throw new HttpError(404, `model '${name}' not found`);
		this.sendJson(ctx.res, 200, showResponse(model));
	}

	/**
	 * routes.go PsHandler: size / size_vram of the runner (weights + KV cache), sorted by expires_at, latest first.
	 * Only runners whose load has finished: sched.go `load` puts a runner into `s.loaded` (what
	 * `loadedModels()` lists) after `llama.Load` returned, and the llama-server runner's `Load`
	 * waits in `WaitUntilRunning` until the model is up (llm/llama_server.go).
	 */
	private ps(): Json[] {
		const rows = [...this.scheduler.runners.values()].filter((r) => r.ready).map((r) => {
			const exp = this.scheduler.expiresAtOf(r);
			return {
				sortKey: exp,
				row: {
					name: r.model.name,
					model: r.model.name,
					size: r.sizeBytes,
					digest: r.model.digest,
					details: detailsOf(r.model),
					expires_at: new Date(exp).toISOString(),
					size_vram: r.vramBytes,
					context_length: Math.min(r.opts.numCtx, r.model.contextLength),
				},
			};
		});
		// slices.SortStableFunc by ExpiresAt.Unix(), descending (whole seconds, stable)
		rows.sort((a, b) => Math.floor(b.sortKey / 1000) - Math.floor(a.sortKey / 1000));
		return rows.map((r) => r.row);
	}
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
	if (signal.aborted) return Promise.reject(new AbortedError());
	return new Promise<T>((resolve, reject) => {
		const onAbort = () => reject(new AbortedError());
		signal.addEventListener('abort', onAbort, { once: true });
		p.then(
			(v) => {
				signal.removeEventListener('abort', onAbort);
				resolve(v);
			},
			(e) => {
				signal.removeEventListener('abort', onAbort);
				reject(e);
			},
		);
	});
}
