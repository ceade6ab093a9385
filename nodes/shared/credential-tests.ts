import type { ICredentialTestFunctions, ICredentialsDecrypted, INodeCredentialTestResult } from 'n8n-workflow';

import { OllamaTransport } from '../../lib/ollama';
import { pingRedis, redisConfigFromCredential } from '../../lib/redis';
import { clusterConfigFromCredential } from '../../lib/gateway';

const fail = (message: string): INodeCredentialTestResult => ({ status: 'Error', message });

/** GET /api/tags on every backend; the message names the backend that failed, never a secret. */
export async function ollamaClusterApiTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	let config;
	try {
		config = clusterConfigFromCredential(credential.data ?? {});
	} catch (error) {
		return fail((error as Error).message);
	}
	const failures: string[] = [];
	let models = 0;
	await Promise.all(
		config.backends.map(async (backend) => {
			const transport = new OllamaTransport(backend, {
				apiKey: config.apiKey,
				headers: config.headers,
				allowSelfSigned: config.allowSelfSigned,
				timeouts: { ...config.timeouts, firstTokenMs: 15_000, totalMs: 20_000 },
			});
			try {
				models += (await transport.listModels()).length;
			} catch (error) {
				failures.push((error as Error).message);
			} finally {
				await transport.close();
			}
		}),
	);
	if (failures.length) return fail(failures.join('; '));
	return { status: 'OK', message: `Connected to ${config.backends.length} backend(s), ${models} model(s) available` };
}

export async function agentTeamRedisApiTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const config = redisConfigFromCredential(credential.data ?? {});
	try {
		await pingRedis(config);
		return { status: 'OK', message: 'Redis answered PING' };
	} catch (error) {
		const reason = (error as Error).message.replace(config.password ?? '\u0000', '***');
		return fail(`Redis at ${config.host}:${config.port} did not answer PING: ${reason}`);
	}
}
