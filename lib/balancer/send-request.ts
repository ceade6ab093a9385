import type { Backend } from '../pipeline';
import { newTrace } from '../pipeline';
import { BackendRequestError, normalizeModel } from './backend-http';
import type { BalancerRouter } from './router';

export interface ApiRequest {
	method: 'GET' | 'POST' | 'DELETE';
	/** An Ollama API path, e.g. `/api/show`. */
	path: string;
	body?: Record<string, unknown>;
	timeoutMs: number;
	signal?: AbortSignal;
}

export interface ApiReply {
	backend: string;
	status: number;
	body: unknown;
	/** Backends that did not answer before this one did. */
	failedOver: string[];
}

/**
 * Any Ollama API call beside the gateway pipeline (the Load Balancer node's Send Request for
 * paths other than chat and embed): sent to the backend the router would pick for the body's
 * model, and to the next one when a backend does not answer at all. HTTP errors are replies.
 * Streaming endpoints are asked for one JSON reply (`stream: false`) unless the body says otherwise.
 */
export async function sendApiRequest(router: BalancerRouter, backends: Backend[], request: ApiRequest): Promise<ApiReply> {
	const path = `/${request.path.replace(/^\/+/, '')}`;
	if (!/^\/api\/[\w/.-]*$/.test(path)) throw new Error(`"${request.path}" is not an Ollama API path (it must start with /api/)`);
	const body: Record<string, unknown> | undefined = request.method === 'GET' ? undefined : { stream: false, ...request.body };
	const model = typeof body?.model === 'string' ? body.model : typeof body?.name === 'string' ? body.name : '';
	const probe = { kind: 'chat' as const, request: { model, messages: [] }, options: {}, trace: newTrace() };
	const first = model ? router.select(probe) : undefined;
	const order = first ? [first, ...backends.filter((b) => b !== first)] : [...backends].sort((a, b) => router.inFlight(a.name) - router.inFlight(b.name));
	const failedOver: string[] = [];
	let lastError: unknown;
	for (const backend of order) {
		try {
			const reply = await router.http.send(backend.backend, request.method, path, body, request.timeoutMs, request.signal);
			return { backend: backend.name, status: reply.status, body: reply.body, failedOver };
		} catch (error) {
			if (!(error instanceof BackendRequestError) || request.signal?.aborted) throw error;
			failedOver.push(backend.name);
			lastError = error;
		}
	}
	throw lastError ?? new Error(`No backend answered ${request.method} ${path}${model ? ` for model "${normalizeModel(model)}"` : ''}`);
}

/** A Base URL as other nodes may use it: without user:password (those stay in the credential). */
export function publicBaseUrl(baseUrl: string): string {
	const url = new URL(baseUrl);
	url.username = '';
	url.password = '';
	return url.toString().replace(/\/+$/, '');
}
