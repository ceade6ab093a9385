import { label, okSteps, synthesise, type Outcome, type RunContext } from '../context';
import { executeGraph } from '../graph';
import { checkPlan, planSchema, sinkSteps } from '../plan';
import { memberPrompt, PLANNER_SYSTEM, plannerPrompt, replanPrompt } from '../prompts';
import { reviewResults } from '../review';
import { notRunTrace, runStep } from '../step';
import { findMember } from '../team';
import type { PlanStep, StepTrace } from '../types';

const failedStatus = (t: StepTrace) => t.status !== 'ok' && t.status !== 'skipped' && t.status !== 'cancelled';

/** The answer of a plan's results: its last passed steps (those no other passed step builds on). */
function resultsOf(plan: PlanStep[], traces: Map<string, StepTrace>): StepTrace[] {
	const passed = plan.filter((s) => traces.get(s.id)?.status === 'ok');
	return sinkSteps(passed.map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => traces.get(d)?.status === 'ok') }))).map((s) => traces.get(s.id)!);
}

/**
 * Plan → execute → review → replan. The planner writes a plan (validated, repaired or asked
 * again); its steps run as a dependency graph, independent ones in parallel; the reviewer judges
 * the results; when unsatisfied the planner replans with the feedback, keeping the steps that
 * passed. Ends on a satisfied review, or with the best result so far when a budget, the loop
 * guard or too many failures stop it.
 */
export async function runSupervisor(ctx: RunContext): Promise<Outcome> {
	const { input, control, lead } = ctx;
	const members = [...ctx.team.values()];
	const names = members.map((m) => m.name);
	const maxPlanSteps = Math.max(1, input.budgets.maxSteps);
	const schema = planSchema(names, maxPlanSteps);
	const allSteps: StepTrace[] = [];
	let plan: PlanStep[] | undefined;
	let traces = new Map<string, StepTrace>();
	let best: { plan: PlanStep[]; traces: Map<string, StepTrace>; passed: number } | undefined;
	let feedback = '';
	let attempt = 0;
	let satisfied = false;
	let planFailure: string | undefined;

	while (attempt < input.budgets.maxAttempts && !control.stopped) {
		attempt++;
		ctx.onProgress?.({ type: 'phase', phase: 'plan', attempt });
		const prompt = plan ? replanPrompt(input.task, members, maxPlanSteps, plan, traces, feedback) : plannerPrompt(input.task, members, maxPlanSteps);
		const checked = await lead.json<PlanStep[]>('planner', attempt, PLANNER_SYSTEM, prompt, schema, (value) => {
			const result = checkPlan(value, names, maxPlanSteps);
			if (result.repairs.length) ctx.warnings.push(`Plan ${attempt} repaired: ${result.repairs.join('; ')}.`);
			return result.ok ? { ok: true, value: result.steps } : { ok: false, problem: result.problems.join('; ') };
		}, input.planRetries);
		if (!checked.ok) {
			if (control.stopped) break;
			planFailure = `the planner's plan was invalid ${input.planRetries + 1} time(s): ${checked.problem}`;
			control.stop('invalidPlan');
			break;
		}

		// Steps that passed before and come back unchanged keep their results.
		const kept = new Map<string, StepTrace>();
		for (const step of checked.value) {
			const before = traces.get(step.id);
			if (before?.verdict?.ok && before.member === step.member && before.task === step.task) kept.set(step.id, { ...before, reused: true });
		}
		const previous = plan;
		plan = checked.value;
		const thisPlan = plan;
		traces = await executeGraph(thisPlan, {
			done: kept,
			control,
			maxParallel: input.maxParallel,
			notRun: (step, status, why) => notRunTrace(control, { ...step, attempt }, status, why),
			runStep: (step, deps) =>
				runStep(ctx.step, {
					id: step.id,
					member: findMember(ctx.team, step.member)!,
					task: step.task,
					prompt: memberPrompt(input.task, step.task, step.expectedOutput, deps.map((d) => ({ label: label(d), output: d.output }))),
					dependsOn: step.dependsOn,
					attempt,
				}),
			shouldStop: (done) => [...done.values()].filter(failedStatus).length > thisPlan.length / 2,
		});
		const fresh = thisPlan.map((s) => traces.get(s.id)!).filter((t) => !t.reused);
		allSteps.push(...fresh);
		if (previous && fresh.length > 0 && fresh.every((t) => t.status === 'loop' || t.status === 'skipped')) {
			ctx.warnings.push(`Attempt ${attempt} only repeated steps that already ran; the loop guard ended the run.`);
			control.stop('loopGuard');
		}

		ctx.onProgress?.({ type: 'phase', phase: 'review', attempt });
		const review = control.signal.aborted
			? { satisfied: false, feedback: '', warnings: [] }
			: await reviewResults(input.review && !control.stopped ? lead : undefined, attempt, input.task, thisPlan, traces);
		ctx.warnings.push(...review.warnings);
		feedback = review.feedback;
		const passed = thisPlan.filter((s) => traces.get(s.id)?.verdict?.ok).length;
		if (!best || passed >= best.passed) best = { plan: thisPlan, traces, passed };
		if (review.satisfied) {
			satisfied = true;
			break;
		}
	}
	if (!satisfied && !control.stopped && attempt >= input.budgets.maxAttempts) control.stop('attempts');

	if (satisfied && best) {
		const { response, streamed } = await synthesise(ctx, attempt, resultsOf(best.plan, best.traces));
		return { response, streamed, status: 'completed', plan: best.plan, steps: allSteps, attempts: attempt };
	}
	const results = best ? resultsOf(best.plan, best.traces) : [];
	const response = results.length === 1 ? results[0].output : results.map((r) => `### ${label(r)}\n${r.output}`).join('\n\n');
	const unresolved = best?.plan.filter((s) => !best!.traces.get(s.id)?.verdict?.ok).map((s) => `${s.id}: ${best!.traces.get(s.id)?.verdict?.feedback || best!.traces.get(s.id)?.status}`);
	return {
		response,
		status: okSteps(allSteps).length > 0 ? 'partial' : 'failed',
		reason: planFailure ?? (unresolved?.length ? `steps not accepted: ${unresolved.join('; ')}` : undefined),
		plan: best?.plan ?? plan,
		steps: allSteps,
		attempts: attempt,
	};
}
