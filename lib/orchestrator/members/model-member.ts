import { runAgent, type AgentTool } from '../../agent';
import type { Gateway } from '../../gateway';
import type { ChatRequest } from '../../ollama';
import type { CachePolicy } from '../../pipeline';
import type { TokenCalibrator } from '../../tokens';
import { costOfCalls } from '../lead';
import type { Member } from '../types';

export interface ModelMemberConfig {
	name: string;
	description: string;
	fallback?: string;
	model: string;
	/** The member's role: its system prompt. */
	system: string;
	options?: NonNullable<ChatRequest['options']>;
	keepAlive?: string | number;
	tools?: AgentTool[];
	/** Answer repeated steps from the gateway's response cache. */
	cache?: CachePolicy;
}

/** A member described in the node's parameters: one Team Agent turn (runAgent) through the gateway. */
export function createModelMember(config: ModelMemberConfig, deps: { gateway: Gateway; calibrator: TokenCalibrator }): Member {
	return {
		name: config.name,
		description: config.description,
		fallback: config.fallback,
		kind: 'model',
		async run(prompt, signal, run) {
			const result = await runAgent(
				{
					model: config.model,
					system: config.system,
					prompt,
					options: config.options ?? {},
					keepAlive: config.keepAlive,
					format: { type: 'text' },
					documents: [],
					context: { strategy: 'dropOldest', historyShare: 0.6, compact: false, encoding: 'cl100k_base' },
					maxToolIterations: 5,
					cache: config.cache,
				},
				{
					gateway: deps.gateway,
					calibrator: deps.calibrator,
					tools: config.tools,
					signal,
					repeatGuard: run && { seen: run.toolCalls },
					onCall: run?.onCall,
					onCallFailed: run?.onCallFailed,
				},
			);
			const toolRepeats = result.trace.filter((t) => t.repeatOf !== undefined).length;
			return { output: result.response, ...costOfCalls(result.calls), ...(toolRepeats ? { toolRepeats } : {}) };
		},
	};
}
