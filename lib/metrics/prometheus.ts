import type { BackendHealth } from '../balancer/health';
import type { CacheCounters } from '../cache/stats';
import type { AggregateStats, MetricsSnapshot, QueueSnapshot } from './snapshot';

/**
 * Everything the Metrics operation exports, as JSON. `calls` is this process's aggregates, or
 * every worker's when a Redis credential is set (`scope: 'cluster'`); the queue, the cache
 * counters and the backends are what this process's gateway sees.
 */
export interface GatewayMetrics {
	scope: 'process' | 'cluster';
	/** Which environment profile the gateway runs with (Development, Production, Custom). */
	profile?: string;
	calls: MetricsSnapshot;
	queue?: QueueSnapshot;
	cache?: Pick<CacheCounters, 'l1Hits' | 'l2Hits' | 'semanticHits' | 'singleFlightJoins' | 'misses' | 'embeddingHits' | 'embeddingMisses' | 'stores'>;
	backends: BackendHealth[];
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const PREFIX = 'agent_team_';

type Labels = Record<string, string>;
interface Sample {
	labels: Labels;
	value: number;
}
interface Family {
	name: string;
	type: 'counter' | 'gauge';
	help: string;
	samples: Sample[];
}

/**
 * The Prometheus text exposition format 0.0.4 of `metrics`. Written by hand because it is a
 * few lines of formatting over numbers we already hold: prom-client would keep its own
 * registry of mutable metrics beside ours. Names follow Prometheus' conventions (base units
 * in the name, seconds and bytes; `_total` on counters); label values are backend and model
 * names (bounded by the credential and by the metrics' name bound), error kinds (bounded the
 * same way) and fixed enumerations. Families without samples are left out; order is fixed.
 */
export function toPrometheusText(metrics: GatewayMetrics): string {
	const families: Family[] = [];
	const family = (name: string, type: Family['type'], help: string, samples: Sample[]) => {
		const present = samples.filter((s) => Number.isFinite(s.value));
		if (present.length > 0) families.push({ name: PREFIX + name, type, help, samples: present });
	};
	const seconds = (ms: number | null | undefined) => (ms === null || ms === undefined ? NaN : ms / 1000);

	family('info', 'gauge', 'Always 1; labels say where the figures come from (scope: process or cluster via Redis) and the environment profile.', [
		{ labels: { scope: metrics.scope, profile: metrics.profile ?? 'custom' }, value: 1 },
	]);

	for (const [kind, label, stats] of [
		['backend', 'backend', metrics.calls.byBackend],
		['model', 'model', metrics.calls.byModel],
	] as const) {
		const rows = Object.keys(stats)
			.sort()
			.map((name) => [name, stats[name]] as [string, AggregateStats]);
		const per = (pick: (s: AggregateStats) => number) => rows.map(([name, s]) => ({ labels: { [label]: name }, value: pick(s) }));
		family(`${kind}_calls_total`, 'counter', `LLM calls per ${kind}.`, per((s) => s.calls));
		family(`${kind}_errors_total`, 'counter', `Failed LLM calls per ${kind}.`, per((s) => s.errors));
		family(`${kind}_cache_hits_total`, 'counter', `LLM calls per ${kind} answered by a cache.`, per((s) => s.cacheHits));
		family(`${kind}_prompt_tokens_total`, 'counter', `Prompt tokens per ${kind} (the model's prompt_eval_count).`, per((s) => s.promptTokens));
		family(`${kind}_completion_tokens_total`, 'counter', `Generated tokens per ${kind} (eval_count).`, per((s) => s.completionTokens));
		family(
			`${kind}_call_duration_seconds`,
			'gauge',
			`Call latency per ${kind}, nearest-rank quantiles over the latest calls.`,
			rows.flatMap(([name, s]) => [
				{ labels: { [label]: name, quantile: '0.5' }, value: seconds(s.latencyMs.p50) },
				{ labels: { [label]: name, quantile: '0.95' }, value: seconds(s.latencyMs.p95) },
			]),
		);
	}
	const kinds = metrics.calls.errorsByKind ?? {};
	family(
		'errors_total',
		'counter',
		'Failed LLM calls per error kind (TIMEOUT, UNREACHABLE, BUSY, MODEL_NOT_FOUND …).',
		Object.keys(kinds)
			.sort()
			.map((kind) => ({ labels: { kind }, value: kinds[kind] })),
	);

	const queue = metrics.queue;
	if (queue) {
		family('queue_waiting_calls', 'gauge', 'Calls waiting in the gateway queue for a backend slot now.', [{ labels: {}, value: queue.waiting }]);
		family('queue_max_waiting_calls', 'gauge', 'Most calls that ever waited at once in one gateway queue.', [{ labels: {}, value: queue.maxWaiting }]);
		family('queue_running_calls', 'gauge', 'Calls holding a backend slot now.', [{ labels: {}, value: queue.running }]);
		family('queue_dispatched_total', 'counter', 'Calls the queue handed to a backend.', [{ labels: {}, value: queue.dispatched }]);
		family('queue_rejected_total', 'counter', 'Calls that left the queue without a slot, by reason.', [
			{ labels: { reason: 'aborted' }, value: queue.aborted },
			{ labels: { reason: 'full' }, value: queue.rejectedFull },
			{ labels: { reason: 'timeout' }, value: queue.timedOut },
		]);
		family('queue_requeued_total', 'counter', 'Attempts put back at the front after a retryable failure (503).', [{ labels: {}, value: queue.requeued }]);
		family('queue_wait_seconds', 'gauge', 'Time recent calls waited for a slot, nearest-rank quantiles.', [
			{ labels: { quantile: '0.5' }, value: seconds(queue.waitMs.p50) },
			{ labels: { quantile: '0.95' }, value: seconds(queue.waitMs.p95) },
			{ labels: { quantile: '1' }, value: seconds(queue.waitMs.max) },
		]);
	}

	const cache = metrics.cache;
	if (cache) {
		family('cache_hits_total', 'counter', 'Gateway cache hits per layer (l1 memory, l2 Redis, semantic, single_flight join).', [
			{ labels: { layer: 'l1' }, value: cache.l1Hits },
			{ labels: { layer: 'l2' }, value: cache.l2Hits },
			{ labels: { layer: 'semantic' }, value: cache.semanticHits },
			{ labels: { layer: 'single_flight' }, value: cache.singleFlightJoins },
		]);
		family('cache_misses_total', 'counter', 'Gateway cache lookups that found nothing.', [{ labels: {}, value: cache.misses }]);
		family('cache_stores_total', 'counter', 'Replies stored in the gateway cache.', [{ labels: {}, value: cache.stores }]);
		family('embedding_cache_lookups_total', 'counter', 'Embedding cache lookups per input, by result.', [
			{ labels: { result: 'hit' }, value: cache.embeddingHits },
			{ labels: { result: 'miss' }, value: cache.embeddingMisses },
		]);
	}

	const backends = [...metrics.backends].sort((a, b) => (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0));
	const perBackend = (pick: (b: BackendHealth) => number) => backends.map((b) => ({ labels: { backend: b.backend }, value: pick(b) }));
	family('backend_up', 'gauge', '1 when the backend takes calls (circuit closed, not held off, last probe answered).', perBackend((b) => (b.up ? 1 : 0)));
	family(
		'backend_circuit_state',
		'gauge',
		"The backend's circuit breaker: 1 for its current state, 0 for the others.",
		backends.flatMap((b) => (['closed', 'half-open', 'open'] as const).map((state) => ({ labels: { backend: b.backend, state }, value: b.circuit === state ? 1 : 0 }))),
	);
	family('backend_in_flight_calls', 'gauge', 'Calls running on the backend now (this process).', perBackend((b) => b.inFlight));
	family('backend_requests_total', 'counter', 'Attempts sent to the backend by this process.', perBackend((b) => b.requests));
	family('backend_failures_total', 'counter', 'Failed attempts and probes of the backend seen by this process.', perBackend((b) => b.errors));
	family('backend_error_ratio', 'gauge', 'Moving average of failed calls and probes, 0 to 1.', perBackend((b) => b.errorRate));

	const models = backends.flatMap((b) =>
		[...b.models].sort((x, y) => (x.model < y.model ? -1 : x.model > y.model ? 1 : 0)).map((m) => ({ backend: b.backend, m })),
	);
	const perModel = (pick: (m: BackendHealth['models'][number]) => number | undefined) =>
		models.map(({ backend, m }) => ({ labels: { backend, model: m.model }, value: pick(m) ?? NaN }));
	family('model_loaded', 'gauge', '1 when the model is loaded on the backend (as /api/ps last showed or a call proved).', perModel((m) => (m.loaded ? 1 : 0)));
	family('model_vram_bytes', 'gauge', 'GPU memory the loaded model holds on the backend (size_vram of /api/ps).', perModel((m) => m.sizeVram));
	family('model_slots', 'gauge', 'Parallel slots the balancer allows for the model on the backend (configured or learned).', perModel((m) => m.slots));
	family('model_slots_learned', 'gauge', '1 when the slot count was learned from the backend rather than configured.', perModel((m) => (m.learned ? 1 : 0)));
	family('model_in_flight_calls', 'gauge', 'Calls for the model running on the backend now.', perModel((m) => m.inFlight));
	family('model_time_to_first_token_seconds', 'gauge', 'Moving average of the time to the first token (queue at the server, load, prefill).', perModel((m) => seconds(m.ttftMs)));
	family('model_decode_tokens_per_second', 'gauge', 'Moving average of the decode rate of one call.', perModel((m) => m.decodeTokensPerSec));

	return families.map(render).join('');
}

function render(f: Family): string {
	let text = `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
	for (const { labels, value } of f.samples) text += `${f.name}${renderLabels(labels)} ${renderValue(value)}\n`;
	return text;
}

function renderLabels(labels: Labels): string {
	const names = Object.keys(labels);
	if (names.length === 0) return '';
	return `{${names.map((name) => `${name}="${escapeLabel(labels[name])}"`).join(',')}}`;
}

function renderValue(value: number): string {
	// Go's ParseFloat reads JavaScript's shortest round-trip form; integers stay integers.
	return Object.is(value, -0) ? '0' : String(value);
}

// The text format's escapes: backslash and newline in HELP, and also the double quote in label values.
const escapeHelp = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
