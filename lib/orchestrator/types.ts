import type { ToolCallTrace } from '../agent';
import type { GatewayChatResult } from '../gateway';
import type { ChatRequest } from '../ollama';
import type { CachePolicy } from '../pipeline';

export type Strategy = 'sequential' | 'parallel' | 'router' | 'supervisor' | 'debate';
export const STRATEGIES: readonly Strategy[] = ['sequential', 'parallel', 'router', 'supervisor', 'debate'];

export interface TokenTotals {
	promptTokens: number;
	completionTokens: number;
	totalTokens: number;
}

/** What one member execution (or one orchestrator model call) cost. */
export interface CallCost {
	tokens: TokenTotals;
	/** Model calls that reached the gateway (tool turns and retries included). */
	backendCalls: number;
	cacheHits: number;
	/** The backend of the last call, when known. */
	backend?: string;
	queueMs: number;
}

export interface MemberOutput extends CallCost {
	output: string;
	/** Tool calls of the member that the loop guard did not run (same tool, same arguments as before in the run). */
	toolRepeats?: number;
}

/** Hooks that see every model call of a run as it ends (the node feeds its metrics with them). */
export interface CallHooks {
	/** A model call that returned (lead calls, member turns, tool turns, retries). */
	onCall?: (result: GatewayChatResult) => void;
	/** A model call that failed, with what is known of it (the caller decides what counts). */
	onCallFailed?: (error: unknown, call: { model: string; latencyMs: number }) => void;
}

/** What a member's execution shares with the rest of its run. */
export interface MemberRunContext extends CallHooks {
	/** The member's tool calls so far in this run (tool + arguments): the loop guard's memory. */
	toolCalls: Map<string, ToolCallTrace>;
}

/** A team member: a model described in the node's parameters, or a tool connected to the Team input. */
export interface Member {
	name: string;
	/** What the member is good at, as the planner sees it. */
	description: string;
	/** Name of the member that retries this member's failed steps. */
	fallback?: string;
	kind: 'model' | 'tool';
	run(prompt: string, signal: AbortSignal, run?: MemberRunContext): Promise<MemberOutput>;
}

/** One step of a supervisor plan, as the planner writes it. */
export interface PlanStep {
	id: string;
	task: string;
	member: string;
	dependsOn: string[];
	expectedOutput: string;
}

export type StepStatus = 'ok' | 'failed' | 'empty' | 'skipped' | 'loop' | 'cancelled';

export interface Verdict {
	ok: boolean;
	feedback: string;
	/** Who judged: the deterministic checks or the reviewer model. */
	by: 'checks' | 'reviewer';
}

/** One step as it ran: the output, the trace and the reviewer's verdict. */
export interface StepTrace {
	id: string;
	member: string;
	task: string;
	status: StepStatus;
	output: string;
	error?: string;
	/** The supervisor attempt (1-based) or the debate round that ran the step. */
	attempt: number;
	/** Set when the fallback member produced the output. */
	fallbackFrom?: string;
	/** True when the step's result was kept from an earlier attempt and did not run again. */
	reused?: boolean;
	dependsOn: string[];
	tokens: TokenTotals;
	backendCalls: number;
	cacheHit: boolean;
	backend?: string;
	/** Repeated tool calls the loop guard stopped in this step (the member got the earlier result instead). */
	toolRepeats?: number;
	timings: { startMs: number; endMs: number; durationMs: number; queueMs: number };
	verdict?: Verdict;
}

/** One call of the orchestrator's own model (planner, reviewer, router, synthesiser, judge). */
export interface LeadTrace extends CallCost {
	role: 'planner' | 'reviewer' | 'router' | 'synthesiser' | 'judge';
	attempt: number;
	ok: boolean;
	problem?: string;
	durationMs: number;
}

export type RunStatus = 'completed' | 'partial' | 'failed';
export type StopReason = 'attempts' | 'steps' | 'tokens' | 'deadline' | 'loopGuard' | 'failures' | 'cancelled' | 'invalidPlan';

export interface Budgets {
	/** Supervisor plan → execute → review rounds. */
	maxAttempts: number;
	/** Member executions in the run, fallbacks included. */
	maxSteps: number;
	/** Tokens (prompt + completion) of the whole run; 0 = no limit. */
	maxTokens: number;
	stepTimeoutMs: number;
	runTimeoutMs: number;
}

export const DEFAULT_BUDGETS: Budgets = { maxAttempts: 3, maxSteps: 20, maxTokens: 0, stepTimeoutMs: 180_000, runTimeoutMs: 300_000 };

export interface OrchestratorInput {
	task: string;
	strategy: Strategy;
	/** The orchestrator's own model: planner, reviewer, router, synthesiser, judge. */
	leadModel: string;
	leadOptions?: NonNullable<ChatRequest['options']>;
	budgets: Budgets;
	/** Ask the reviewer model to judge results (supervisor); off = deterministic checks only. */
	review: boolean;
	/** Debate rounds (1 = answer once, then the judge). */
	debateRounds: number;
	/** Members the sequential, parallel and debate strategies use, in order; empty = all. */
	useMembers: string[];
	/** Most steps running at once; 0 = no limit (the gateway still bounds calls to the cluster's slots). */
	maxParallel: number;
	/** Times the planner may be asked again for a plan that does not validate. */
	planRetries: number;
	/** The lead's calls answer from / store in the gateway's response cache (members carry their own). */
	cache?: CachePolicy;
}

export type ProgressEvent =
	| { type: 'stepStart'; id: string; member: string; attempt: number }
	| { type: 'stepEnd'; id: string; member: string; attempt: number; status: StepStatus; durationMs: number }
	| { type: 'phase'; phase: 'plan' | 'review' | 'synthesise' | 'route' | 'judge'; attempt: number };

export interface OrchestratorResult {
	response: string;
	strategy: Strategy;
	status: RunStatus;
	/** Why the run is partial or failed, or what stopped it. */
	reason?: string;
	stoppedBy?: StopReason;
	attempts: number;
	plan?: PlanStep[];
	steps: StepTrace[];
	lead: LeadTrace[];
	totals: CallCost & { steps: number; latencyMs: number; leadCalls: number };
	warnings: string[];
}
