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
	/** The answer per model until the oldest tag list it came from goes stale: a cache hit asks no backend and builds nothing. */
	private readonly knownDigests = new Map<string, { digest: string; until: number }>();

	constructor(
		private readonly backends: readonly Backend[],
		private readonly ttlMs = 30_000,
	) {}

	/** The digest when it is known and fresh, without a promise (the cache-hit path); else undefined. */
	known(model: string): string | undefined {
		const known = this.knownDigests.get(model);
		return known && Date.now() < known.until ? known.digest : undefined;
	}

	async digestOf(model: string): Promise<string | undefined> {
		const known = this.known(model);
		if (known) return known;
		const name = withTag(model);
		const lists = await Promise.all(this.backends.map((b) => this.tagsOf(b)));
		const digests = lists.map((list) => list?.[name] ?? list?.[model]).filter((d): d is string => typeof d === 'string');
		if (!digests.length) return undefined;
		const digest = [...new Set(digests)].sort().join('+');
		// every backend answered (a down one vouches for nothing): trust the result as long as the oldest list
		if (lists.every(Boolean)) {
			const oldest = Math.min(...this.backends.map((b) => this.tags.get(b)?.at ?? 0));
			if (this.knownDigests.size > 1000) this.knownDigests.clear();
			this.knownDigests.set(model, { digest, until: oldest + this.ttlMs });
		}
		return digest;
	}

	/** Forget what is known (e.g. after a pull), so the next key asks the backends again. */
	clear(): void {
		this.tags.clear();
		this.knownDigests.clear();
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
