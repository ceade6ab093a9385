import type { BackendConfig, Timeouts } from '../ollama';
import type { SchedulerOptions } from '../scheduler';

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
}
