import type { IDataObject } from 'n8n-workflow';

import type { OrchestratorResult, ProgressEvent, StepTrace } from '../../../lib/orchestrator';

const ms = (n: number) => Math.round(n * 10) / 10;

/** A step as shown in the item and on the Steps output: what it did, what it cost, how it was judged. */
export function stepJson(step: StepTrace): IDataObject {
	return {
		id: step.id,
		member: step.member,
		task: step.task,
		status: step.status,
		...(step.error ? { error: step.error } : {}),
		output: step.output,
		attempt: step.attempt,
		...(step.fallbackFrom ? { fallbackFrom: step.fallbackFrom } : {}),
		dependsOn: step.dependsOn,
		tokens: { ...step.tokens },
		backendCalls: step.backendCalls,
		backend: step.backend ?? null,
		cacheHit: step.cacheHit,
		timings: { startMs: ms(step.timings.startMs), endMs: ms(step.timings.endMs), durationMs: ms(step.timings.durationMs), queueMs: ms(step.timings.queueMs) },
		verdict: step.verdict ? { ok: step.verdict.ok, by: step.verdict.by, feedback: step.verdict.feedback } : null,
	};
}

/** The item for one input: the answer first (`output`, as n8n's AI Agent), then status, totals and the trace. */
export function resultJson(result: OrchestratorResult): IDataObject {
	const { totals } = result;
	return {
		output: result.response,
		strategy: result.strategy,
		status: result.status,
		...(result.reason ? { reason: result.reason } : {}),
		...(result.stoppedBy ? { stoppedBy: result.stoppedBy } : {}),
		attempts: result.attempts,
		totals: {
			tokens: { ...totals.tokens },
			latencyMs: ms(totals.latencyMs),
			backendCalls: totals.backendCalls,
			cacheHits: totals.cacheHits,
			steps: totals.steps,
			leadCalls: totals.leadCalls,
			queueMs: ms(totals.queueMs),
		},
		...(result.plan ? { plan: result.plan.map((s) => ({ ...s })) } : {}),
		steps: result.steps.map(stepJson),
		lead: result.lead.map((l) => ({
			role: l.role,
			attempt: l.attempt,
			ok: l.ok,
			...(l.problem ? { problem: l.problem } : {}),
			tokens: { ...l.tokens },
			backend: l.backend ?? null,
			cacheHit: l.cacheHits > 0,
			durationMs: ms(l.durationMs),
		})),
		warnings: result.warnings,
	};
}

/** One line of streamed progress. */
export function progressLine(event: ProgressEvent): string {
	switch (event.type) {
		case 'stepStart':
			return `[${event.id}] ${event.member} started (attempt ${event.attempt})\n`;
		case 'stepEnd':
			return `[${event.id}] ${event.member} ${event.status} in ${(event.durationMs / 1000).toFixed(1)} s\n`;
		case 'phase':
			return `[${event.phase}] attempt ${event.attempt}\n`;
	}
}
