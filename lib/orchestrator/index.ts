/**
 * Agent teams: a team of members (models or connected tools) runs one task with a strategy —
 * sequential, parallel, router, supervisor (plan → execute → review → replan) or debate —
 * under budgets, a loop guard and the execution's cancel signal.
 */
export { runOrchestrator, type OrchestratorDeps } from './run';
export { TeamError } from './team';
export { checkPlan, findCycle, planSchema, extractJson } from './plan';
export { executeGraph, type GraphOptions } from './graph';
export { LoopGuard } from './loop-guard';
export { RunControl, describeStop } from './control';
export { costOfCalls, type ChatGateway } from './lead';
export { createModelMember, type ModelMemberConfig } from './members/model-member';
export { createToolMember } from './members/tool-member';
export {
	DEFAULT_BUDGETS,
	STRATEGIES,
	type Budgets,
	type CallCost,
	type CallHooks,
	type MemberRunContext,
	type LeadTrace,
	type Member,
	type MemberOutput,
	type OrchestratorInput,
	type OrchestratorResult,
	type PlanStep,
	type ProgressEvent,
	type RunStatus,
	type StepStatus,
	type StepTrace,
	type StopReason,
	type Strategy,
	type Verdict,
} from './types';
