import type { BackendConfig, Timeouts } from '../ollama';
import type { BatcherOptions } from '../batching';
import type { BalancerSettings } from '../balancer';
import type { SchedulerOptions } from '../scheduler';
import type { ProfileName, ResolvedProfile } from './profiles';

/** Everything that defines one cluster: what the Ollama Cluster credential holds. */
export interface ClusterConfig {
	backends: BackendConfig[];
	apiKey?: string;
	headers?: Record<string, string>;
	allowSelfSigned?: boolean;
	/** Sockets per backend (0 = twice its parallel slots). */
	maxConnections?: number;
	timeouts?: Partial<Timeouts>;
	/** The gateway queue: size, queue-wait timeout, ageing, multi-bin / static batching (lib/scheduler). */
	scheduler?: SchedulerOptions;
	/** The balancer: strategy, look-ahead, health probes, breaker, failover, learned slots (lib/balancer). */
	balancer?: BalancerSettings;
	/** Embedding coalescing across nodes and executions (lib/batching); `false` turns it off. Default: 2 ms window, 64 target, 512 limit. */
	embedBatching?: BatcherOptions | false;
	/** The environment profile in effect (lib/gateway/profiles.ts) and where the choice came from; absent = custom. */
	profile?: { name: ProfileName; source: ResolvedProfile['source'] };
	/** The gateway cache's defaults from the profile (absent: the cache's own). */
	cache?: { defaultTtlSeconds?: number; maxEntries?: number; compressAbove?: number };
	/** num_ctx for a chat call that sets none (0 / absent: Ollama's default or the loaded runner's). */
	defaultNumCtx?: number;
	/** Each backend's GPU memory in bytes, by backend name, where the credential states it (Plan Capacity). */
	gpuMemoryBytes?: Record<string, number>;
}
