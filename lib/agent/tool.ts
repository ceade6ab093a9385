import type { ChatRequest } from '../ollama';
import { AgentTeamError } from '../errors';

/** A tool the agent may call: what Ollama is told about it, and how to run it. */
export interface AgentTool {
	name: string;
	description: string;
	/** JSON Schema of the arguments object. */
	parameters: Record<string, unknown>;
	invoke(args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown>;
}

/** The tool definitions as Ollama's `tools` field takes them. */
export function toOllamaTools(tools: AgentTool[]): NonNullable<ChatRequest['tools']> {
	return tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters as never } }));
}

/** One tool call in the agent's trace, as shown in the output item. */
export interface ToolCallTrace {
	iteration: number;
	tool: string;
	arguments: Record<string, unknown>;
	result?: string;
	error?: string;
	durationMs: number;
	/** Set when the repeat guard stopped this call: the turn of the identical call it repeats. */
	repeatOf?: number;
}

/** A tool returned something we cannot hand back to the model. */
export class MalformedToolOutputError extends AgentTeamError {
	constructor(
		readonly tool: string,
		detail: string,
	) {
		super('TOOL_OUTPUT', `Tool "${tool}" returned output that cannot be sent to the model: ${detail}`);
	}
}

export class MaxIterationsError extends AgentTeamError {
	constructor(readonly maxIterations: number) {
		super('MAX_TOOL_ITERATIONS', `The agent was still calling tools after ${maxIterations} iterations`);
	}
}

/** Tool output as the text of a `tool` message. */
export function toolOutputText(tool: string, output: unknown): string {
	if (typeof output === 'string') return output;
	if (output === undefined) throw new MalformedToolOutputError(tool, 'it returned nothing (undefined)');
	try {
		return JSON.stringify(output);
	} catch (error) {
		throw new MalformedToolOutputError(tool, (error as Error).message);
	}
}
