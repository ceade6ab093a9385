import type { ChatResult, EmbedResult } from '../ollama';
import { newTrace, type Backend, type CachePolicy, type Call, type Handler, type Stage } from '../pipeline';
import { shortHash } from './hash';
import { ModelDigests } from './model-digests';
import { chatContextHash, chatHash, embedInputHash, entryKey, isDeterministic, keyPattern, modelId, namespaceId, promptOf } from './request-key';
import { replayChunks } from './replay';
import { SemanticLayer, type SemanticLayerOptions } from './semantic/semantic-layer';
import { TieredCache, type LayerChoice, type TieredCacheOptions } from './tiered-cache';
import type { CacheStats } from './stats';

export const DEFAULT_THRESHOLD = 0.95;
export const DEFAULT_EMBED_MODEL = 'nomic-embed-text';

export interface CacheStageOptions extends TieredCacheOptions {
	/** The cluster credential's hash (`credentialScope`): different credentials never share entries. */
	scope: string;
	/** Where model digests come from (`/api/tags`). */
	backends: readonly Backend[];
	semantic?: SemanticLayerOptions;
	/** How long a backend's model digests are trusted (ms, default 30 s). */
	digestTtlMs?: number;
}

/** What `invalidate` removes, in the caller's terms. */
export interface CacheInvalidation {
	namespace?: string;
	model?: string;
	/** Only entries older than this many seconds. */
	olderThanSeconds?: number;
}

/** A recent shadow-mode observation: the similarity that would have been served. */
export interface ShadowRecord {
	at: string;
	similarity: number;
	namespace: string;
}

/**
 * The gateway's first stage. Chat calls that carry a cache policy (`call.hints.cache`) and are
 * deterministic are answered from L1/L2 when the same request (same model digest) was answered
 * before; with `semantic`, from the nearest earlier prompt of the same conversation context when
 * it is similar enough and no guard objects. Embed calls with a policy are cached per input.
 * Everything else passes straight through.
 */
export class CacheStage implements Stage {
	readonly name = 'cache';
	readonly cache: TieredCache;
	readonly semantic: SemanticLayer;
	readonly digests: ModelDigests;
	readonly scope: string;
	private readonly shadowLog: ShadowRecord[] = [];

	constructor(options: CacheStageOptions) {
		this.scope = options.scope;
		this.cache = new TieredCache(options);
		this.semantic = new SemanticLayer(options.semantic);
		this.digests = new ModelDigests(options.backends, options.digestTtlMs);
	}

	async handle(call: Call, next: Handler): Promise<unknown> {
		const policy = call.hints?.cache;
		if (!policy || call.target) return await next(call);
		return call.kind === 'embed' ? await this.embed(call, policy, next) : await this.chat(call, policy, next);
	}

	private async chat(call: Call & { kind: 'chat' }, policy: CachePolicy, next: Handler): Promise<unknown> {
		const { request } = call;
		const counters = this.cache.counters;
		if (!request.messages?.length || !(isDeterministic(request) || policy.nonDeterministic)) {
			counters.bypassed++;
			return await next(call);
		}
		const started = performance.now();
		// The hit path awaits nothing it does not have to: a known digest and an L1 hit are synchronous.
		const digest = this.digests.known(request.model) ?? (await this.digests.digestOf(request.model));
		if (!digest) {
			counters.bypassed++; // no backend lists the model: let the backend say so
			return await next(call);
		}
		const choice: LayerChoice = { redis: policy.redis, encryptionKey: policy.encryptionKey };
		const warnings = call.trace.warnings;
		const key = entryKey({ scope: this.scope, namespace: policy.namespace, model: request.model, hash: chatHash(request, digest) });
		const hit = this.cache.getLocal(key) ?? (await this.cache.getRemote(key, choice, warnings));
		if (hit) {
			counters[hit.layer === 'l1' ? 'l1Hits' : 'l2Hits']++;
			return this.serve(call, hit.json, hit.layer, started);
		}

		let semantic: { partition: string; prompt: string; vector: number[] } | undefined;
		const prompt = promptOf(request);
		if (policy.mode === 'semantic' && prompt) {
			const vector = await this.embedPrompt(call, policy, prompt, next);
			if (vector) {
				const embedModel = policy.embedModel || DEFAULT_EMBED_MODEL;
				const partition = `s:${this.scope}:${namespaceId(policy.namespace)}:${modelId(request.model)}:${chatContextHash(request, digest)}:${shortHash(embedModel, 8)}`;
				semantic = { partition, prompt, vector };
				const l2 = this.cache.l2For(choice);
				const threshold = policy.threshold ?? DEFAULT_THRESHOLD;
				const match = await this.semantic.lookup(partition, vector, prompt, threshold, l2, warnings);
				if (match?.rejectedBy) counters.guardRejections++;
				else if (match && policy.shadow) this.recordShadow(match.similarity, policy.namespace);
				else if (match) {
					const entry = await this.cache.get(match.key, choice, warnings);
					if (entry) {
						counters.semanticHits++;
						call.trace.similarity = match.similarity;
						return this.serve(call, entry.json, 'semantic', started);
					}
				}
			}
		}

		counters.misses++;
		const result = (await next(call)) as ChatResult;
		if (call.trace.cacheLayer === 'single-flight') counters.singleFlightJoins++;
		// A truncated stream has no final `done` (no done reason); a tool-call turn is only stored when asked.
		const storable = result.doneReason !== '' && (policy.toolCalls || !result.message.tool_calls?.length);
		if (!storable) {
			counters.notStored++;
			return result;
		}
		const ttlMs = this.cache.ttlMs(policy.ttlSeconds);
		await this.cache.set(key, JSON.stringify(result), ttlMs, choice, warnings);
		if (semantic) await this.semantic.add(semantic.partition, key, semantic.prompt, semantic.vector, ttlMs, this.cache.l2For(choice), warnings);
		return result;
	}

	/** A cached answer as a fresh call result: no backend time, streamed again when the caller streams. */
	private serve(call: Call, json: string, layer: 'l1' | 'l2' | 'semantic', started: number): ChatResult {
		// parsed afresh on every hit (no caller can change the cached answer), so it is ours to fill in
		const cached = JSON.parse(json) as ChatResult;
		call.trace.cacheHit = true;
		call.trace.cacheLayer = layer;
		if (call.options.onChunk) replayChunks(cached.message.content, call.options.onChunk);
		cached.latencyMs = performance.now() - started;
		cached.totalMs = cached.loadMs = cached.promptEvalMs = cached.evalMs = 0;
		return cached;
	}

	/** The prompt's embedding, through this stage (so it is cached too) and the rest of the pipeline. */
	private async embedPrompt(call: Call, policy: CachePolicy, prompt: string, next: Handler): Promise<number[] | undefined> {
		const model = policy.embedModel || DEFAULT_EMBED_MODEL;
		try {
			const result = (await this.handle({ kind: 'embed', request: { model, input: prompt }, options: { signal: call.options.signal }, trace: newTrace(), hints: { cache: policy } }, next)) as EmbedResult;
			return result.embeddings[0];
		} catch (error) {
			const warning = `Semantic cache skipped: embedding model "${model}" failed (${(error as Error).message}).`;
			if (!call.trace.warnings.includes(warning)) call.trace.warnings.push(warning);
			return undefined;
		}
	}

	/** Embeddings per input text: cached inputs are not sent again; the rest go in one request. */
	private async embed(call: Call & { kind: 'embed' }, policy: CachePolicy, next: Handler): Promise<EmbedResult> {
		const { request } = call;
		const started = performance.now();
		const counters = this.cache.counters;
		const digest = await this.digests.digestOf(request.model);
		if (!digest) return (await next(call)) as EmbedResult;
		const inputs = typeof request.input === 'string' ? [request.input] : request.input;
		const choice: LayerChoice = { redis: policy.redis, encryptionKey: policy.encryptionKey };
		const warnings = call.trace.warnings;
		const keys = inputs.map((input) => entryKey({ scope: this.scope, namespace: policy.namespace, model: request.model, hash: embedInputHash(request, digest, input) }));
		const hits = await Promise.all(keys.map((key) => this.cache.get(key, choice, warnings)));
		const missing = inputs.filter((_input, i) => !hits[i]);
		counters.embeddingHits += inputs.length - missing.length;
		counters.embeddingMisses += missing.length;
		const embeddings: number[][] = hits.map((hit) => (hit ? (JSON.parse(hit.json) as number[]) : []));
		let fetched: EmbedResult | undefined;
		if (missing.length) {
			fetched = (await next({ ...call, request: { ...request, input: missing } })) as EmbedResult;
			const ttlMs = this.cache.ttlMs(policy.ttlSeconds);
			let j = 0;
			await Promise.all(
				inputs.map((_input, i) => {
					if (hits[i]) return undefined;
					embeddings[i] = fetched!.embeddings[j++];
					return this.cache.set(keys[i], JSON.stringify(embeddings[i]), ttlMs, choice, warnings);
				}),
			);
		} else {
			call.trace.cacheHit = true;
			call.trace.cacheLayer = hits.every((hit) => hit!.layer === 'l1') ? 'l1' : 'l2';
		}
		return {
			model: fetched?.model ?? request.model,
			embeddings,
			promptEvalCount: fetched?.promptEvalCount ?? 0,
			totalMs: fetched?.totalMs ?? 0,
			loadMs: fetched?.loadMs ?? 0,
			backend: fetched?.backend ?? 'cache',
			latencyMs: performance.now() - started,
		};
	}

	/** Removes entries (and semantic vectors) of a namespace and/or model, optionally only old ones. */
	async invalidate(query: CacheInvalidation, choice: LayerChoice = {}): Promise<{ removed: number; warnings: string[] }> {
		const warnings: string[] = [];
		const olderThan = query.olderThanSeconds !== undefined ? Date.now() - query.olderThanSeconds * 1000 : undefined;
		const pattern = keyPattern(this.scope, query.namespace, query.model);
		const removed = await this.cache.invalidate({ pattern, olderThan }, choice, warnings);
		if (olderThan === undefined) {
			// vectors point at entries: drop the partitions of what was cleared
			const semanticPattern = `s${pattern.slice(1, -2)}:*`;
			const re = new RegExp(`^${semanticPattern.replace(/\*/g, '.*')}$`);
			this.semantic.drop((key) => re.test(key));
			const l2 = this.cache.l2For(choice);
			if (l2) {
				const result = await l2.deleteMatching(semanticPattern);
				if (result.warning) warnings.push(result.warning);
			}
		}
		return { removed, warnings };
	}

	private recordShadow(similarity: number, namespace: string): void {
		this.cache.counters.shadowWouldHits++;
		this.shadowLog.push({ at: new Date().toISOString(), similarity, namespace: namespaceId(namespace) });
		if (this.shadowLog.length > 200) this.shadowLog.shift();
	}

	stats(): CacheStats & { shadow: ShadowRecord[] } {
		return { ...this.cache.stats({ semantic: this.semantic.stats() }), shadow: [...this.shadowLog] };
	}
}
