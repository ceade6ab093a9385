import type { IDataObject } from 'n8n-workflow';

import type { AgentRunResult } from '../../../lib/agent';
import { itemMetrics, recordFromChatResult, type CallRecord } from '../../../lib/metrics';

/** All model calls of one item as one record: tokens and phase times summed, wall time as latency. */
function itemRecord(run: AgentRunResult, latencyMs: number): CallRecord {
	const records = run.calls.map((call) => recordFromChatResult(call));
	const sum = (key: keyof CallRecord) => records.reduce((total, r) => total + (r[key] as number), 0);
	return {
		model: run.final.model,
		backend: run.final.backend,
		ok: true,
		latencyMs,
		queueMs: sum('queueMs'),
		loadMs: sum('loadMs'),
		promptEvalMs: sum('promptEvalMs'),
		evalMs: sum('evalMs'),
		promptTokens: sum('promptTokens'),
		completionTokens: sum('completionTokens'),
		estimatedPromptTokens: run.estimate.estimatedTokens,
		retries: sum('retries'),
		cacheHit: records.every((r) => r.cacheHit),
	};
}

/**
 * The item an agent turn produces: the answer and everything an operator needs in the
 * execution log (tokens with the estimate's error, phase timings, throughput, backend,
 * context fitting, tool calls, memory, warnings).
 */
export function toOutputJson(run: AgentRunResult, latencyMs: number): IDataObject {
	const metrics = itemMetrics(itemRecord(run, latencyMs));
	const json: IDataObject = {
		// The answer's name follows n8n's AI Agent (`output`): see README, Team Agent output.
		output: run.response,
		...(run.data !== undefined ? { data: run.data as IDataObject } : {}),
		model: run.final.model,
		backend: run.final.backend,
		doneReason: run.final.doneReason,
		// n8n's name (its LLM nodes' outputs): the logs panel sums json.tokenUsage into the node's "N Tokens"
		tokenUsage: {
			promptTokens: metrics.tokens.prompt,
			completionTokens: metrics.tokens.completion,
			totalTokens: metrics.tokens.total,
			estimatedPromptTokens: run.estimate.estimatedTokens,
			modelPromptTokens: run.estimate.modelTokens,
			estimateErrorPct: run.estimate.errorPct,
		},
		timings: {
			totalMs: metrics.timings.totalMs,
			queueMs: metrics.timings.queueMs,
			loadMs: metrics.timings.loadMs,
			promptEvalMs: metrics.timings.prefillMs,
			evalMs: metrics.timings.decodeMs,
		},
		throughput: metrics.throughput,
		calls: run.calls.length,
		retries: metrics.retries,
		cacheHit: metrics.cacheHit,
		context: run.context as unknown as IDataObject,
	};
	// which cache layer answered (l1, l2, semantic with its similarity, or an identical call in flight)
	if (metrics.cacheHit && run.final.cacheLayer) json.cacheLayer = run.final.cacheLayer;
	if (metrics.cacheHit && run.final.similarity !== undefined) json.similarity = run.final.similarity;
	// reliability (docs/reliability.md): backends a call was taken back from when they stopped answering, and hedged calls
	const movedFrom = [...new Set(run.calls.flatMap((call) => call.movedFrom ?? []))];
	if (movedFrom.length) json.movedFrom = movedFrom;
	const hedged = run.calls.flatMap((call) => (call.hedged ? [call.hedged] : []));
	if (hedged.length) json.hedged = hedged;
	if (run.trace.length) json.toolCalls = run.trace as unknown as IDataObject[];
	if (run.memory) json.memory = run.memory;
	if (run.warnings.length) json.warnings = run.warnings;
	return json;
}
