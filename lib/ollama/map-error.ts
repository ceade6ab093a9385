import {
	BackendBusyError,
	BackendConfigError,
	BackendUnreachableError,
	MalformedResponseError,
	ModelNotFoundError,
	OllamaError,
	OllamaHttpError,
	OllamaTimeoutError,
	RequestAbortedError,
} from './errors';
import type { Timeouts } from './timeouts';
import type { Watchdog } from './watchdog';

const UNREACHABLE_CODES = new Set([
	'ECONNREFUSED',
	'ECONNRESET',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EPIPE',
	'UND_ERR_SOCKET',
	'UND_ERR_CLOSED',
	'UND_ERR_DESTROYED',
]);

function causeChain(error: unknown): Array<{ code?: string; name?: string; message?: string }> {
	const chain = [];
	let current = error as { cause?: unknown } | undefined;
	for (let depth = 0; current && depth < 6; depth++) {
		chain.push(current as { code?: string; name?: string; message?: string });
		current = current.cause as typeof current;
	}
	return chain;
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]*/gi;
const USERINFO_IN_TEXT = /[^\s"'<>/@]+:[^\s"'<>/@]*@/g;

/**
 * A detail from fetch, undici or a reply, safe for a message: URLs (which may carry
 * user:password or a query-string key) and bare `user:password@` parts are cut out. The backend
 * is named by its configured name instead.
 */
export function redactUrls(text: string): string {
	return text.replace(URL_IN_TEXT, '<url>').replace(USERINFO_IN_TEXT, '');
}

/** Turns whatever fetch, undici or the ollama client threw into one of our typed errors. */
export function mapError(
	error: unknown,
	ctx: { backend: string; model?: string; watchdog: Watchdog; timeouts: Timeouts },
): OllamaError {
	if (error instanceof OllamaError) return error;
	const { backend, watchdog, timeouts } = ctx;
	const messageOf = (e: unknown) => redactUrls((e as Error)?.message ?? String(e));

	if (watchdog.firedKind) {
		const kind = watchdog.firedKind;
		const ms = kind === 'total' ? timeouts.totalMs : kind === 'idle' ? timeouts.idleMs : timeouts.firstTokenMs;
		return new OllamaTimeoutError(backend, kind, ms);
	}
	if (watchdog.aborted) return new RequestAbortedError(backend);

	const status = (error as { status_code?: number }).status_code;
	if (typeof status === 'number') {
		const detail = messageOf(error) || `HTTP ${status}`;
		if (status === 503) return new BackendBusyError(backend, detail);
		if (status === 404 && /not found/i.test(detail)) return new ModelNotFoundError(backend, ctx.model ?? '?', detail);
		return new OllamaHttpError(backend, status, detail);
	}

	for (const link of causeChain(error)) {
		if (link.code === 'UND_ERR_CONNECT_TIMEOUT') return new OllamaTimeoutError(backend, 'connect', timeouts.connectMs);
		if (link.code && UNREACHABLE_CODES.has(link.code)) {
			return new BackendUnreachableError(backend, link.code, { cause: error });
		}
	}
	if (error instanceof SyntaxError) return new MalformedResponseError(backend, messageOf(error), { cause: error });
	const message = messageOf(error);
	if (error instanceof TypeError && /includes credentials/i.test(message)) {
		return new BackendConfigError(backend, 'its Base URL includes a user and password, which fetch refuses; move them into an Authorization header');
	}
	// fetch rejects with "fetch failed" when no response came at all; the cause says why.
	if (message === 'fetch failed') {
		const chain = causeChain(error);
		return new BackendUnreachableError(backend, chain.length > 1 ? messageOf(chain[chain.length - 1]) : message, { cause: error });
	}
	// undici reports a connection dropped mid-body as "terminated".
	if (/terminated|other side closed|socket/i.test(message)) {
		return new BackendUnreachableError(backend, `connection lost (${message})`, { cause: error });
	}
	return new MalformedResponseError(backend, message, { cause: error });
}
