import { createServer, type Server } from 'node:http';

import fc from 'fast-check';

import { OllamaError, OllamaTransport } from '.';

/**
 * Issue 21 (bad input from a backend): random corruptions of a valid Ollama NDJSON chat stream,
 * served over real HTTP. Whatever arrives, a chat call ends with a result or a clear backend
 * error (an OllamaError naming the backend), never another exception, a crash or a hang (the
 * watchdog's short timeouts bound every call).
 */

const tokenLine = (text: string) => JSON.stringify({ model: 'llama3.2:3b', created_at: '2026-01-01T00:00:00Z', message: { role: 'assistant', content: text }, done: false });
const finalLine = JSON.stringify({
	model: 'llama3.2:3b',
	created_at: '2026-01-01T00:00:00Z',
	message: { role: 'assistant', content: '' },
	done: true,
	done_reason: 'stop',
	total_duration: 5e6,
	load_duration: 1e5,
	prompt_eval_count: 12,
	prompt_eval_duration: 1e6,
	eval_count: 5,
	eval_duration: 3e6,
});
const PIECES = ['Hello', ' there', ', "quoted"', ' \\ slash', ' é ü 😀'];
const VALID = [...PIECES.map(tokenLine), finalLine].join('\n') + '\n';

let server: Server;
let url: string;
/** The body the next request gets, as chunks written one by one. */
let reply: Buffer[] = [];
let transport: OllamaTransport;

beforeAll(async () => {
	server = createServer((_req, res) => {
		res.writeHead(200, { 'content-type': 'application/x-ndjson' });
		for (const chunk of reply) res.write(chunk);
		res.end();
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
	transport = new OllamaTransport({ name: 'fuzzed', baseUrl: url, weight: 1, parallel: 1 }, { timeouts: { connectMs: 2000, firstTokenMs: 2000, idleMs: 1000, totalMs: 4000 } });
});
afterAll(async () => {
	await transport.close();
	await new Promise((resolve) => server.close(resolve));
});

const CODES = new Set(['MALFORMED_RESPONSE', 'HTTP_ERROR', 'UNREACHABLE', 'TIMEOUT']);

/** One corruption of the valid stream's bytes. */
const corruption = fc.oneof(
	fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
	fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
	fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
	fc.record({ kind: fc.constant('dropLine' as const), line: fc.nat() }),
	fc.record({ kind: fc.constant('duplicateLine' as const), line: fc.nat() }),
	fc.record({ kind: fc.constant('replaceLine' as const), line: fc.nat(), text: fc.oneof(fc.string(), fc.json(), fc.constantFrom('null', '[]', '{}', '"x"', '{"done":true}', '{"error":"boom"}', '{"message":null}')) }),
);

type Corruption = typeof corruption extends fc.Arbitrary<infer T> ? T : never;

function corrupt(body: Buffer, c: Corruption): Buffer {
	const lines = body.toString('utf8').split('\n');
	const pick = (n: number) => n % Math.max(1, lines.length - 1);
	switch (c.kind) {
		case 'truncate':
			return body.subarray(0, c.at % body.length);
		case 'flip': {
			const copy = Buffer.from(body);
			copy[c.at % copy.length] = c.byte;
			return copy;
		}
		case 'insert': {
			const at = c.at % body.length;
			return Buffer.concat([body.subarray(0, at), Buffer.from(c.bytes), body.subarray(at)]);
		}
		case 'dropLine':
			lines.splice(pick(c.line), 1);
			return Buffer.from(lines.join('\n'));
		case 'duplicateLine':
			lines.splice(pick(c.line), 0, lines[pick(c.line)]);
			return Buffer.from(lines.join('\n'));
		default:
			lines[pick(c.line)] = c.text;
			return Buffer.from(lines.join('\n'));
	}
}

/** Splits a body into chunks at the given cut points (a UTF-8 character or a line may be split across chunks). */
function chunked(body: Buffer, cuts: number[]): Buffer[] {
	const points = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
	const chunks: Buffer[] = [];
	let from = 0;
	for (const p of points) {
		if (p > from) chunks.push(body.subarray(from, p));
		from = Math.max(from, p);
	}
	if (from < body.length) chunks.push(body.subarray(from));
	return chunks;
}

/** Whether the body holds a parseable final line (`done: true`): only then may a call succeed. */
function hasFinalLine(body: Buffer): boolean {
	return body
		.toString('utf8')
		.split('\n')
		.some((line) => {
			try {
				const parsed = JSON.parse(line) as { done?: unknown; error?: unknown } | null;
				return parsed !== null && typeof parsed === 'object' && parsed.done === true;
			} catch {
				return false;
			}
		});
}

async function call(body: Buffer[]): Promise<{ ok: true; content: string } | { ok: false; error: unknown }> {
	reply = body;
	try {
		const result = await transport.chat({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] });
		return { ok: true, content: result.message.content };
	} catch (error) {
		return { ok: false, error };
	}
}

describe('corrupted NDJSON from a backend', () => {
	it('the valid stream, split anywhere (even inside a character), gives the whole reply', async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(fc.nat(), { maxLength: 6 }), async (cuts) => {
				const outcome = await call(chunked(Buffer.from(VALID), cuts));
				expect(outcome).toEqual({ ok: true, content: PIECES.join('') });
			}),
			{ numRuns: 60 },
		);
	});

	it('any corruption ends in a result or a clear backend error naming the backend; a result only with a final line', async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(corruption, { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { maxLength: 4 }), async (corruptions, cuts) => {
				let body: Buffer = Buffer.from(VALID);
				for (const c of corruptions) body = corrupt(body, c);
				const outcome = await call(chunked(body, cuts));
				if (outcome.ok) {
					expect(typeof outcome.content).toBe('string');
					expect(hasFinalLine(body)).toBe(true);
					return;
				}
				expect(outcome.error).toBeInstanceOf(OllamaError);
				const error = outcome.error as OllamaError;
				expect(CODES.has(error.code)).toBe(true);
				expect(error.message).toContain('"fuzzed"');
				expect(error.message).not.toContain(url);
			}),
			{ numRuns: 300 },
		);
	});

	it('an empty 200 body is an error (the first shrunk counterexample: truncated to 0 bytes)', async () => {
		const outcome = await call([]);
		expect(outcome.ok).toBe(false);
		expect((outcome as { error: OllamaError }).error.code).toBe('MALFORMED_RESPONSE');
	});

	it('a stream cut before its final line is an error, not a shorter answer', async () => {
		const withoutFinal = [...PIECES.map(tokenLine)].join('\n') + '\n';
		const outcome = await call([Buffer.from(withoutFinal)]);
		expect(outcome.ok).toBe(false);
		expect((outcome as { error: OllamaError }).error.code).toBe('MALFORMED_RESPONSE');
		expect((outcome as { error: Error }).error.message).toMatch(/ended before its final line/);
	});
});
