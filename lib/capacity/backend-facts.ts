import { specFromShow, type ModelSpec } from './model-spec';

/** One request to one backend (the balancer's BackendHttp.send bound to a backend). */
export type BackendRequest = (method: 'GET' | 'POST', path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

export interface BackendFacts {
	spec: ModelSpec;
	/** The model file's size from /api/tags (the weights), when listed. */
	weightsBytes?: number;
	/** The model as /api/ps shows it now, when loaded. */
	loaded?: { size: number; sizeVram: number; contextLength?: number; fullyOnGpu: boolean };
	/**
	 * GPU memory known to exist from /api/ps: the sum of size_vram of the models loaded fully on
	 * the GPU (a lower bound: Ollama does not report the card's size). 0 when nothing is loaded there.
	 */
	gpuMemoryFromPs: number;
}

const sameModel = (a: string, b: string) => (a.includes(':') ? a : `${a}:latest`) === (b.includes(':') ? b : `${b}:latest`);

/** /api/show, /api/tags and /api/ps of one backend for `model`; throws naming the path and status. */
export async function backendFacts(request: BackendRequest, model: string): Promise<BackendFacts> {
	const show = await request('POST', '/api/show', { model });
	if (show.status !== 200) throw new Error(`/api/show answered HTTP ${show.status} for "${model}"${show.status === 404 ? ' (not on this backend)' : ''}`);
	const spec = specFromShow(model, show.body as Parameters<typeof specFromShow>[1]);
	const [tags, ps] = await Promise.all([request('GET', '/api/tags'), request('GET', '/api/ps')]);
	const listed = ((tags.body as { models?: Array<{ name?: string; model?: string; size?: number }> } | undefined)?.models ?? []).find((m) => sameModel(String(m.name ?? m.model ?? ''), model));
	const running = (ps.body as { models?: Array<{ name?: string; model?: string; size?: number; size_vram?: number; context_length?: number }> } | undefined)?.models ?? [];
	let gpuMemoryFromPs = 0;
	let loaded: BackendFacts['loaded'];
	for (const m of running) {
		const size = Number(m.size ?? 0);
		const sizeVram = Number(m.size_vram ?? 0);
		const fullyOnGpu = size > 0 && sizeVram >= size;
		if (fullyOnGpu) gpuMemoryFromPs += sizeVram;
		if (sameModel(String(m.name ?? m.model ?? ''), model)) loaded = { size, sizeVram, contextLength: m.context_length, fullyOnGpu };
	}
	return { spec, weightsBytes: typeof listed?.size === 'number' ? listed.size : undefined, loaded, gpuMemoryFromPs };
}
