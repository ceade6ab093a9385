import { createServer, type Server } from 'node:http';

import { OllamaTransport } from '../ollama';
import { ModelDigests } from './model-digests';
import { chatHash } from './request-key';

// A server that only answers /api/tags, so a test can "re-pull" a model (change its digest).
let digest = 'aaa';
let tagsCalls = 0;
let server: Server;
let url: string;

beforeAll(async () => {
	server = createServer((_req, res) => {
		tagsCalls++;
		res.setHeader('content-type', 'application/json');
		res.end(JSON.stringify({ models: [{ name: 'llama3.2:3b', model: 'llama3.2:3b', digest, size: 1, modified_at: '2025-01-01T00:00:00Z', details: {} }] }));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => new Promise((resolve) => server.close(resolve)));

describe('model digests for cache keys', () => {
	it('reads digests from /api/tags, keeps them briefly, and sees a re-pulled model', async () => {
		const backend = new OllamaTransport({ name: 'b', baseUrl: url, weight: 1, parallel: 1 });
		try {
			const digests = new ModelDigests([backend], 50);
			expect(await Promise.all([digests.digestOf('llama3.2:3b'), digests.digestOf('llama3.2:3b')])).toEqual(['aaa', 'aaa']);
			expect(tagsCalls).toBe(1);
			expect(await digests.digestOf('not-pulled')).toBeUndefined();
			digest = 'bbb';
			expect(await digests.digestOf('llama3.2:3b')).toBe('aaa'); // still within its 50 ms
			await new Promise((resolve) => setTimeout(resolve, 60));
			expect(await digests.digestOf('llama3.2:3b')).toBe('bbb');
		} finally {
			await backend.close();
		}
	});

	it('gives a re-pulled model (new digest) a new key', () => {
		const request = { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }], options: { temperature: 0 } };
		expect(chatHash(request, 'aaa')).not.toBe(chatHash(request, 'bbb'));
		expect(chatHash(request, 'aaa')).toBe(chatHash({ options: { temperature: 0 }, messages: [{ content: 'hi', role: 'user' }], model: 'llama3.2:3b' }, 'aaa'));
	});

	it('treats a backend that is down as vouching for nothing', async () => {
		const down = new OllamaTransport({ name: 'down', baseUrl: 'http://127.0.0.1:1', weight: 1, parallel: 1 });
		try {
			expect(await new ModelDigests([down]).digestOf('llama3.2:3b')).toBeUndefined();
		} finally {
			await down.close();
		}
	});
});
