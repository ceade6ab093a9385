import type { Checked, Lead } from './lead';
import { REVIEWER_SYSTEM, reviewerPrompt } from './prompts';
import type { PlanStep, StepTrace, Verdict } from './types';

const REVIEW_SCHEMA = {
	type: 'object',
	properties: {
		satisfied: { type: 'boolean' },
		feedback: { type: 'string' },
		steps: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, ok: { type: 'boolean' }, feedback: { type: 'string' } }, required: ['id', 'ok'] } },
	},
	required: ['satisfied', 'steps'],
};

interface ReviewReply {
	satisfied: boolean;
	feedback: string;
	steps: Map<string, { ok: boolean; feedback: string }>;
}

function checkReview(value: unknown): Checked<ReviewReply> {
	const v = value as { satisfied?: unknown; feedback?: unknown; steps?: unknown };
	if (!v || typeof v !== 'object' || typeof v.satisfied !== 'boolean') return { ok: false, problem: '"satisfied" must be true or false' };
	const steps = new Map<string, { ok: boolean; feedback: string }>();
	for (const s of Array.isArray(v.steps) ? v.steps : []) {
		const step = s as { id?: unknown; ok?: unknown; feedback?: unknown };
		if (typeof step?.id === 'string' && typeof step.ok === 'boolean') steps.set(step.id, { ok: step.ok, feedback: String(step.feedback ?? '') });
	}
	return { ok: true, value: { satisfied: v.satisfied, feedback: String(v.feedback ?? ''), steps } };
}

/** What the checks can tell without a model: a step that did not produce output did not pass. */
export function checkStep(trace: StepTrace | undefined): Verdict {
	if (!trace) return { ok: false, feedback: 'the step did not run', by: 'checks' };
	switch (trace.status) {
		case 'ok':
			return { ok: true, feedback: '', by: 'checks' };
		case 'empty':
			return { ok: false, feedback: 'the output was empty', by: 'checks' };
		case 'loop':
			return { ok: false, feedback: `${trace.error}; change the task or the member`, by: 'checks' };
		default:
			return { ok: false, feedback: `${trace.status}: ${trace.error ?? ''}`.trim(), by: 'checks' };
	}
}

export interface Review {
	satisfied: boolean;
	feedback: string;
	warnings: string[];
}

/**
 * Judges the execution results, not the plan's shape: failed, empty, looped or skipped steps fail
 * the checks; the reviewer model then judges the outputs that exist against each step's task and
 * expected output. Sets `verdict` on every trace of the plan. A reviewer reply that is not usable
 * JSON (after one retry) leaves the checks' verdicts and a warning.
 */
export async function reviewResults(lead: Lead | undefined, attempt: number, task: string, plan: PlanStep[], traces: Map<string, StepTrace>): Promise<Review> {
	const warnings: string[] = [];
	for (const step of plan) {
		const trace = traces.get(step.id);
		if (trace && !trace.reused) trace.verdict = checkStep(trace);
	}
	const failedChecks = plan.filter((s) => !traces.get(s.id)?.verdict?.ok);
	let satisfied = failedChecks.length === 0;
	let feedback = failedChecks.map((s) => `${s.id}: ${traces.get(s.id)?.verdict?.feedback ?? 'did not run'}`).join('; ');
	const fresh = plan.filter((s) => traces.get(s.id)?.status === 'ok' && !traces.get(s.id)?.reused);
	if (!lead || fresh.length === 0) return { satisfied, feedback, warnings };

	const reply = await lead.json('reviewer', attempt, REVIEWER_SYSTEM, reviewerPrompt(task, plan, traces), REVIEW_SCHEMA, checkReview, 1);
	if (!reply.ok) {
		warnings.push(`The reviewer's reply was not usable (${reply.problem}); only the automatic checks judged attempt ${attempt}.`);
		return { satisfied, feedback, warnings };
	}
	for (const step of fresh) {
		const judged = reply.value.steps.get(step.id);
		if (judged && !judged.ok) traces.get(step.id)!.verdict = { ok: false, feedback: judged.feedback || 'the reviewer rejected the output', by: 'reviewer' };
		else if (judged) traces.get(step.id)!.verdict = { ok: true, feedback: judged.feedback, by: 'reviewer' };
	}
	const rejected = fresh.filter((s) => !traces.get(s.id)!.verdict!.ok);
	satisfied = satisfied && rejected.length === 0 && reply.value.satisfied;
	feedback = [feedback, reply.value.feedback, ...rejected.map((s) => `${s.id}: ${traces.get(s.id)!.verdict!.feedback}`)].filter(Boolean).join('; ');
	return { satisfied, feedback, warnings };
}
