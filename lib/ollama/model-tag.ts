/** Ollama's names: a model without a tag is `:latest` (`llama3.2` and `llama3.2:latest` are one model). */
export function normalizeModel(name: string): string {
	return name.includes(':') ? name : `${name}:latest`;
}
