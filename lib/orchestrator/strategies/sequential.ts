import { label, type Outcome, type RunContext } from '../context';
import { memberPrompt } from '../prompts';
import { runStep } from '../step';
import { selectMembers } from '../team';
import type { StepTrace } from '../types';

/** Members in order, each one's output feeding the next; the last output is the answer. */
export async function runSequential(ctx: RunContext): Promise<Outcome> {
	const members = selectMembers(ctx.team, ctx.input.useMembers);
	const steps: StepTrace[] = [];
	let previous: StepTrace | undefined;
	for (const [index, member] of members.entries()) {
		const inputs = previous ? [{ label: label(previous), output: previous.output }] : [];
		const trace = await runStep(ctx.step, {
			id: `s${index + 1}`,
			member,
			task: ctx.input.task,
			prompt: memberPrompt(ctx.input.task, ctx.input.task, '', inputs),
			dependsOn: previous ? [previous.id] : [],
			attempt: 1,
		});
		steps.push(trace);
		if (trace.status !== 'ok') {
			return {
				response: previous?.output ?? '',
				status: previous ? 'partial' : 'failed',
				reason: `step ${label(trace)} ${trace.status}: ${trace.error ?? ''}`.trim(),
				steps,
				attempts: 1,
			};
		}
		previous = trace;
	}
	return { response: previous!.output, status: 'completed', steps, attempts: 1 };
}
