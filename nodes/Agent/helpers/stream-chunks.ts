import type { IExecuteFunctions } from 'n8n-workflow';

type ChunkType = 'begin' | 'item' | 'end' | 'error';
export type ChunkSender = (type: ChunkType, itemIndex: number, content?: string) => void;

/**
 * When the workflow was started by a Webhook or Chat trigger whose response mode streams,
 * a function that sends tokens to the caller as they arrive; undefined otherwise.
 */
export function createChunkSender(ctx: IExecuteFunctions): ChunkSender | undefined {
	if (typeof ctx.isStreaming !== 'function' || !ctx.isStreaming()) return undefined;
	return (type, itemIndex, content) => {
		// sendChunk is async inside n8n; a client that went away must not become an unhandled rejection.
		void Promise.resolve(ctx.sendChunk(type, itemIndex, content)).catch(() => undefined);
	};
}
