import { okSteps, synthesise, type Outcome, type RunContext } from '../context';
import { runStep } from '../step';
import { selectMembers } from '../team';

/** Every chosen member works on the task at once; the synthesiser merges the answers. */
export async function runParallel(ctx: RunContext): Promise<Outcome> {
	const members = selectMembers(ctx.team, ctx.input.useMembers);
	const steps = await Promise.all(
		members.map((member, index) =>
			runStep(ctx.step, { id: `m${index + 1}`, member, task: ctx.input.task, prompt: ctx.input.task, dependsOn: [], attempt: 1 }),
		),
	);
	const ok = okSteps(steps);
	const failed = steps.filter((s) => s.status !== 'ok');
	const reason = failed.length ? `${failed.length} of ${steps.length} members did not answer: ${failed.map((s) => `${s.member} ${s.status}${s.error ? ` (${s.error})` : ''}`).join(', ')}` : undefined;
	if (ok.length === 0) return { response: '', status: 'failed', reason, steps, attempts: 1 };
	const { response, streamed } = await synthesise(ctx, 1, ok);
	return { response, streamed, status: failed.length ? 'partial' : 'completed', reason, steps, attempts: 1 };
}
