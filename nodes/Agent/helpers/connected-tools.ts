import { NodeConnectionTypes, NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';
import { zodToJsonSchema } from 'zod-to-json-schema';

import type { AgentTool } from '../../../lib/agent';

/** The shape of what n8n's tool sub-nodes hand over (LangChain tools and toolkits). */
interface LangChainToolLike {
	name: string;
	description?: string;
	schema?: unknown;
	invoke(input: unknown, config?: { signal?: AbortSignal }): Promise<unknown>;
}
interface ToolkitLike {
	getTools(): LangChainToolLike[];
}

const isToolkit = (value: unknown): value is ToolkitLike => typeof (value as ToolkitLike)?.getTools === 'function';

/** A tool's argument schema as JSON Schema: zod (what n8n's tools use) or JSON Schema as given. */
function parametersOf(schema: unknown): Record<string, unknown> {
	if (schema && typeof schema === 'object' && '_def' in schema) {
		const json = zodToJsonSchema(schema as never) as Record<string, unknown>;
		delete json.$schema;
		return json;
	}
	if (schema && typeof schema === 'object' && ('type' in schema || 'properties' in schema)) return schema as Record<string, unknown>;
	return { type: 'object', properties: { input: { type: 'string' } }, required: ['input'] };
}

/**
 * The tools plugged into the node's Tools input (Code Tool, HTTP Request Tool, Call Workflow
 * Tool, …) as AgentTools. Invoking one runs the sub-node through n8n, which logs it.
 */
export async function getConnectedTools(ctx: IExecuteFunctions): Promise<AgentTool[]> {
	// A sub-node that fails to load throws n8n's own "Error in sub-node …": let it through, a
	// broken tool must not silently disappear from what the model is offered. The node's tool
	// variant (run by an AI Agent or an Orchestrator) has no inputs at all: it has no tools.
	const connected = ((await ctx.getInputConnectionData(NodeConnectionTypes.AiTool, 0).catch((error: Error) => {
		if (/does not have input of type/.test(error?.message ?? '')) return [];
		throw error;
	})) ?? []) as unknown[];
	const flat = (Array.isArray(connected) ? connected : [connected]).flatMap((t) => (isToolkit(t) ? t.getTools() : [t as LangChainToolLike]));
	const seen = new Set<string>();
	return flat.map((tool) => {
		if (seen.has(tool.name)) {
			throw new NodeOperationError(ctx.getNode(), `Two connected tools are named "${tool.name}"; rename one so the model can tell them apart (Tools input)`);
		}
		seen.add(tool.name);
		return {
			name: tool.name,
			description: tool.description ?? '',
			parameters: parametersOf(tool.schema),
			invoke: async (args, signal) => await tool.invoke(args, { signal }),
		};
	});
}
