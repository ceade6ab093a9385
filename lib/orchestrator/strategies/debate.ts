import { okSteps, type Outcome, type RunContext } from '../context';
import { debatePrompt, JUDGE_SYSTEM, judgePrompt } from '../prompts';
import { runStep } from '../step';
import { selectMembers } from '../team';
import type { StepTrace } from '../types';

/**
 * N members answer; from the second round on each sees the others' latest answers and revises;
 * the lead model judges: it picks the best answer or merges them.
 */
export async function runDebate(ctx: RunContext): Promise<Outcome> {
	const members = selectMembers(ctx.team, ctx.input.useMembers);
	if (members.length < 2) ctx.warnings.push('A debate needs at least two members; the only member\'s answer is the result.');
	const steps: StepTrace[] = [];
	const latest = new Map<string, string>();
	const rounds = Math.max(1, ctx.input.debateRounds);
	for (let round = 1; round <= rounds && !ctx.control.stopped; round++) {
		const traces = await Promise.all(
			members.map((member) => {
				const others = [...latest].filter(([name]) => name !== member.name).map(([name, output]) => ({ member: name, output }));
				return runStep(ctx.step, { id: `r${round}-${member.name}`, member, task: ctx.input.task, prompt: debatePrompt(ctx.input.task, round, others), dependsOn: [], attempt: round });
			}),
		);
		steps.push(...traces);
		for (const trace of okSteps(traces)) latest.set(trace.member, trace.output);
	}
	const answers = [...latest].map(([member, output]) => ({ member, output }));
	const failed = steps.filter((s) => s.status !== 'ok');
	const reason = failed.length ? `${failed.length} of ${steps.length} answers missing: ${failed.map((s) => `${s.id} ${s.status}${s.error ? ` (${s.error})` : ''}`).join(', ')}` : undefined;
	if (answers.length === 0) return { response: '', status: 'failed', reason, steps, attempts: rounds };
	if (answers.length === 1) return { response: answers[0].output, status: failed.length ? 'partial' : 'completed', reason, steps, attempts: rounds };
	if (!ctx.control.stopped) {
		ctx.onProgress?.({ type: 'phase', phase: 'judge', attempt: rounds });
		try {
			const verdict = await ctx.lead.text('judge', rounds, JUDGE_SYSTEM, judgePrompt(ctx.input.task, answers), ctx.onAnswerChunk);
			if (verdict.trim()) return { response: verdict, streamed: ctx.onAnswerChunk !== undefined, status: failed.length ? 'partial' : 'completed', reason, steps, attempts: rounds };
			ctx.warnings.push('The judge returned an empty verdict; the first answer is the result.');
		} catch (error) {
			ctx.warnings.push(`The judge failed (${(error as Error).message}); the first answer is the result.`);
		}
	}
	return { response: answers[0].output, status: 'partial', reason: reason ?? 'the judge gave no verdict', steps, attempts: rounds };
}
