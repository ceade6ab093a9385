import type { Outcome, RunContext } from './context';
import { describeStop, RunControl } from './control';
import { Lead, type ChatGateway } from './lead';
import { LoopGuard } from './loop-guard';
import { runDebate } from './strategies/debate';
import { runParallel } from './strategies/parallel';
import { runRouter } from './strategies/router';
import { runSequential } from './strategies/sequential';
import { runSupervisor } from './strategies/supervisor';
import { indexTeam, selectMembers, TeamError } from './team';
import { STRATEGIES, type CallHooks, type Member, type OrchestratorInput, type OrchestratorResult, type ProgressEvent, type Strategy } from './types';

export interface OrchestratorDeps extends CallHooks {
	/** The gateway the lead model's calls go through (members carry their own). */
	gateway: ChatGateway;
	members: Member[];
	/** The execution's cancel signal: stops running and queued steps. */
	signal?: AbortSignal;
	onProgress?: (event: ProgressEvent) => void;
	/** Receives the final answer as it is written (or whole, when it is a member's output). */
	onAnswerChunk?: (text: string) => void;
}

const STRATEGY_RUNNERS: Record<Strategy, (ctx: RunContext) => Promise<Outcome>> = {
	sequential: runSequential,
	parallel: runParallel,
	router: runRouter,
	supervisor: runSupervisor,
	debate: runDebate,
};

/** Checks the input a run cannot start without; throws a TeamError naming the field. */
function checkInput(input: OrchestratorInput): void {
	if (!input.task.trim()) throw new TeamError('The task is empty', 'Task');
	if (!STRATEGIES.includes(input.strategy)) throw new TeamError(`Unknown strategy "${String(input.strategy)}"`, 'Strategy');
	if (!input.leadModel.trim()) throw new TeamError('The orchestrator model is empty', 'Orchestrator Model');
	const b = input.budgets;
	for (const [field, value] of [['Max Attempts', b.maxAttempts], ['Max Steps', b.maxSteps]] as const) {
		if (!Number.isInteger(value) || value < 1) throw new TeamError(`"${field}" must be a whole number of at least 1`, field);
	}
	for (const [field, value] of [['Step Timeout', b.stepTimeoutMs], ['Run Timeout', b.runTimeoutMs]] as const) {
		if (!(value > 0)) throw new TeamError(`"${field}" must be more than 0 seconds`, field);
	}
	if (!(b.maxTokens >= 0)) throw new TeamError('"Tokens per Run" must be 0 (no limit) or more', 'Tokens per Run');
}

/**
 * Runs a team on one task with the chosen strategy. Throws a TeamError for a team or input that
 * cannot run (before any model call); everything after that ends in a result whose status is
 * completed, partial or failed, with the reason and the budget that stopped it, never a throw.
 */
export async function runOrchestrator(input: OrchestratorInput, deps: OrchestratorDeps): Promise<OrchestratorResult> {
	checkInput(input);
	const team = indexTeam(deps.members);
	if (input.strategy !== 'supervisor' && input.strategy !== 'router') selectMembers(team, input.useMembers);

	const control = new RunControl(input.budgets, deps.signal);
	const hooks: CallHooks = { onCall: deps.onCall, onCallFailed: deps.onCallFailed };
	const lead = new Lead(deps.gateway, input.leadModel, input.leadOptions ?? {}, control, input.cache, hooks);
	const warnings: string[] = [];
	const ctx: RunContext = {
		input,
		team,
		control,
		lead,
		warnings,
		step: { team, control, guard: new LoopGuard(), hooks, onProgress: deps.onProgress },
		onProgress: deps.onProgress,
		onAnswerChunk: deps.onAnswerChunk,
	};
	let outcome: Outcome;
	try {
		outcome = await STRATEGY_RUNNERS[input.strategy](ctx);
	} catch (error) {
		if (error instanceof TeamError) throw error;
		// A lead call that failed (backend down, deadline, cancellation): the run still reports.
		outcome = { response: '', status: 'failed', reason: (error as Error).message, steps: [], attempts: 0 };
	} finally {
		control.dispose();
	}
	if (!outcome.streamed && outcome.response) deps.onAnswerChunk?.(outcome.response);

	const stoppedBy = control.stoppedBy;
	const stopText = stoppedBy ? `stopped: ${describeStop(stoppedBy)}` : undefined;
	let status = outcome.status;
	if (stoppedBy && status === 'completed' && stoppedBy !== 'tokens') status = 'partial';
	return {
		response: outcome.response,
		strategy: input.strategy,
		status,
		...(outcome.reason || stopText ? { reason: [stopText, outcome.reason].filter(Boolean).join('; ') } : {}),
		...(stoppedBy ? { stoppedBy } : {}),
		attempts: outcome.attempts,
		...(outcome.plan ? { plan: outcome.plan } : {}),
		steps: outcome.steps,
		lead: lead.traces,
		totals: { ...control.cost, tokens: { ...control.cost.tokens }, steps: control.stepsStarted, latencyMs: control.elapsedMs(), leadCalls: lead.traces.length },
		warnings: [...new Set(warnings)],
	};
}
