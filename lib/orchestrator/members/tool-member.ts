import { toolOutputText, type AgentTool } from '../../agent';
import { emptyTokens } from '../control';
import type { Member, MemberOutput } from '../types';

/**
 * The arguments that hand a task to a tool: every required string argument (or, when none is
 * required, the first string argument) gets the task; a tool without arguments gets none.
 */
export function toolArguments(parameters: Record<string, unknown>, prompt: string): Record<string, unknown> {
	const properties = (parameters.properties ?? {}) as Record<string, { type?: unknown }>;
	const strings = Object.keys(properties).filter((key) => properties[key]?.type === 'string' || properties[key]?.type === undefined);
	const required = Array.isArray(parameters.required) ? (parameters.required as string[]).filter((k) => strings.includes(k)) : [];
	const targets = required.length ? required : strings.slice(0, 1);
	return Object.fromEntries(targets.map((key) => [key, prompt]));
}

interface AgentItemLike {
	/** The Team Agent's answer (`output`, as n8n's AI Agent; `response` in older versions). */
	output?: unknown;
	response?: unknown;
	tokenUsage?: { promptTokens?: number; completionTokens?: number };
	backend?: string;
	calls?: number;
	cacheHit?: boolean;
	timings?: { queueMs?: number };
}

/**
 * What a tool returned, as a member's output. A Team Agent used as a tool returns its output
 * items as JSON: the answers become the output, their usage and backend the step's cost.
 */
export function readToolOutput(text: string): MemberOutput {
	const result: MemberOutput = { output: text, tokens: emptyTokens(), backendCalls: 0, cacheHits: 0, queueMs: 0 };
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch {
		return result;
	}
	const items = (Array.isArray(parsed) ? parsed : [parsed]) as AgentItemLike[];
	const answer = (i: AgentItemLike) => (typeof i?.output === 'string' ? i.output : typeof i?.response === 'string' ? i.response : undefined);
	if (!items.length || !items.every((i) => i && typeof i === 'object' && answer(i) !== undefined)) return result;
	result.output = items.map((i) => answer(i)!).join('\n\n');
	for (const item of items) {
		result.tokens.promptTokens += item.tokenUsage?.promptTokens ?? 0;
		result.tokens.completionTokens += item.tokenUsage?.completionTokens ?? 0;
		result.backendCalls += item.calls ?? 1;
		result.cacheHits += item.cacheHit ? 1 : 0;
		result.queueMs += item.timings?.queueMs ?? 0;
		if (item.backend) result.backend = item.backend;
	}
	result.tokens.totalTokens = result.tokens.promptTokens + result.tokens.completionTokens;
	return result;
}

/**
 * A node connected to the Team input (a Team Agent tool, n8n's agent tools, a Call Workflow tool,
 * any n8n tool) as a member: the task goes in as the tool's arguments, its output is the step's.
 */
export function createToolMember(tool: AgentTool): Member {
	return {
		name: tool.name,
		description: tool.description,
		kind: 'tool',
		async run(prompt, signal) {
			signal.throwIfAborted();
			const output = await new Promise<unknown>((resolve, reject) => {
				// n8n runs a tool node to the end even when asked to stop: stop waiting for it.
				const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('The step was aborted'));
				signal.addEventListener('abort', onAbort, { once: true });
				tool.invoke(toolArguments(tool.parameters, prompt), signal).then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
			});
			return readToolOutput(toolOutputText(tool.name, output));
		},
	};
}
