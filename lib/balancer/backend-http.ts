import { Agent, request } from 'undici';

import { normalizeModel } from '../ollama/model-tag';
import type { BackendConfig } from '../ollama/types';
import { AgentTeamError } from '../errors';

export interface HttpAuth {
	apiKey?: string;
	headers?: Record<string, string>;
	allowSelfSigned?: boolean;
}

export interface HttpReply {
	status: number;
	body: unknown;
	/** From a `Retry-After` header (seconds or an HTTP date), when the server sent one. */
	retryAfterMs?: number;
}

/** A loaded model as `GET /api/ps` reports it. */
export interface RunningModel {
	name: string;
	sizeVram: number;
	/** ms since the epoch; 0 when unknown */
	expiresAt: number;
	contextLength?: number;
}

/** An error of the balancer's own requests: names the backend, never its URL. */
export class BackendRequestError extends AgentTeamError {
	constructor(
		readonly backend: string,
		readonly status: number | undefined,
		detail: string,
		readonly retryAfterMs?: number,
	) {
		super('BACKEND_REQUEST', `Ollama backend "${backend}" ${status ? `answered HTTP ${status}` : 'did not answer'}: ${detail}`);
	}
}

export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
	const text = Array.isArray(value) ? value[0] : value;
	if (!text) return undefined;
	const seconds = Number(text);
	if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
	const date = Date.parse(text);
	return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/**
 * The balancer's own small requests to a backend, beside the call path: health probes
 * (`/api/ps`), pulls, and the Load Balancer node's Send Request. Sends the same auth the
 * transport sends. undici's `request`, since these need status, headers and a deadline, not the
 * `ollama` client's typed calls.
 */
export class BackendHttp {
	private readonly dispatcher?: Agent;
	private readonly headers: Record<string, string>;

	constructor(auth: HttpAuth = {}) {
		this.headers = { 'content-type': 'application/json', ...(auth.headers ?? {}) };
		if (auth.apiKey) this.headers.authorization = `Bearer ${auth.apiKey}`;
		if (auth.allowSelfSigned) this.dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
	}

	async send(backend: BackendConfig, method: string, path: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<HttpReply> {
		const url = new URL(`${backend.baseUrl.replace(/\/+$/, '')}${path}`);
		const headers = { ...this.headers };
		if (url.username && !headers.authorization) {
			headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
		}
		url.username = '';
		url.password = '';
		const timeout = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
		const signals = [timeout, signal].filter((s): s is AbortSignal => s !== undefined);
		let reply;
		try {
			reply = await request(url, {
				method: method as 'GET',
				headers,
				body: body === undefined ? undefined : JSON.stringify(body),
				signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
				dispatcher: this.dispatcher,
				headersTimeout: timeoutMs || undefined,
				bodyTimeout: timeoutMs || undefined,
			});
		} catch (error) {
			throw new BackendRequestError(backend.name, undefined, describe(error, timeout, timeoutMs));
		}
		const text = await reply.body.text().catch((error: unknown) => {
			throw new BackendRequestError(backend.name, reply.statusCode, describe(error, timeout, timeoutMs));
		});
		let parsed: unknown = text;
		try {
			parsed = text ? JSON.parse(text) : undefined;
		} catch {
			// not JSON (e.g. streamed NDJSON or an HTML error page): kept as text
		}
		return { status: reply.statusCode, body: parsed, retryAfterMs: parseRetryAfter(reply.headers['retry-after']) };
	}

	/** `GET /api/ps`: the models loaded now. Throws on anything but a 200 with a models array. */
	async runningModels(backend: BackendConfig, timeoutMs: number): Promise<RunningModel[]> {
		const reply = await this.send(backend, 'GET', '/api/ps', undefined, timeoutMs);
		const models = (reply.body as { models?: unknown } | undefined)?.models;
		if (reply.status !== 200 || !Array.isArray(models)) {
			throw new BackendRequestError(backend.name, reply.status, errorText(reply.body) ?? 'no models list in /api/ps', reply.retryAfterMs);
		}
		return models.map((m: Record<string, unknown>) => ({
			name: normalizeModel(String(m.name ?? m.model ?? '')),
			sizeVram: Number(m.size_vram ?? 0),
			expiresAt: typeof m.expires_at === 'string' ? Date.parse(m.expires_at) || 0 : 0,
			contextLength: typeof m.context_length === 'number' ? m.context_length : undefined,
		}));
	}

	/** `POST /api/pull` (not streamed): resolves when the model is on the backend. */
	async pull(backend: BackendConfig, model: string, timeoutMs: number): Promise<void> {
		const reply = await this.send(backend, 'POST', '/api/pull', { model, stream: false }, timeoutMs);
		if (reply.status !== 200) throw new BackendRequestError(backend.name, reply.status, errorText(reply.body) ?? 'pull failed');
	}

	async close(): Promise<void> {
		await this.dispatcher?.close();
	}
}

function errorText(body: unknown): string | undefined {
	const error = (body as { error?: unknown } | undefined)?.error;
	return typeof error === 'string' ? error : undefined;
}

function describe(error: unknown, timeout: AbortSignal | undefined, timeoutMs: number): string {
	if (timeout?.aborted) return `no answer within ${timeoutMs} ms`;
	let current = error as { code?: string; name?: string; cause?: unknown } | undefined;
	for (let depth = 0; current && depth < 5; depth++) {
		if (current.code) return current.code;
		current = current.cause as typeof current;
	}
	return (error as Error)?.name ?? 'request failed';
}

export { normalizeModel };
