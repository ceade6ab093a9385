import { StringDecoder } from 'node:string_decoder';

import type { ChatResponse, EmbedResponse, ListResponse } from 'ollama';
import type { Dispatcher, Pool } from 'undici';

import type { Backend } from '../pipeline/backend';
import { MalformedResponseError } from './errors';
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

/** Ollama's usual token line: only the content differs from one to the next. */
const TOKEN_HEAD = '"message":{"role":"assistant","content":"';
const TOKEN_TAIL = '"},"done":false}';

/**
 * The content of a plain token line, read without JSON.parse, or undefined when the line needs
 * a full parse (the last line, thinking, tool calls, errors, escapes in the content). Token lines
 * are most of a stream, and parsing each into an object was the largest part of a short call's
 * client cost. Safe because a JSON string holds no bare `"`: a content without `"` or `\` is
 * the text itself, and TOKEN_HEAD cannot occur inside an earlier string value.
 */
function plainTokenContent(line: string): string | undefined {
	if (!line.endsWith(TOKEN_TAIL)) return undefined;
	const at = line.indexOf(TOKEN_HEAD);
	if (at < 0) return undefined;
	const content = line.slice(at + TOKEN_HEAD.length, line.length - TOKEN_TAIL.length);
	return content.includes('"') || content.includes('\\') ? undefined : content;
}

/**
 * Splits an NDJSON body into lines as its chunks arrive. Hand-written (a dozen lines) because it
 * is the per-token hot path: no stream, no async iteration, no re-slicing of the whole buffer.
 */
class LineReader {
	private rest = '';
	// A character split across two chunks stays whole.
	private readonly decoder = new StringDecoder('utf8');

	constructor(private readonly onLine: (line: string) => void) {}

	write(chunk: Buffer): void {
		const text = this.decoder.write(chunk);
		const all = this.rest ? this.rest + text : text;
		let start = 0;
		for (let nl = all.indexOf('\n'); nl >= 0; nl = all.indexOf('\n', start)) {
			if (nl > start) this.onLine(all.slice(start, nl));
			start = nl + 1;
		}
		this.rest = all.slice(start);
	}

	end(): void {
		const last = (this.rest + this.decoder.end()).trim();
		this.rest = '';
		if (last) this.onLine(last);
	}
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

	/**
	 * Sends one request through `pool.dispatch` and hands the reply's body chunks to `onData` as
	 * they arrive (chat's NDJSON stream). Cheaper per call than `pool.request`, which wraps every
	 * reply in a Readable stream and an abort-signal listener; the watchdog cancels the request
	 * directly. An HTTP error status becomes a ResponseError with Ollama's message.
	 */
	private stream(path: string, body: string, watchdog: Watchdog, onData: (chunk: Buffer) => void, onEnd: () => void): Promise<void> {
		return new Promise<void>((resolve, reject) => {
			let settled = false;
			let status = 0;
			let errorBody = '';
			let controller: Dispatcher.DispatchController | undefined;
			const finish = (error?: unknown) => {
				if (settled) return;
				settled = true;
				watchdog.onAbort = undefined;
				if (error === undefined) resolve();
				else reject(error);
			};
			if (watchdog.aborted) return finish(watchdog.reason);
			watchdog.onAbort = (reason) => {
				// Before the request reached a socket there is no controller yet: onRequestStart aborts it.
				controller?.abort(reason instanceof Error ? reason : new Error(String(reason)));
				finish(reason);
			};
			this.pool.dispatch(
				{ method: 'POST', path: this.basePath + path, headers: this.headers, body },
				{
					onRequestStart: (c) => {
						controller = c;
						if (watchdog.aborted) c.abort(new Error('aborted'));
					},
					onResponseStart: (_c, statusCode) => {
						status = statusCode;
					},
					onResponseData: (c, chunk) => {
						if (settled) return;
						if (status >= 400) {
							errorBody += chunk.toString('utf8');
							return;
						}
						try {
							onData(chunk);
						} catch (error) {
							finish(error);
							c.abort(error instanceof Error ? error : new Error(String(error)));
						}
					},
					onResponseEnd: () => {
						if (settled) return;
						if (status >= 400) return finish(new ResponseError(errorText(errorBody, status), status));
						try {
							onEnd();
							finish();
						} catch (error) {
							finish(error);
						}
					},
					onResponseError: (_c, error) => finish(error),
				},
			);
		});
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
			let content = '';
			let thinking = '';
			const toolCalls: NonNullable<Message['tool_calls']> = [];
			let final: Partial<ChatResponse> = {};
			const onChunk = options.onChunk;
			const reader = new LineReader((line) => {
				const piece = plainTokenContent(line);
				if (piece !== undefined) {
					if (piece) {
						content += piece;
						onChunk?.(piece);
					}
					return;
				}
				const part = JSON.parse(line) as Partial<ChatResponse> & { error?: string };
				// Ollama reports a failure after the stream started as one {"error"} line in the 200 stream.
				if (typeof part.error === 'string') throw new ResponseError(part.error, 500);
				const text = part.message?.content;
				if (text) {
					content += text;
					onChunk?.(text);
				}
				if (part.message?.thinking) thinking += part.message.thinking;
				if (part.message?.tool_calls?.length) toolCalls.push(...part.message.tool_calls);
				if (part.done) final = part;
			});
			await this.stream(
				'/api/chat',
				JSON.stringify({ ...request, stream: true }),
				watchdog,
				(chunk) => {
					watchdog.chunk();
					reader.write(chunk);
				},
				() => reader.end(),
			);
			// Ollama ends every stream with a `done` line (or an {"error"} line): a body that ends without
			// one was cut short (a proxy, a dropped runner), and its text is not the whole answer.
			if (final.done !== true) throw new MalformedResponseError(this.name, 'the reply stream ended before its final line (no "done": true)');
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
