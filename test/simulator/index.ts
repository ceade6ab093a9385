/**
 * Ollama-compatible HTTP simulator for tests and benchmarks (no Ollama, no weights, no GPU needed).
 *
 *   const sim = await startSimulator({ timeScale: 0 });
 *   const ollama = new Ollama({ host: sim.url });
 *   ...
 *   await sim.close();
 *
 * See test/simulator/README.md for the behaviour it reproduces and its limits.
 */
import { SimServer } from './server';
import type { CostModel, LoadedModelInfo, ScriptRule, SimFaults, SimStats, Simulator, SimulatorOptions } from './types';

export type {
	CostModel,
	LoadedModelInfo,
	RequestLogEntry,
	ScriptRule,
	ScriptToolCall,
	SimFaults,
	SimStats,
	Simulator,
	SimulatorOptions,
} from './types';
export type { SimModelSpec } from './models';
export { DEFAULT_MODELS, normalizeModelName } from './models';
export { DEFAULT_COST_MODEL, DEFAULT_FAULTS } from './server';
export { ERR_MAX_QUEUE } from './scheduler';
export {
	countSimTokens,
	chatPromptTokens,
	generatePromptTokens,
	embedInputTokens,
	simTokenize,
} from './tokenizer';
export { cosine } from './embedding';

/** Start a simulator on `host` (default 127.0.0.1) and `port` (default 0 = a free port). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
	const srv = new SimServer(options);
	const host = options.host ?? '127.0.0.1';
	await srv.listen(options.port ?? 0, host);
	const addr = srv.server.address();
	const port = typeof addr === 'object' && addr ? addr.port : Number(options.port ?? 0);
	const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
	const sim: Simulator = {
		url: `http://${urlHost}:${port}`,
		port,
		host,
		get stats(): SimStats {
			return srv.stats;
		},
		get options(): Readonly<CostModel> {
			return srv.options;
		},
		get faults(): Readonly<SimFaults> {
			return srv.faults;
		},
		resetStats: () => srv.resetStats(),
		setFaults: (partial: Partial<SimFaults>) => srv.setFaults(partial),
		addScript: (rule: ScriptRule) => srv.addScript(rule),
		clearScripts: () => srv.clearScripts(),
		setOptions: (partial: Partial<CostModel>) => srv.setOptions(partial),
		loadedModels: (): LoadedModelInfo[] => srv.loadedModels(),
		unloadAll: () => srv.scheduler.unloadAll(),
		close: () => srv.close(),
	};
	return sim;
}
