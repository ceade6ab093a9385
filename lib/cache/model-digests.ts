import type { Backend } from '../pipeline';

interface Tags {
	at: number;
	digests?: Record<string, string>;
	pending?: Promise<Record<string, string> | undefined>;
}

/** Ollama's `/api/tags` lists "llama3.2" as "llama3.2:latest". */
const withTag = (model: string) => (model.includes(':') ? model : `${model}:latest`);

/**
 * The digest of a model across the cluster, from each backend's `/api/tags`, kept for a short
 * while per backend. The key uses every backend's digest of the model (sorted), so a model
 * re-pulled on any backend changes the key instead of serving answers of the old weights.
 * Returns undefined when no backend lists the model (the call is then not cached).
 */
export class ModelDigests {
	private readonly tags = new Map<Backend, Tags>();

	constructor(
		private readonly backends: readonly Backend[],
		private readonly ttlMs = 30_000,
	) {}

	async digestOf(model: string): Promise<string | undefined> {
		const name = withTag(model);
		const lists = await Promise.all(this.backends.map((b) => this.tagsOf(b)));
		const digests = lists.map((list) => list?.[name] ?? list?.[model]).filter((d): d is string => typeof d === 'string');
		return digests.length ? [...new Set(digests)].sort().join('+') : undefined;
	}

	/** Forget what is known (e.g. after a pull), so the next key asks the backends again. */
	clear(): void {
		this.tags.clear();
	}

	private async tagsOf(backend: Backend): Promise<Record<string, string> | undefined> {
		const now = Date.now();
		let entry = this.tags.get(backend);
		if (entry?.digests && now - entry.at < this.ttlMs) return entry.digests;
		if (entry?.pending) return await entry.pending;
		if (!backend.modelDigests) return undefined;
		const pending = backend
			.modelDigests()
			.then((digests) => {
				this.tags.set(backend, { at: Date.now(), digests });
				return digests;
			})
			.catch(() => {
				this.tags.delete(backend); // a backend that is down does not vouch for any digest
				return undefined;
			});
		entry = { at: now, digests: entry?.digests, pending };
		this.tags.set(backend, entry);
		return await pending;
	}
}
