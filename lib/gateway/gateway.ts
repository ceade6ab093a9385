import { createEmbedCoalescerStage } from '../batching';
import { createRouter, resolveOptions, type BalancerRouter } from '../balancer';
import { createCacheStage, credentialScope, type CacheStage, type CacheStageOptions } from '../cache';
import { OllamaTransport, type CallOptions, type ChatRequest, type ChatResult, type EmbedRequest, type EmbedResult } from '../ollama';
import { compose, newTrace, type Call, type CallTrace, type Handler, type Stage, type TracedChatResult, type TracedEmbedResult } from '../pipeline';
import { processMetrics } from '../metrics/process-metrics';
import { createRunnerOptionsStage } from '../runner-options';
import { createSchedulerStage, type SchedulerStage, type SchedulerStats } from '../scheduler';
import { createSingleFlightStage } from '../single-flight';
import type Redis from 'ioredis';

import type { ClusterConfig } from './config';

export type GatewayChatResult = TracedChatResult;
export type GatewayEmbedResult = TracedEmbedResult;

/** Per call: how it is sent (signal, streamed pieces) and how it waits in the gateway queue. */
export interface GatewayCallOptions extends CallOptions {
	/** Higher runs first among waiting calls (default 0); waiting calls age so none starves. */
	priority?: number;
	/** Longest wait for a backend slot (ms) before QueueTimeoutError; overrides the cluster's setting. */
	queueTimeoutMs?: number;
	/** Caching (`hints.cache`, see lib/cache) and routing hints for this call. */
	hints?: Call['hints'];
}

const DEFAULT_EMBED_BATCHING = { maxDelayMs: 2, targetSize: 64, limit: 512 };

/** The transport stage: sends the call to the backend the scheduler got from the router. */
const sendToBackend: Handler = (call) => {
	const target = call.target;
	if (!target) throw new Error('No backend chosen for the call');
	return call.kind === 'chat' ? target.chat(call.request, call.options) : target.embed(call.request, call.options);
};

/** The profile's cache defaults as CacheStage options; none for Custom (the cache's own defaults). */
function profileCacheOptions(config: ClusterConfig): Partial<CacheStageOptions> {
	const c = config.cache;
	if (!c) return {};
	return {
		...(c.defaultTtlSeconds !== undefined ? { defaultTtlSeconds: c.defaultTtlSeconds } : {}),
		...(c.maxEntries !== undefined ? { l1: { maxEntries: c.maxEntries } } : {}),
		...(c.compressAbove !== undefined ? { redis: { compressAbove: c.compressAbove } } : {}),
	};
}

/** A call as it enters the pipeline: the gateway's own options split from the transport's. */
function newCall(kind: Call['kind'], request: ChatRequest | EmbedRequest, options: GatewayCallOptions): Call {
	const { priority, queueTimeoutMs, hints, ...callOptions } = options;
	return { kind, request, options: callOptions, trace: newTrace(), priority, queueTimeoutMs, hints } as Call;
}

/**
 * The one path every call takes: cache → single-flight → batching (embeddings coalesced) →
 * scheduler (asking the balancer's router where) → runner-options → transport. The gateway
 * only composes; the contract the stages share is in lib/pipeline.
 * Nodes only see `chat` and `embed`; each stage can grow without touching them.
 */
export class Gateway {
	readonly backends: OllamaTransport[];
	private readonly stages: Stage[];
	private readonly pipeline: Handler;
	private readonly scheduler: SchedulerStage;
	/** Where calls go: strategies, capacity, health, failover (lib/balancer). */
	readonly balancer: BalancerRouter;
	/** The response cache (lib/cache): stats and invalidation for the nodes. */
	readonly cache: CacheStage;
	/**
	 * The most calls the cluster runs at once: every backend's slots (learned ones at their
	 * ceiling) plus its look-ahead. Nodes size how many items they start ahead from it.
	 */
	readonly maxInFlight: number;
	private inFlight = 0;
	private readonly untrackQueue: () => void;
	lastUsed = Date.now();
	/** The environment profile in effect (lib/gateway/profiles.ts): 'custom' unless a profile was chosen. */
	readonly profile: string;
	/** Each backend's GPU memory (bytes) where the credential states it, for Plan Capacity. */
	readonly gpuMemoryBytes: Readonly<Record<string, number>>;
	private readonly defaultNumCtx: number;

	constructor(config: ClusterConfig) {
		this.profile = config.profile?.name ?? 'custom';
		this.gpuMemoryBytes = { ...config.gpuMemoryBytes };
		this.defaultNumCtx = config.defaultNumCtx ?? 0;
		this.backends = config.backends.map(
			(backend) =>
				new OllamaTransport(backend, {
					apiKey: config.apiKey,
					headers: config.headers,
					allowSelfSigned: config.allowSelfSigned,
					// Learned slots (0) may grow to the balancer's maximum: room for that plus look-ahead.
					connections: config.maxConnections || (backend.parallel > 0 ? 0 : 2 * ((config.balancer?.maxLearnedSlots ?? 16) + 1)),
					timeouts: config.timeouts,
				}),
		);
		this.balancer = createRouter(this.backends, {
			// a call refused by a loading server waits for the load as long as for a first token
			loadWaitMs: this.backends[0].timeouts.firstTokenMs || undefined,
			...config.balancer,
			apiKey: config.apiKey,
			headers: config.headers,
			allowSelfSigned: config.allowSelfSigned,
			// the queue's length tells the balancer when a burst ends (created just below)
			waiting: () => this.scheduler.pending,
		});
		const { lookAhead, maxLearnedSlots } = resolveOptions(config.balancer ?? {});
		this.maxInFlight = config.backends.reduce((sum, b) => sum + (b.parallel > 0 ? b.parallel : maxLearnedSlots) + lookAhead, 0);
		this.scheduler = createSchedulerStage(this.balancer, config.scheduler);
		this.stages = [
			(this.cache = createCacheStage({ scope: credentialScope(config), backends: this.backends, ...profileCacheOptions(config) })),
			createSingleFlightStage({ scope: this.cache.scope }),
			...(config.embedBatching === false ? [] : [createEmbedCoalescerStage({ ...DEFAULT_EMBED_BATCHING, ...config.embedBatching })]),
			this.scheduler,
			createRunnerOptionsStage(),
		];
		this.pipeline = compose(this.stages, sendToBackend);
		// Queue depth and wait times in the process metrics, read only when a snapshot is taken.
		this.untrackQueue = processMetrics().trackQueue(this.scheduler);
	}

	/** Calls currently inside the gateway (queued or running). */
	get busy(): number {
		return this.inFlight;
	}

	/** The gateway queue now: waiting and running calls, refusals, wait-time percentiles. */
	queueStats(): SchedulerStats {
		return this.scheduler.stats();
	}

	get stageNames(): string[] {
		return [...this.stages.map((s) => s.name), 'transport'];
	}

	private async send<T>(call: Call): Promise<T & CallTrace> {
		this.inFlight++;
		this.lastUsed = Date.now();
		try {
			const result = (await this.pipeline(call)) as T;
			return { ...result, ...call.trace };
		} catch (error) {
			// A failed call's trace (retries, queue time) rides on the error, for metrics.
			if (error && typeof error === 'object' && !('trace' in error)) Object.defineProperty(error, 'trace', { value: call.trace, enumerable: false });
			throw error;
		} finally {
			this.inFlight--;
			this.lastUsed = Date.now();
		}
	}

	async chat(request: ChatRequest, options: GatewayCallOptions = {}): Promise<GatewayChatResult> {
		// the profile's context default, for a call that sets none (the runner-options stage still raises it to a loaded runner's)
		if (this.defaultNumCtx > 0 && request.options?.num_ctx === undefined) request = { ...request, options: { ...request.options, num_ctx: this.defaultNumCtx } };
		return await this.send<ChatResult>(newCall('chat', request, options));
	}

	async embed(request: EmbedRequest, options: GatewayCallOptions = {}): Promise<GatewayEmbedResult> {
		return await this.send<EmbedResult>(newCall('embed', request, options));
	}

	/**
	 * Loads a model on every backend now (Ollama loads on a request with no messages), through
	 * the pipeline so the runner options it is loaded with are the ones later calls keep.
	 */
	async warmUp(request: Pick<ChatRequest, 'model' | 'options' | 'keep_alive'>, options: CallOptions = {}, only?: string[]): Promise<GatewayChatResult[]> {
		return await Promise.all(
			this.backends.filter((b) => !only || only.includes(b.name)).map((target) =>
				this.send<ChatResult>({ kind: 'chat', request: { ...request, messages: [] }, options, trace: newTrace(), target }),
			),
		);
	}

	/** Asks every backend for its models; rejects naming the first backend that fails. */
	async listModels(options: CallOptions = {}): Promise<Array<{ backend: string; models: string[] }>> {
		return await Promise.all(
			this.backends.map(async (b) => ({ backend: b.name, models: await b.listModels(options) })),
		);
	}

	/** Balances with every other worker that shares this Redis (in-flight counts, circuits, learned slots, prefixes). */
	shareState(redis: Redis): void {
		this.balancer.share(redis);
	}

	async close(): Promise<void> {
		this.untrackQueue();
		await Promise.all(this.stages.map((s) => s.close?.()));
		await Promise.all(this.backends.map((b) => b.close()));
	}
}
