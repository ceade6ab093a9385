import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';

import type { ICredentialTestFunctions, ICredentialsDecrypted } from 'n8n-workflow';

import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server';
import { startSimulator, type Simulator } from '../../test/simulator';
import { agentTeamRedisApiTest, ollamaClusterApiTest } from './credential-tests';

let sim: Simulator;
let redis: TestRedis;
const ctx = {} as ICredentialTestFunctions;
const credential = (data: Record<string, unknown>) => ({ id: '1', name: 'c', type: 't', data }) as unknown as ICredentialsDecrypted;

beforeAll(async () => {
	sim = await startSimulator({ parallel: 1, timeScale: 0, apiKey: 'sk-cred-secret' });
	redis = await startTestRedis();
});
afterAll(async () => {
	await sim.close();
	await redis.stop();
});

describe('Ollama Cluster credential test', () => {
	it('calls /api/tags on every backend and reports the models', async () => {
		const result = await ollamaClusterApiTest.call(
			ctx,
			credential({
				apiKey: 'sk-cred-secret',
				backends: { backend: [{ name: 'a', baseUrl: sim.url, weight: 1, parallel: 1 }, { name: 'b', baseUrl: `${sim.url}/`, weight: 1, parallel: 1 }] },
			}),
		);
		expect(result).toEqual({ status: 'OK', message: expect.stringMatching(/^Connected to 2 backend\(s\), \d+ model\(s\) available$/) });
		expect(sim.stats.requestsByEndpoint['/api/tags']).toBe(2);
	});

	it('names the backend that failed and never the secret', async () => {
		const result = await ollamaClusterApiTest.call(
			ctx,
			credential({
				apiKey: 'sk-wrong-secret',
				backends: { backend: [{ name: 'gpu-7', baseUrl: sim.url, weight: 1, parallel: 1 }] },
			}),
		);
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/"gpu-7".*401/);
		expect(result.message).not.toContain('sk-wrong-secret');
	});

	it('reports an unreachable backend and a credential without backends', async () => {
		const closed = createServer();
		const port = await new Promise<number>((resolve) => closed.listen(0, '127.0.0.1', () => resolve((closed.address() as { port: number }).port)));
		await new Promise((resolve) => closed.close(resolve));
		const down = await ollamaClusterApiTest.call(ctx, credential({ backends: { backend: [{ name: 'down', baseUrl: `http://127.0.0.1:${port}`, weight: 1, parallel: 1 }] } }));
		expect(down).toEqual({ status: 'Error', message: expect.stringMatching(/"down" is unreachable: ECONNREFUSED/) });
		// Port 9 (which fetch refused outright as a "bad port"; the transport's undici pool tries it):
		// still reported as unreachable by the backend's name, with the reason.
		const badPort = await ollamaClusterApiTest.call(ctx, credential({ backends: { backend: [{ name: 'odd', baseUrl: 'http://127.0.0.1:9', weight: 1, parallel: 1 }] } }));
		expect(badPort).toEqual({ status: 'Error', message: expect.stringMatching(/"odd" is unreachable: (bad port|ECONNREFUSED)/) });
		const empty = await ollamaClusterApiTest.call(ctx, credential({ backends: { backend: [] } }));
		expect(empty).toEqual({ status: 'Error', message: 'The Ollama Cluster credential lists no backend' });
	});
});

describe('Ollama Cluster credential test: user:password in a Base URL', () => {
	let proxy: Server;
	let port: number;
	const seen: Array<string | undefined> = [];
	beforeAll(async () => {
		// An authenticating proxy in front of Ollama, as users put nginx with basic auth.
		proxy = createHttpServer((req, res) => {
			seen.push(req.headers.authorization);
			const ok = req.headers.authorization === `Basic ${Buffer.from('ops:s3cret-pw').toString('base64')}`;
			res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
			res.end(ok ? JSON.stringify({ models: [{ name: 'llama3.2:3b', model: 'llama3.2:3b' }] }) : '{"error":"unauthorized"}');
		});
		port = await new Promise<number>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve((proxy.address() as { port: number }).port)));
	});
	afterAll(async () => new Promise((resolve) => proxy.close(resolve)));

	it('sends it as Authorization: Basic and reports the backend by name', async () => {
		const result = await ollamaClusterApiTest.call(ctx, credential({ backends: { backend: [{ name: 'edge', baseUrl: `http://ops:s3cret-pw@127.0.0.1:${port}`, weight: 1, parallel: 1 }] } }));
		expect(result).toEqual({ status: 'OK', message: 'Connected to 1 backend(s), 1 model(s) available' });
		expect(seen.at(-1)).toBe(`Basic ${Buffer.from('ops:s3cret-pw').toString('base64')}`);
	});

	it('names the backend on a wrong password, never the URL or the password', async () => {
		const result = await ollamaClusterApiTest.call(ctx, credential({ backends: { backend: [{ name: 'edge', baseUrl: `http://ops:wrong-pw@127.0.0.1:${port}`, weight: 1, parallel: 1 }] } }));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/"edge".*401/);
		expect(result.message).not.toMatch(/wrong-pw|127\.0\.0\.1|http:/);
	});
});

describe('Agent Team Redis credential test', () => {
	it('PINGs a live Redis', async () => {
		expect(await agentTeamRedisApiTest.call(ctx, credential({ host: redis.config.host, port: redis.config.port }))).toEqual({ status: 'OK', message: 'Redis answered PING' });
	});

	it('explains a failure without the password', async () => {
		const result = await agentTeamRedisApiTest.call(ctx, credential({ host: '127.0.0.1', port: 9, password: 'hunter2' }));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/^Redis at 127.0.0.1:9 did not answer PING: .*ECONNREFUSED/);
		expect(result.message).not.toContain('hunter2');
	});
});
