/**
 * n8n's own Ollama nodes (Ollama Chat Model, Embeddings Ollama from @n8n/n8n-nodes-langchain), run
 * in-process against the simulator for the fidelity test. This package does not depend on
 * @n8n/n8n-nodes-langchain, so they come from the real n8n that `bash test/e2e/install-n8n.sh`
 * installs (CI runs it before `npm test`). Each node's `supplyData` runs with a minimal
 * ISupplyDataFunctions: credentials, parameters, the secure egress filter of n8n-core's
 * OutboundHttp (as n8n-core's request helpers hand it over), and no-op logging/tracing hooks.
 * The nodes then talk to the simulator through their own @langchain/ollama and `ollama` copies.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const MARKER = '.e2e-install-complete';

/** The newest complete install of n8n (test/e2e/install-n8n.sh) that holds @n8n/n8n-nodes-langchain. */
export function findN8nLangchainNodes(): string | undefined {
	try {
		return join(require.resolve('@n8n/n8n-nodes-langchain/package.json'), '..');
	} catch {
		// not a dependency of this package: look in the e2e install
	}
	const cache = process.env.N8N_E2E_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'n8n-nodes-agent-team');
	if (!existsSync(cache)) return undefined;
	const installs = readdirSync(cache)
		.filter((d) => existsSync(join(cache, d, MARKER)))
		.sort()
		.reverse();
	for (const d of installs) {
		const dir = join(cache, d, 'node_modules', '@n8n', 'n8n-nodes-langchain');
		if (existsSync(join(dir, 'package.json'))) return dir;
	}
	return undefined;
}

const INSTALL_SCRIPT = join(__dirname, '..', 'e2e', 'install-n8n.sh');

/**
 * The same, installing n8n first when no complete install is there: a fresh clone's `npm test`
 * must pass as it stands. The script caches the install outside the checkout and takes its lock,
 * so a concurrent install (another test run, `npm run test:e2e`) is waited for, never repeated.
 */
export async function ensureN8nLangchainNodes(): Promise<string> {
	const found = findN8nLangchainNodes();
	if (found) return found;
	process.stderr.write(`[fidelity] n8n's own Ollama nodes are not installed: running bash ${INSTALL_SCRIPT} once (cached for later runs; takes a few minutes)\n`);
	await new Promise<void>((resolve, reject) => {
		const child = spawn('bash', [INSTALL_SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'] });
		child.on('error', reject);
		child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`bash ${INSTALL_SCRIPT} failed (exit ${code ?? signal}); see its log above`))));
	});
	const installed = findN8nLangchainNodes();
	if (!installed) throw new Error(`bash ${INSTALL_SCRIPT} finished, but no complete install with @n8n/n8n-nodes-langchain is in its cache`);
	return installed;
}

export interface SuppliedModel<T> {
	response: T;
	/** AI events the node logged (n8n's tracing) */
	events: string[];
}

interface SupplyingNode {
	supplyData(this: unknown, itemIndex: number): Promise<{ response: unknown }>;
}

/** Runs `supplyData` of n8n's node `file` (relative to the package's dist/nodes) with these parameters. */
export async function supplyFromN8nNode<T>(packageDir: string, file: string, exportName: string, credentials: { baseUrl: string; apiKey?: string }, parameters: Record<string, unknown>): Promise<SuppliedModel<T>> {
	const mod = require(join(packageDir, 'dist', 'nodes', file)) as Record<string, new () => SupplyingNode>;
	const node = new mod[exportName]();
	const events: string[] = [];
	const noop = () => undefined;
	const context = {
		getCredentials: async () => ({ ...credentials }),
		getNode: () => ({ id: 'fidelity', name: exportName, type: `@n8n/n8n-nodes-langchain.${exportName}`, typeVersion: 1, position: [0, 0], parameters }),
		getNodeParameter: (name: string, _item: number, fallback?: unknown) => (name in parameters ? parameters[name] : fallback),
		helpers: {
			getSecureEgressFilter: () => {
				// the same object n8n-core's request helpers return (OutboundHttp from the DI container)
				const { Container } = require('@n8n/di') as { Container: { get<C>(c: new (...a: never[]) => C): C } };
				const { OutboundHttp } = require('@n8n/backend-network') as { OutboundHttp: new (...a: never[]) => { egressFilter(): unknown } };
				return Container.get(OutboundHttp).egressFilter();
			},
		},
		logger: { debug: noop, info: noop, warn: noop, error: noop },
		logAiEvent: (event: string) => events.push(event),
		addInputData: () => ({ index: 0 }),
		addOutputData: noop,
		getNextRunIndex: () => 0,
		getExecutionCancelSignal: () => undefined,
		getWorkflow: () => ({ id: 'fidelity' }),
		getExecutionId: () => 'fidelity',
		getMode: () => 'manual',
	};
	const { response } = await node.supplyData.call(context, 0);
	return { response: response as T, events };
}
