import type { GatewayChatResult } from '../gateway';
import { ModelNotFoundError, OllamaTimeoutError } from '../ollama';
import { errorLabel, isBackendCallError, recordFromChatResult, recordFromError } from './call-record';

function chatResult(overrides: Partial<GatewayChatResult> = {}): GatewayChatResult {
	return {
		model: 'llama3.1:8b',
		backend: 'gpu-a',
		message: { role: 'assistant', content: 'the secret answer is 42' },
		promptEvalCount: 120,
		evalCount: 30,
		totalMs: 1000,
		loadMs: 100,
		promptEvalMs: 200,
		evalMs: 600,
		doneReason: 'stop',
		latencyMs: 1050,
		queueMs: 25,
		cacheHit: false,
		retries: 1,
		warnings: [],
		...overrides,
	};
}

describe('recordFromChatResult', () => {
	it('copies the stats and adds the wait inside Ollama to the gateway queue', () => {
		expect(recordFromChatResult(chatResult())).toEqual({
			model: 'llama3.1:8b',
			backend: 'gpu-a',
			ok: true,
			latencyMs: 1050,
			queueMs: 25 + (1000 - 100 - 200 - 600),
			loadMs: 100,
			promptEvalMs: 200,
			evalMs: 600,
			promptTokens: 120,
			completionTokens: 30,
			retries: 1,
			cacheHit: false,
		});
	});

	it('never counts a negative server queue when the phases exceed Ollama\'s total', () => {
		const record = recordFromChatResult(chatResult({ totalMs: 850, queueMs: 5 }));
		expect(record.queueMs).toBe(5);
	});

	it('keeps the estimate only when one is given, and never the response text', () => {
		expect(recordFromChatResult(chatResult())).not.toHaveProperty('estimatedPromptTokens');
		const record = recordFromChatResult(chatResult(), { estimatedPromptTokens: 118 });
		expect(record.estimatedPromptTokens).toBe(118);
		expect(JSON.stringify(record)).not.toContain('secret');
	});
});

describe('recordFromError', () => {
	it('labels an OllamaError by its code and takes the backend from it', () => {
		const record = recordFromError(new OllamaTimeoutError('gpu-b', 'firstToken', 30_000), {
			model: 'qwen2.5:7b',
			latencyMs: 30_010,
			retries: 2,
		});
		expect(record).toMatchObject({
			ok: false,
			error: 'TIMEOUT',
			backend: 'gpu-b',
			model: 'qwen2.5:7b',
			latencyMs: 30_010,
			retries: 2,
			promptTokens: 0,
			completionTokens: 0,
			cacheHit: false,
		});
	});

	it('prefers an explicit backend and falls back to "unknown"', () => {
		const error = new ModelNotFoundError('gpu-a', 'm', 'not pulled');
		expect(recordFromError(error, { model: 'm', backend: 'gpu-c', latencyMs: 3 }).backend).toBe('gpu-c');
		expect(recordFromError(new Error('x'), { model: 'm', latencyMs: 3 }).backend).toBe('unknown');
	});

	it('never carries the error message, which may hold user data', () => {
		const record = recordFromError(new Error('prompt: my password is hunter2'), { model: 'm', latencyMs: 1 });
		expect(record.error).toBe('Error');
		expect(JSON.stringify(record)).not.toContain('hunter2');
	});
});

describe('errorLabel', () => {
	it('uses a code when it is a plain token, else the class name', () => {
		expect(errorLabel(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
		expect(errorLabel(new TypeError('bad'))).toBe('TypeError');
		expect(errorLabel(Object.assign(new RangeError('x'), { code: 'not a code: user text' }))).toBe('RangeError');
		expect(errorLabel(Object.assign(new Error('x'), { code: 503 }))).toBe('Error');
	});

	it('labels values that are not errors without stringifying them', () => {
		expect(errorLabel('user text thrown as a string')).toBe('Error');
		expect(errorLabel(undefined)).toBe('Error');
		expect(errorLabel({ name: 'has spaces in it' })).toBe('Error');
	});
});

describe('failed calls: only real backend calls, numbers from the gateway trace', () => {
	it('tells a backend call that failed from an error that never reached a backend', () => {
		expect(isBackendCallError(Object.assign(new Error('x'), { code: 'TIMEOUT', backend: 'gpu-1' }))).toBe(true);
		expect(isBackendCallError(Object.assign(new Error('x'), { code: 'MODEL_NOT_FOUND', backend: 'gpu-1' }))).toBe(true);
		expect(isBackendCallError(Object.assign(new Error('cancelled'), { code: 'ABORTED', backend: 'gpu-1' }))).toBe(false);
		expect(isBackendCallError(Object.assign(new Error('x'), { code: 'BAD_CONFIG', backend: 'gpu-1' }))).toBe(false);
		expect(isBackendCallError(new Error('Item 0: the "Prompt" parameter is empty'))).toBe(false);
		expect(isBackendCallError(Object.assign(new Error('queue'), { name: 'QueueTimeoutError' }))).toBe(false);
	});

	it('takes retries and queue time from the trace the gateway attached to the error', () => {
		const error = Object.assign(new Error('busy'), { code: 'BUSY', backend: 'gpu-2', trace: { queueMs: 40, retries: 2, cacheHit: false, warnings: [] } });
		const failed = recordFromError(error, { model: 'm', latencyMs: 90 });
		expect(failed).toEqual(expect.objectContaining({ backend: 'gpu-2', retries: 2, queueMs: 40, cacheHit: false, ok: false, error: 'BUSY' }));
	});
});

describe('failed calls through a real gateway', () => {
	it('record the retries the gateway made (from its trace), not a constant 0', async () => {
		const { createServer } = await import('node:http');
		const busy = createServer((_req, res) => {
			res.writeHead(503, { 'content-type': 'application/json' });
			// A 503 that is not Ollama's load queue (a proxy's): retried with backoff. Ollama's own
			// "maximum pending requests exceeded" instead waits for the load (lib/balancer/loading.ts).
			res.end('{"error":"service unavailable"}');
		});
		await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
		const { Gateway } = await import('../gateway');
		const gateway = new Gateway({
			backends: [{ name: 'gpu-busy', baseUrl: `http://127.0.0.1:${(busy.address() as { port: number }).port}`, weight: 1, parallel: 1 }],
			balancer: { retries: 2 },
		});
		try {
			const error = await gateway.chat({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
			expect(isBackendCallError(error)).toBe(true);
			const retried = (error as { trace?: { retries: number } }).trace?.retries ?? 0;
			expect(retried).toBeGreaterThan(0); // the gateway did retry the busy backend
			expect(recordFromError(error, { model: 'm', latencyMs: 1 })).toEqual(expect.objectContaining({ backend: 'gpu-busy', error: 'BUSY', retries: retried }));
		} finally {
			await gateway.close();
			await new Promise((resolve) => busy.close(resolve));
		}
	});
});
