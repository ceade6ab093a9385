import type { Member, PlanStep, StepTrace } from './types';

/** Step outputs shown to the planner and reviewer are cut to this many characters each. */
const SHOWN_OUTPUT_CHARS = 1500;
const clip = (text: string, max = SHOWN_OUTPUT_CHARS) => (text.length > max ? `${text.slice(0, max)} …[${text.length - max} more characters]` : text);

export const teamList = (members: Member[]) => members.map((m) => `- ${m.name}: ${m.description || '(no description)'}`).join('\n');

// The markers at the start of each user message ("PLAN THE TASK", "REVIEW THE RESULTS", …) tell
// the lead's calls apart in logs and let tests script the simulator's replies for each one.
export const PLANNER_SYSTEM =
	'You are the planner of a team of agents. You only plan: team members execute every step, you never do a step yourself. ' +
	'Split the task into steps, each done by exactly one member. Steps that do not need each other\'s output must not depend on each other, so they run in parallel. ' +
	'Reply with JSON only: {"steps":[{"id":"s1","task":"…","member":"<member name>","dependsOn":[],"expectedOutput":"…"}]}.';

export function plannerPrompt(task: string, members: Member[], maxSteps: number): string {
	return `PLAN THE TASK\n\nTask:\n${task}\n\nTeam members:\n${teamList(members)}\n\nWrite a plan of at most ${maxSteps} steps. Each step gets the outputs of the steps it depends on.`;
}

export function replanPrompt(task: string, members: Member[], maxSteps: number, plan: PlanStep[], traces: Map<string, StepTrace>, feedback: string): string {
	const lines = plan.map((step) => {
		const trace = traces.get(step.id);
		const verdict = trace?.verdict;
		const state = verdict?.ok ? 'PASSED' : `NEEDS WORK (${trace?.status ?? 'not run'}${verdict?.feedback ? `: ${verdict.feedback}` : ''})`;
		const guarded = trace?.toolRepeats ? ` [loop guard: ${step.member} repeated ${trace.toolRepeats} tool call(s) with the same arguments; they were not run again]` : '';
		return `- ${step.id} [${step.member}] ${step.task} (dependsOn: ${step.dependsOn.join(', ') || 'none'}) → ${state}${guarded}`;
	});
	return (
		`REPLAN THE TASK\n\nTask:\n${task}\n\nTeam members:\n${teamList(members)}\n\nThe previous plan and how its steps did:\n${lines.join('\n')}\n\n` +
		`Reviewer feedback: ${feedback || '(none)'}\n\n` +
		'Write a new plan. Keep every PASSED step with the same id, task and member: it keeps its output and does not run again. ' +
		`Redo or replace the other steps; do not repeat a step that failed in exactly the same way. At most ${maxSteps} steps.`
	);
}

export const REVIEWER_SYSTEM =
	'You are the reviewer of a team of agents. You only review: judge whether each step\'s output does its task and matches its expected output, and whether together they answer the task. ' +
	'Reply with JSON only: {"satisfied":true|false,"feedback":"…","steps":[{"id":"s1","ok":true|false,"feedback":"…"}]}.';

export function reviewerPrompt(task: string, plan: PlanStep[], traces: Map<string, StepTrace>): string {
	const blocks = plan.map((step) => {
		const trace = traces.get(step.id);
		const guarded = trace?.toolRepeats ? `\nNote: the loop guard stopped ${trace.toolRepeats} repeated tool call(s) of this step (same tool, same arguments).` : '';
		return `### ${step.id} [${step.member}] ${step.task}\nExpected output: ${step.expectedOutput || '(not stated)'}${guarded}\nOutput:\n${clip(trace?.output ?? '')}`;
	});
	return `REVIEW THE RESULTS\n\nTask:\n${task}\n\n${blocks.join('\n\n')}`;
}

export const SYNTHESISER_SYSTEM =
	'You write the final answer of a team of agents from its members\' results. Use only what the results say; merge them into one clear answer to the task.';

export function synthesisPrompt(task: string, results: Array<{ label: string; output: string }>): string {
	return `SYNTHESISE THE ANSWER\n\nTask:\n${task}\n\n${results.map((r) => `### ${r.label}\n${r.output}`).join('\n\n')}`;
}

export const ROUTER_SYSTEM = 'You route a task to the one team member best suited to do it. You never do the task yourself. Reply with JSON only: {"member":"<member name>","reason":"…"}.';

export function routerPrompt(task: string, members: Member[]): string {
	return `ROUTE THE TASK\n\nTask:\n${task}\n\nTeam members:\n${teamList(members)}`;
}

export const JUDGE_SYSTEM =
	'You judge a debate between team members. Pick the best answer, or merge the strongest points of several, and write the final answer to the task. Do not mention the debate.';

export function judgePrompt(task: string, answers: Array<{ member: string; output: string }>): string {
	return `JUDGE THE DEBATE\n\nTask:\n${task}\n\n${answers.map((a) => `### ${a.member}\n${a.output}`).join('\n\n')}`;
}

/** What a member receives for one step: its task, the overall goal and its inputs. */
export function memberPrompt(goal: string, task: string, expectedOutput: string, inputs: Array<{ label: string; output: string }>): string {
	const parts = [task === goal ? task : `${task}\n\nOverall goal: ${goal}`];
	if (expectedOutput) parts.push(`Expected output: ${expectedOutput}`);
	if (inputs.length) parts.push(`Inputs:\n${inputs.map((i) => `### ${i.label}\n${i.output}`).join('\n\n')}`);
	return parts.join('\n\n');
}

export function debatePrompt(task: string, round: number, others: Array<{ member: string; output: string }>): string {
	if (round === 1 || others.length === 0) return task;
	return `${task}\n\nOther members answered:\n${others.map((o) => `### ${o.member}\n${clip(o.output)}`).join('\n\n')}\n\nReconsider your answer in their light and give your improved answer.`;
}
