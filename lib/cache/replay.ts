/** Sends a stored answer to a streaming caller again, piece by piece (a word and its spacing per chunk). */
export function replayChunks(content: string, onChunk: (text: string) => void): void {
	for (const piece of content.match(/\s*\S+\s*/g) ?? (content ? [content] : [])) onChunk(piece);
}
