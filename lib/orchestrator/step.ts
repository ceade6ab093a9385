import { emptyTokens, type RunControl } from './control';
import { LoopGuard } from './loop-guard';
import { findMember } from './team';
import type { CallCost, CallHooks, Member, MemberOutput, ProgressEvent, StepStatus, StepTrace } from './types';

export interface StepSpec {
	id: string;
	member: Member;
	task: string;
	/** Everything the member receives (task, goal, inputs): the loop guard's "arguments". */
	prompt: string;
	dependsOn: string[];
	attempt: number;
}

export interface StepContext {
	team: Map<string, Member>;
	control: RunControl;
	guard: LoopGuard;
	hooks: CallHooks;
	onProgress?: (event: ProgressEvent) => void;
}

/** A trace for a step that did not run. */
export function notRunTrace(control: RunControl, spec: Omit<StepSpec, 'member' | 'prompt'> & { member: string }, status: StepStatus, why: string): StepTrace {
	const at = control.elapsedMs();
	return {
		id: spec.id,
		member: spec.member,
		task: spec.task,
		status,
		output: '',
		error: why,
		attempt: spec.attempt,
		dependsOn: spec.dependsOn,
		tokens: emptyTokens(),
		backendCalls: 0,
		cacheHit: false,
		timings: { startMs: at, endMs: at, durationMs: 0, queueMs: 0 },
	};
}


/**
 * Runs one step on its member: loop guard → step budget → member (with the step timeout) → on a
 * failed or empty result, once more on the member's fallback. Never throws: the trace says what
 * happened.
 */
export async function runStep(ctx: StepContext, spec: StepSpec): Promise<StepTrace> {
	const { control } = ctx;
	let trace = await runOnce(ctx, spec, spec.member);
	const fallback = findMember(ctx.team, spec.member.fallback);
	if ((trace.status === 'failed' || trace.status === 'empty') && fallback && !control.stopped) {
		const first = trace;
		trace = await runOnce(ctx, spec, fallback);
		trace.fallbackFrom = spec.member.name;
		if (trace.status !== 'ok') trace.error = `${spec.member.name}: ${first.error ?? first.status}; fallback ${fallback.name}: ${trace.error ?? trace.status}`;
		trace.timings.startMs = first.timings.startMs;
		trace.timings.durationMs = trace.timings.endMs - trace.timings.startMs;
		trace.backendCalls += first.backendCalls;
		for (const key of ['promptTokens', 'completionTokens', 'totalTokens'] as const) trace.tokens[key] += first.tokens[key];
	}
	return trace;
}

async function runOnce(ctx: StepContext, spec: StepSpec, member: Member): Promise<StepTrace> {
	const { control, guard } = ctx;
	const base = { ...spec, member: member.name };
	if (control.stopped) return notRunTrace(control, base, control.signal.aborted ? 'cancelled' : 'skipped', control.stoppedBy!);
	const earlier = guard.check(LoopGuard.key(member.name, spec.task, spec.prompt), `${spec.id} (attempt ${spec.attempt})`);
	if (earlier) {
		return notRunTrace(control, base, 'loop', `loop guard: ${member.name} already ran this task with the same inputs as step ${earlier}; not run again`);
	}
	if (!control.takeStep()) return notRunTrace(control, base, 'skipped', control.stoppedBy!);

	ctx.onProgress?.({ type: 'stepStart', id: spec.id, member: member.name, attempt: spec.attempt });
	const startMs = control.elapsedMs();
	const step = control.stepSignal();
	let status: StepStatus = 'ok';
	let result: MemberOutput | undefined;
	let error: string | undefined;
	try {
		result = await member.run(spec.prompt, step.signal, { toolCalls: guard.toolCalls(member.name), ...ctx.hooks });
		if (!result.output.trim()) {
			status = 'empty';
			error = `${member.name} returned an empty output`;
		}
	} catch (caught) {
		status = control.signal.aborted && control.stoppedBy === 'cancelled' ? 'cancelled' : 'failed';
		// A step timeout reads differently from whatever error the aborted call raised.
		error = step.timedOut() ? String((step.signal.reason as Error).message) : ((caught as Error)?.message ?? String(caught));
	} finally {
		step.done();
	}
	const cost: CallCost = result ?? { tokens: emptyTokens(), backendCalls: 0, cacheHits: 0, queueMs: 0 };
	control.charge(cost);
	const endMs = control.elapsedMs();
	ctx.onProgress?.({ type: 'stepEnd', id: spec.id, member: member.name, attempt: spec.attempt, status, durationMs: endMs - startMs });
	return {
		id: spec.id,
		member: member.name,
		task: spec.task,
		status,
		output: result?.output ?? '',
		...(error ? { error } : {}),
		attempt: spec.attempt,
		dependsOn: spec.dependsOn,
		tokens: { ...cost.tokens },
		backendCalls: cost.backendCalls,
		...(result?.toolRepeats ? { toolRepeats: result.toolRepeats } : {}),
		cacheHit: cost.cacheHits > 0,
		backend: cost.backend,
		timings: { startMs, endMs, durationMs: endMs - startMs, queueMs: cost.queueMs },
	};
}
