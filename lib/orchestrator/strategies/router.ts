import type { Outcome, RunContext } from '../context';
import { ROUTER_SYSTEM, routerPrompt } from '../prompts';
import { runStep } from '../step';
import { findMember } from '../team';
import type { Member } from '../types';

/** The lead model picks the one best member for the task; that member answers. */
export async function runRouter(ctx: RunContext): Promise<Outcome> {
	const members = [...ctx.team.values()];
	const names = members.map((m) => m.name);
	ctx.onProgress?.({ type: 'phase', phase: 'route', attempt: 1 });
	const schema = { type: 'object', properties: { member: { type: 'string', enum: names }, reason: { type: 'string' } }, required: ['member'] };
	const choice = await ctx.lead.json<Member>(
		'router',
		1,
		ROUTER_SYSTEM,
		routerPrompt(ctx.input.task, members),
		schema,
		(value) => {
			const name = (value as { member?: unknown })?.member;
			const member = typeof name === 'string' ? findMember(ctx.team, name) : undefined;
			return member ? { ok: true, value: member } : { ok: false, problem: `"member" must be one of ${names.join(', ')}` };
		},
		ctx.input.planRetries,
	);
	if (!choice.ok) return { response: '', status: 'failed', reason: `the router did not name a member: ${choice.problem}`, steps: [], attempts: 1 };
	const trace = await runStep(ctx.step, { id: 's1', member: choice.value, task: ctx.input.task, prompt: ctx.input.task, dependsOn: [], attempt: 1 });
	const ok = trace.status === 'ok';
	return { response: trace.output, status: ok ? 'completed' : 'failed', reason: ok ? undefined : `${trace.member} ${trace.status}: ${trace.error ?? ''}`.trim(), steps: [trace], attempts: 1 };
}
