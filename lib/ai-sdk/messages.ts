import type { Message as SdkMessage, Tool } from '@n8n/ai-node-sdk';
import { zodToJsonSchema } from 'zod-to-json-schema';

import type { Message as OllamaMessage, ToolCall as OllamaToolCall } from '../ollama';

/** Ollama's tool definition (`tools` of /api/chat). */
export interface OllamaTool {
	type: 'function';
	function: { name: string; description?: string; parameters: Record<string, unknown> };
}

function textOf(message: SdkMessage): string {
	return message.content
		.map((c) => (c.type === 'text' ? c.text : ''))
		.join('');
}

/** Base64 images from file blocks (Ollama takes images as a list beside the text). */
function imagesOf(message: SdkMessage): string[] {
	const images: string[] = [];
	for (const c of message.content) {
		if (c.type !== 'file' || !String(c.mediaType ?? '').startsWith('image/')) continue;
		images.push(typeof c.data === 'string' ? c.data.replace(/^data:[^;]+;base64,/, '') : Buffer.from(c.data).toString('base64'));
	}
	return images;
}

/** A tool call's arguments as Ollama wants them (an object); unparsable text is kept as it came. */
function argumentsOf(input: string): Record<string, unknown> {
	try {
		const parsed: unknown = JSON.parse(input);
		if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
	} catch {
		// fall through: not JSON
	}
	return {};
}

/**
 * The SDK's messages (n8n's LangChain messages, converted by the SDK's adapter) as Ollama chat
 * messages: text joined, images as base64, assistant tool calls, tool results with the name of
 * the tool that was called (Ollama's `tool_name`, found through the call id).
 */
export function toOllamaMessages(messages: SdkMessage[]): OllamaMessage[] {
	const toolNames = new Map<string, string>();
	const out: OllamaMessage[] = [];
	for (const message of messages) {
		if (message.role === 'tool') {
			for (const c of message.content) {
				if (c.type !== 'tool-result') continue;
				const result = typeof c.result === 'string' ? c.result : JSON.stringify(c.result);
				const toolName = toolNames.get(c.toolCallId) ?? message.name;
				out.push({ role: 'tool', content: result ?? '', ...(toolName ? { tool_name: toolName } : {}) } as OllamaMessage);
			}
			continue;
		}
		const ollama: OllamaMessage = { role: message.role, content: textOf(message) };
		const images = imagesOf(message);
		if (images.length) ollama.images = images;
		if (message.role === 'assistant') {
			const calls: OllamaToolCall[] = [];
			for (const c of message.content) {
				if (c.type === 'reasoning' && c.text) ollama.thinking = (ollama.thinking ?? '') + c.text;
				if (c.type !== 'tool-call') continue;
				if (c.toolCallId) toolNames.set(c.toolCallId, c.toolName);
				calls.push({ function: { name: c.toolName, arguments: argumentsOf(c.input) } });
			}
			if (calls.length) ollama.tool_calls = calls;
		}
		out.push(ollama);
	}
	return out;
}

function isZodSchema(schema: unknown): boolean {
	return !!schema && typeof schema === 'object' && '_def' in schema && typeof (schema as { safeParse?: unknown }).safeParse === 'function';
}

/**
 * The tools the AI Agent bound, as Ollama tools. n8n's tools carry Zod schemas; they are turned
 * into JSON Schema here with zod-to-json-schema (the SDK's own converter checks `instanceof` its
 * own Zod copy, which a tool built by another copy fails).
 */
export function toOllamaTools(tools: Tool[]): OllamaTool[] {
	const out: OllamaTool[] = [];
	for (const tool of tools) {
		if (tool.type !== 'function') continue;
		let parameters = tool.inputSchema as unknown;
		if (isZodSchema(parameters)) {
			const schema = zodToJsonSchema(parameters as Parameters<typeof zodToJsonSchema>[0]) as Record<string, unknown>;
			delete schema.$schema;
			parameters = schema;
		}
		out.push({ type: 'function', function: { name: tool.name, description: tool.description, parameters: (parameters ?? { type: 'object', properties: {} }) as Record<string, unknown> } });
	}
	return out;
}
