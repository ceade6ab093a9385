import { Ollama } from 'ollama';
import type { ChatResponse } from 'ollama';
import { fetch as undiciFetch, type Pool } from 'undici';

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

/**
 * The last stage of the gateway: one Ollama server behind one keep-alive pool. Requests go
 * through the official `ollama` client, handed a fetch that uses our pool and our per-call
 * abort signal. Chat is always streamed on the wire: that is what lets the first-token and
 * idle timeouts exist (a non-streamed reply sends nothing until it is complete).
 */
export class OllamaTransport {
	readonly backend: BackendConfig;
	readonly timeouts: Timeouts;
	private readonly pool: Pool;
	private readonly headers: Record<string, string>;
	private closed = false;

	constructor(backend: BackendConfig, options: TransportOptions = {}) {
		this.backend = backend;
		this.timeouts = resolveTimeouts(options.timeouts);
		this.pool = createPool(backend.baseUrl, {
			connections: options.connections || Math.max(4, backend.parallel * 2),
			connectTimeoutMs: this.timeouts.connectMs,
			allowSelfSigned: options.allowSelfSigned ?? false,
		});
		this.headers = { ...(options.headers ?? {}) };
		if (options.apiKey) this.headers.Authorization = `Bearer ${options.apiKey}`;
	}

	get name(): string {
		return this.backend.name;
	}

	/** A client bound to one call's signal; cheap, it only holds config. */
	private client(signal: AbortSignal): Ollama {
		const pool = this.pool;
		return new Ollama({
			host: this.backend.baseUrl.replace(/\/+$/, ''),
			headers: this.headers,
			// The client's own abort signal is dropped: this client lives for one call and nobody
			// calls its abort(); the call's signal (watchdog + caller) is the one that counts, and
			// AbortSignal.any per request is measurably slow on Node 20.
			fetch: ((input: string, init: RequestInit = {}) =>
				undiciFetch(input, { ...(init as object), signal, dispatcher: pool })) as unknown as typeof fetch,
		});
	}

	private async run<T>(model: string | undefined, options: CallOptions, fn: (client: Ollama, watchdog: Watchdog) => Promise<T>): Promise<T> {
		if (this.closed) throw new Error(`Ollama backend "${this.name}" is closed`);
		const watchdog = new Watchdog(this.timeouts, options.signal);
		try {
			return await fn(this.client(watchdog.signal), watchdog);
		} catch (error) {
			throw mapError(error, { backend: this.name, model, watchdog, timeouts: this.timeouts });
		} finally {
			watchdog.stop();
		}
	}

	async chat(request: ChatRequest, options: CallOptions = {}): Promise<ChatResult> {
		const started = performance.now();
		return await this.run(request.model, options, async (client, watchdog) => {
			const stream = await client.chat({ ...request, stream: true });
			let content = '';
			let thinking = '';
			const toolCalls: NonNullable<Message['tool_calls']> = [];
			let final: Partial<ChatResponse> = {};
			for await (const part of stream) {
				watchdog.chunk();
				const piece = part.message?.content ?? '';
				if (piece) {
					content += piece;
					options.onChunk?.(piece);
				}
				if (part.message?.thinking) thinking += part.message.thinking;
				if (part.message?.tool_calls?.length) toolCalls.push(...part.message.tool_calls);
				if (part.done) final = part;
			}
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
		return await this.run(request.model, options, async (client) => {
			const reply = await client.embed(request);
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
		return await this.run(undefined, options, async (client) => {
			const reply = await client.list();
			if (!Array.isArray(reply?.models)) throw new SyntaxError('/api/tags reply has no models array');
			return reply.models.map((m) => m.name);
		});
	}

	/** Model name → digest (GET /api/tags): a re-pulled model gets a new digest (cache keys use it). */
	async modelDigests(options: CallOptions = {}): Promise<Record<string, string>> {
		return await this.run(undefined, options, async (client) => {
			const reply = await client.list();
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
