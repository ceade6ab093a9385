import type { RunControl } from './control';
import type { Lead } from './lead';
import { SYNTHESISER_SYSTEM, synthesisPrompt } from './prompts';
import type { StepContext } from './step';
import type { Member, OrchestratorInput, PlanStep, ProgressEvent, RunStatus, StepTrace } from './types';

/** What every strategy gets for one run. */
export interface RunContext {
	input: OrchestratorInput;
	team: Map<string, Member>;
	control: RunControl;
	lead: Lead;
	step: StepContext;
	warnings: string[];
	onProgress?: (event: ProgressEvent) => void;
	/** Receives the final answer's tokens as the lead model writes them. */
	onAnswerChunk?: (text: string) => void;
}

/** What a strategy hands back; the run adds totals, budgets and the lead's trace. */
export interface Outcome {
	response: string;
	status: RunStatus;
	reason?: string;
	plan?: PlanStep[];
	steps: StepTrace[];
	attempts: number;
	/** True when the response was already streamed through onAnswerChunk. */
	streamed?: boolean;
}

export const okSteps = (traces: Iterable<StepTrace>) => [...traces].filter((t) => t.status === 'ok');
export const label = (t: StepTrace) => `${t.id} (${t.member})`;

/**
 * The final answer from several results: the one result as it is, or a synthesis by the lead
 * model (streamed). When the run was stopped or the synthesis fails, the results joined, so the
 * best result so far is never lost to a last model call.
 */
export async function synthesise(ctx: RunContext, attempt: number, results: StepTrace[]): Promise<{ response: string; streamed: boolean }> {
	if (results.length === 0) return { response: '', streamed: false };
	if (results.length === 1) return { response: results[0].output, streamed: false };
	const joined = results.map((r) => `### ${label(r)}\n${r.output}`).join('\n\n');
	if (ctx.control.stopped) return { response: joined, streamed: false };
	ctx.onProgress?.({ type: 'phase', phase: 'synthesise', attempt });
	try {
		const text = await ctx.lead.text('synthesiser', attempt, SYNTHESISER_SYSTEM, synthesisPrompt(ctx.input.task, results.map((r) => ({ label: label(r), output: r.output }))), ctx.onAnswerChunk);
		if (text.trim()) return { response: text, streamed: ctx.onAnswerChunk !== undefined };
		ctx.warnings.push('The synthesiser returned an empty answer; the results are joined instead.');
	} catch (error) {
		ctx.warnings.push(`The synthesiser failed (${(error as Error).message}); the results are joined instead.`);
	}
	return { response: joined, streamed: false };
}
