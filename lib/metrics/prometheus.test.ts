import { fullMetrics as metrics, stats } from './prometheus.fixture';
import { toPrometheusText } from './prometheus';

describe('toPrometheusText', () => {
	it('writes the text exposition format 0.0.4: HELP, TYPE, units in names, _total counters, fixed order', () => {
		expect(toPrometheusText(metrics)).toBe(`# HELP agent_team_info Always 1; labels say where the figures come from (scope: process or cluster via Redis) and the environment profile.
# TYPE agent_team_info gauge
agent_team_info{scope="cluster",profile="production"} 1
# HELP agent_team_backend_calls_total LLM calls per backend.
# TYPE agent_team_backend_calls_total counter
agent_team_backend_calls_total{backend="gpu-a"} 3
agent_team_backend_calls_total{backend="gpu-b"} 2
# HELP agent_team_backend_errors_total Failed LLM calls per backend.
# TYPE agent_team_backend_errors_total counter
agent_team_backend_errors_total{backend="gpu-a"} 0
agent_team_backend_errors_total{backend="gpu-b"} 1
# HELP agent_team_backend_cache_hits_total LLM calls per backend answered by a cache.
# TYPE agent_team_backend_cache_hits_total counter
agent_team_backend_cache_hits_total{backend="gpu-a"} 1
agent_team_backend_cache_hits_total{backend="gpu-b"} 1
# HELP agent_team_backend_prompt_tokens_total Prompt tokens per backend (the model's prompt_eval_count).
# TYPE agent_team_backend_prompt_tokens_total counter
agent_team_backend_prompt_tokens_total{backend="gpu-a"} 300
agent_team_backend_prompt_tokens_total{backend="gpu-b"} 200
# HELP agent_team_backend_completion_tokens_total Generated tokens per backend (eval_count).
# TYPE agent_team_backend_completion_tokens_total counter
agent_team_backend_completion_tokens_total{backend="gpu-a"} 30
agent_team_backend_completion_tokens_total{backend="gpu-b"} 20
# HELP agent_team_backend_call_duration_seconds Call latency per backend, nearest-rank quantiles over the latest calls.
# TYPE agent_team_backend_call_duration_seconds gauge
agent_team_backend_call_duration_seconds{backend="gpu-a",quantile="0.5"} 0.12
agent_team_backend_call_duration_seconds{backend="gpu-a",quantile="0.95"} 0.3
agent_team_backend_call_duration_seconds{backend="gpu-b",quantile="0.5"} 0.25
agent_team_backend_call_duration_seconds{backend="gpu-b",quantile="0.95"} 0.9
# HELP agent_team_model_calls_total LLM calls per model.
# TYPE agent_team_model_calls_total counter
agent_team_model_calls_total{model="llama3.1:8b"} 5
# HELP agent_team_model_errors_total Failed LLM calls per model.
# TYPE agent_team_model_errors_total counter
agent_team_model_errors_total{model="llama3.1:8b"} 1
# HELP agent_team_model_cache_hits_total LLM calls per model answered by a cache.
# TYPE agent_team_model_cache_hits_total counter
agent_team_model_cache_hits_total{model="llama3.1:8b"} 1
# HELP agent_team_model_prompt_tokens_total Prompt tokens per model (the model's prompt_eval_count).
# TYPE agent_team_model_prompt_tokens_total counter
agent_team_model_prompt_tokens_total{model="llama3.1:8b"} 500
# HELP agent_team_model_completion_tokens_total Generated tokens per model (eval_count).
# TYPE agent_team_model_completion_tokens_total counter
agent_team_model_completion_tokens_total{model="llama3.1:8b"} 50
# HELP agent_team_model_call_duration_seconds Call latency per model, nearest-rank quantiles over the latest calls.
# TYPE agent_team_model_call_duration_seconds gauge
agent_team_model_call_duration_seconds{model="llama3.1:8b",quantile="0.5"} 0.15
agent_team_model_call_duration_seconds{model="llama3.1:8b",quantile="0.95"} 0.9
# HELP agent_team_errors_total Failed LLM calls per error kind (TIMEOUT, UNREACHABLE, BUSY, MODEL_NOT_FOUND …).
# TYPE agent_team_errors_total counter
agent_team_errors_total{kind="TIMEOUT"} 1
# HELP agent_team_queue_waiting_calls Calls waiting in the gateway queue for a backend slot now.
# TYPE agent_team_queue_waiting_calls gauge
agent_team_queue_waiting_calls 4
# HELP agent_team_queue_max_waiting_calls Most calls that ever waited at once in one gateway queue.
# TYPE agent_team_queue_max_waiting_calls gauge
agent_team_queue_max_waiting_calls 7
# HELP agent_team_queue_running_calls Calls holding a backend slot now.
# TYPE agent_team_queue_running_calls gauge
agent_team_queue_running_calls 2
# HELP agent_team_queue_dispatched_total Calls the queue handed to a backend.
# TYPE agent_team_queue_dispatched_total counter
agent_team_queue_dispatched_total 40
# HELP agent_team_queue_rejected_total Calls that left the queue without a slot, by reason.
# TYPE agent_team_queue_rejected_total counter
agent_team_queue_rejected_total{reason="aborted"} 2
agent_team_queue_rejected_total{reason="full"} 0
agent_team_queue_rejected_total{reason="timeout"} 1
# HELP agent_team_queue_requeued_total Attempts put back at the front after a retryable failure (503).
# TYPE agent_team_queue_requeued_total counter
agent_team_queue_requeued_total 3
# HELP agent_team_queue_wait_seconds Time recent calls waited for a slot, nearest-rank quantiles.
# TYPE agent_team_queue_wait_seconds gauge
agent_team_queue_wait_seconds{quantile="0.5"} 0.012
agent_team_queue_wait_seconds{quantile="0.95"} 0.8
agent_team_queue_wait_seconds{quantile="1"} 1.5
# HELP agent_team_cache_hits_total Gateway cache hits per layer (l1 memory, l2 Redis, semantic, single_flight join).
# TYPE agent_team_cache_hits_total counter
agent_team_cache_hits_total{layer="l1"} 5
agent_team_cache_hits_total{layer="l2"} 2
agent_team_cache_hits_total{layer="semantic"} 1
agent_team_cache_hits_total{layer="single_flight"} 3
# HELP agent_team_cache_misses_total Gateway cache lookups that found nothing.
# TYPE agent_team_cache_misses_total counter
agent_team_cache_misses_total 9
# HELP agent_team_cache_stores_total Replies stored in the gateway cache.
# TYPE agent_team_cache_stores_total counter
agent_team_cache_stores_total 9
# HELP agent_team_embedding_cache_lookups_total Embedding cache lookups per input, by result.
# TYPE agent_team_embedding_cache_lookups_total counter
agent_team_embedding_cache_lookups_total{result="hit"} 4
agent_team_embedding_cache_lookups_total{result="miss"} 6
# HELP agent_team_backend_up 1 when the backend takes calls (circuit closed, not held off, last probe answered).
# TYPE agent_team_backend_up gauge
agent_team_backend_up{backend="gpu-a"} 1
agent_team_backend_up{backend="gpu-b"} 0
# HELP agent_team_backend_circuit_state The backend's circuit breaker: 1 for its current state, 0 for the others.
# TYPE agent_team_backend_circuit_state gauge
agent_team_backend_circuit_state{backend="gpu-a",state="closed"} 1
agent_team_backend_circuit_state{backend="gpu-a",state="half-open"} 0
agent_team_backend_circuit_state{backend="gpu-a",state="open"} 0
agent_team_backend_circuit_state{backend="gpu-b",state="closed"} 0
agent_team_backend_circuit_state{backend="gpu-b",state="half-open"} 0
agent_team_backend_circuit_state{backend="gpu-b",state="open"} 1
# HELP agent_team_backend_in_flight_calls Calls running on the backend now (this process).
# TYPE agent_team_backend_in_flight_calls gauge
agent_team_backend_in_flight_calls{backend="gpu-a"} 2
agent_team_backend_in_flight_calls{backend="gpu-b"} 0
# HELP agent_team_backend_requests_total Attempts sent to the backend by this process.
# TYPE agent_team_backend_requests_total counter
agent_team_backend_requests_total{backend="gpu-a"} 30
agent_team_backend_requests_total{backend="gpu-b"} 10
# HELP agent_team_backend_failures_total Failed attempts and probes of the backend seen by this process.
# TYPE agent_team_backend_failures_total counter
agent_team_backend_failures_total{backend="gpu-a"} 0
agent_team_backend_failures_total{backend="gpu-b"} 4
# HELP agent_team_backend_error_ratio Moving average of failed calls and probes, 0 to 1.
# TYPE agent_team_backend_error_ratio gauge
agent_team_backend_error_ratio{backend="gpu-a"} 0
agent_team_backend_error_ratio{backend="gpu-b"} 0.4
# HELP agent_team_model_loaded 1 when the model is loaded on the backend (as /api/ps last showed or a call proved).
# TYPE agent_team_model_loaded gauge
agent_team_model_loaded{backend="gpu-a",model="llama3.1:8b"} 1
agent_team_model_loaded{backend="gpu-a",model="nomic-embed-text:latest"} 0
# HELP agent_team_model_vram_bytes GPU memory the loaded model holds on the backend (size_vram of /api/ps).
# TYPE agent_team_model_vram_bytes gauge
agent_team_model_vram_bytes{backend="gpu-a",model="llama3.1:8b"} 6000000000
# HELP agent_team_model_slots Parallel slots the balancer allows for the model on the backend (configured or learned).
# TYPE agent_team_model_slots gauge
agent_team_model_slots{backend="gpu-a",model="llama3.1:8b"} 4
agent_team_model_slots{backend="gpu-a",model="nomic-embed-text:latest"} 1
# HELP agent_team_model_slots_learned 1 when the slot count was learned from the backend rather than configured.
# TYPE agent_team_model_slots_learned gauge
agent_team_model_slots_learned{backend="gpu-a",model="llama3.1:8b"} 1
agent_team_model_slots_learned{backend="gpu-a",model="nomic-embed-text:latest"} 1
# HELP agent_team_model_in_flight_calls Calls for the model running on the backend now.
# TYPE agent_team_model_in_flight_calls gauge
agent_team_model_in_flight_calls{backend="gpu-a",model="llama3.1:8b"} 2
agent_team_model_in_flight_calls{backend="gpu-a",model="nomic-embed-text:latest"} 0
# HELP agent_team_model_time_to_first_token_seconds Moving average of the time to the first token (queue at the server, load, prefill).
# TYPE agent_team_model_time_to_first_token_seconds gauge
agent_team_model_time_to_first_token_seconds{backend="gpu-a",model="llama3.1:8b"} 0.35
# HELP agent_team_model_decode_tokens_per_second Moving average of the decode rate of one call.
# TYPE agent_team_model_decode_tokens_per_second gauge
agent_team_model_decode_tokens_per_second{backend="gpu-a",model="llama3.1:8b"} 42.5
`);
	});

	it('escapes label values (backslash, quote, newline) so a name can never break a line or a label', () => {
		const text = toPrometheusText({ scope: 'process', calls: { since: null, byBackend: { 'a"b\\c\nd': stats(1, 0, 5, 5) }, byModel: {} }, backends: [] });
		expect(text).toContain('agent_team_backend_calls_total{backend="a\\"b\\\\c\\nd"} 1\n');
		for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) agent_team_\w+ .+|agent_team_\w+(\{.*\})? [\d.e+-]+)$/);
	});

	it('leaves out families without samples and quantiles not yet known (no NaN lines)', () => {
		const text = toPrometheusText({ scope: 'process', calls: { since: null, byBackend: {}, byModel: {} }, backends: [] });
		expect(text).toBe(
			'# HELP agent_team_info Always 1; labels say where the figures come from (scope: process or cluster via Redis) and the environment profile.\n' +
				'# TYPE agent_team_info gauge\nagent_team_info{scope="process",profile="custom"} 1\n',
		);
		expect(toPrometheusText({ scope: 'process', calls: { since: null, byBackend: { a: stats(0, 0, null, null) }, byModel: {} }, backends: [] })).not.toMatch(/NaN|call_duration/);
	});
});
