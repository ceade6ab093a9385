import { StringDecoder } from 'node:string_decoder';

import type { ChatResponse, EmbedResponse, ListResponse } from 'ollama';
import type { Dispatcher, Pool } from 'undici';

import type { Backend } from '../pipeline/backend';
import { mapError } from './map-error';
import { createPool } from './pool';
import { resolveTimeouts, type Timeouts } from './timeouts';
import type { BackendConfig, CallOptions, ChatRequest, ChatResult, EmbedRequest, EmbedResult, Message, OllamaStats } from './types';
import { Watchdog } from './watchdog';

export interface TransportOptions {
	/** Bearer token for Ollama behind an authenticating proxy. */
	apiKey?: string;
	headers?: Record<string, string>;
	allowSelfSigned?: boolean;
	/** Sockets per backend; defaults to twice its parallel slots (at least 4). */
	connections?: number;
	timeouts?: Partial<Timeouts>;
}

const USER_AGENT = 'n8n-nodes-agent-team';

const nsToMs = (ns: number | undefined) => (typeof ns === 'number' ? ns / 1e6 : 0);

function statsOf(final: Partial<ChatResponse>): OllamaStats {
	return {
		promptEvalCount: final.prompt_eval_count ?? 0,
		evalCount: final.eval_count ?? 0,
		totalMs: nsToMs(final.total_duration),
		loadMs: nsToMs(final.load_duration),
		promptEvalMs: nsToMs(final.prompt_eval_duration),
		evalMs: nsToMs(final.eval_duration),
		doneReason: final.done_reason ?? '',
	};
}

/** What an HTTP error or an in-stream `{"error"}` line becomes before `mapError` (as the ollama client's ResponseError). */
class ResponseError extends Error {
	constructor(
		message: string,
		readonly status_code: number,
	) {
		super(message);
		this.name = 'ResponseError';
	}
}

function errorText(body: string, status: number): string {
	try {
		const parsed = JSON.parse(body) as { error?: unknown };
		if (typeof parsed?.error === 'string') return parsed.error;
	} catch {
		// not JSON: the text itself
	}
	return body.trim() || `HTTP ${status}`;
}

/**
 * Reads an NDJSON body line by line as it arrives, calling `onLine` with each parsed object.
 * Hand-written (a dozen lines) because it is the per-token hot path: no async generator, no
 * re-slicing of the whole buffer per line.
 */
function readNdjson(body: Dispatcher.ResponseData['body'], onLine: (part: Record<string, unknown>) => void): Promise<void> {
	return new Promise((resolve, reject) => {
		let rest = '';
		const fail = (error: unknown) => {
			body.destroy();
			reject(error);
		};
		const lines = (text: string) => {
			let start = 0;
			for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
				if (nl > start) onLine(JSON.parse(text.slice(start, nl)) as Record<string, unknown>);
				start = nl + 1;
			}
			return text.slice(start);
		};
		// undici's body ignores setEncoding; a StringDecoder keeps a character split across chunks whole.
		const decoder = new StringDecoder('utf8');
		body.on('data', (chunk: Buffer) => {
			try {
				const text = decoder.write(chunk);
				rest = lines(rest ? rest + text : text);
			} catch (error) {
				fail(error);
			}
		});
		body.once('error', reject);
		body.once('end', () => {
			try {
				rest += decoder.end();
				if (rest.trim()) onLine(JSON.parse(rest) as Record<string, unknown>);
				resolve();
			} catch (error) {
				reject(error);
			}
		});
	});
}

/**
 * The last stage of the gateway: one Ollama server behind one keep-alive undici pool. Calls
 * go straight through `pool.request` (the per-call cost of a fetch + the `ollama` client was
 * ~2.5x a raw keep-alive request); the `ollama` package still provides the API types. Chat is
 * always streamed on the wire and read as NDJSON as it arrives: that is what lets the
 * first-token and idle timeouts exist (a non-streamed reply sends nothing until it is complete).
 */
export class OllamaTransport implements Backend {
	readonly backend: BackendConfig;
	readonly timeouts: Timeouts;
	private readonly pool: Pool;
	private readonly headers: Record<string, string>;
	/** The Base URL's path (Ollama behind a proxy under a prefix), without a trailing slash. */
	private readonly basePath: string;
	private closed = false;

	constructor(backend: BackendConfig, options: TransportOptions = {}) {
		this.backend = backend;
		this.timeouts = resolveTimeouts(options.timeouts);
		this.pool = createPool(backend.baseUrl, {
			connections: options.connections || Math.max(4, backend.parallel * 2),
			connectTimeoutMs: this.timeouts.connectMs,
			allowSelfSigned: options.allowSelfSigned ?? false,
		});
		this.basePath = new URL(backend.baseUrl).pathname.replace(/\/+$/, '');
		this.headers = { 'content-type': 'application/json', accept: 'application/json', 'user-agent': USER_AGENT, ...(options.headers ?? {}) };
		if (options.apiKey) this.headers.Authorization = `Bearer ${options.apiKey}`;
	}

	get name(): string {
		return this.backend.name;
	}

	/** Sends one request on the pool; an HTTP error status becomes a ResponseError with Ollama's message. */
	private async send(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal): Promise<Dispatcher.ResponseData['body']> {
		const response = await this.pool.request({
			method,
			path: this.basePath + path,
			headers: this.headers,
			body: body === undefined ? undefined : JSON.stringify(body),
			signal,
		});
		if (response.statusCode >= 400) {
			const text = await response.body.text();
			throw new ResponseError(errorText(text, response.statusCode), response.statusCode);
		}
		return response.body;
	}

	private async getJson<T>(path: string, body: unknown, signal: AbortSignal): Promise<T> {
		const reply = await this.send(body === undefined ? 'GET' : 'POST', path, body, signal);
		return (await reply.json()) as T;
	}

	private async run<T>(model: string | undefined, options: CallOptions, fn: (watchdog: Watchdog) => Promise<T>): Promise<T> {
		if (this.closed) throw new Error(`Ollama backend "${this.name}" is closed`);
		const watchdog = new Watchdog(this.timeouts, options.signal);
		try {
			return await fn(watchdog);
		} catch (error) {
			const mapped = mapError(error, { backend: this.name, model, watchdog, timeouts: this.timeouts });
			mapped.afterFirstToken = watchdog.started;
			throw mapped;
		} finally {
			watchdog.stop();
		}
	}

	async chat(request: ChatRequest, options: CallOptions = {}): Promise<ChatResult> {
		const started = performance.now();
		return await this.run(request.model, options, async (watchdog) => {
			const body = await this.send('POST', '/api/chat', { ...request, stream: true }, watchdog.signal);
			let content = '';
			let thinking = '';
			const toolCalls: NonNullable<Message['tool_calls']> = [];
			let final: Partial<ChatResponse> = {};
			const onChunk = options.onChunk;
			await readNdjson(body, (line) => {
				const part = line as Partial<ChatResponse> & { error?: string };
				watchdog.chunk();
				// Ollama reports a failure after the stream started as one {"error"} line in the 200 stream.
				if (typeof part.error === 'string') throw new ResponseError(part.error, 500);
				const piece = part.message?.content;
				if (piece) {
					content += piece;
					onChunk?.(piece);
				}
				if (part.message?.thinking) thinking += part.message.thinking;
				if (part.message?.tool_calls?.length) toolCalls.push(...part.message.tool_calls);
				if (part.done) final = part;
			});
			const message: Message = { role: 'assistant', content };
			if (thinking) message.thinking = thinking;
			if (toolCalls.length) message.tool_calls = toolCalls;
			return {
				model: final.model ?? request.model,
				message,
				backend: this.name,
				latencyMs: performance.now() - started,
				...statsOf(final),
			};
		});
	}

	async embed(request: EmbedRequest, options: CallOptions = {}): Promise<EmbedResult> {
		const started = performance.now();
		return await this.run(request.model, options, async (watchdog) => {
			const reply = await this.getJson<EmbedResponse>('/api/embed', request, watchdog.signal);
			if (!Array.isArray(reply?.embeddings)) throw new SyntaxError('embed reply has no embeddings array');
			return {
				model: reply.model ?? request.model,
				embeddings: reply.embeddings,
				promptEvalCount: reply.prompt_eval_count ?? 0,
				totalMs: nsToMs(reply.total_duration),
				loadMs: nsToMs(reply.load_duration),
				backend: this.name,
				latencyMs: performance.now() - started,
			};
		});
	}

	/** Names of the models the backend has (GET /api/tags); also the credential test. */
	async listModels(options: CallOptions = {}): Promise<string[]> {
		return await this.run(undefined, options, async (watchdog) => {
			const reply = await this.getJson<ListResponse>('/api/tags', undefined, watchdog.signal);
			if (!Array.isArray(reply?.models)) throw new SyntaxError('/api/tags reply has no models array');
			return reply.models.map((m) => m.name);
		});
	}

	/** Model name → digest (GET /api/tags): a re-pulled model gets a new digest (cache keys use it). */
	async modelDigests(options: CallOptions = {}): Promise<Record<string, string>> {
		return await this.run(undefined, options, async (watchdog) => {
			const reply = await this.getJson<ListResponse>('/api/tags', undefined, watchdog.signal);
			if (!Array.isArray(reply?.models)) throw new SyntaxError('/api/tags reply has no models array');
			return Object.fromEntries(reply.models.map((m) => [m.name, m.digest ?? '']));
		});
	}

	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		await this.pool.close();
	}
}
