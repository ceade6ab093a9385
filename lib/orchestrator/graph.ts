import type { RunControl } from './control';
import type { PlanStep, StepTrace } from './types';

export interface GraphOptions {
	/** Results kept from earlier attempts: these steps do not run again. */
	done: Map<string, StepTrace>;
	/** Runs one step whose dependencies all passed, with their traces. */
	runStep(step: PlanStep, dependencies: StepTrace[]): Promise<StepTrace>;
	/** A trace for a step that will not run (dependency failed, run stopped). */
	notRun(step: PlanStep, status: 'skipped' | 'cancelled', why: string): StepTrace;
	control: RunControl;
	/** Most steps running at once; 0 = no limit. */
	maxParallel: number;
	/** Called after each step ends; return true to stop starting new steps (e.g. too many failures). */
	shouldStop?(traces: Map<string, StepTrace>): boolean;
}

const passed = (trace: StepTrace | undefined) => trace?.status === 'ok';

/**
 * Runs a validated, acyclic plan as a dependency graph: every step whose dependencies have passed
 * starts at once (up to maxParallel), each receiving its dependencies' traces. A step whose
 * dependency did not pass is skipped; when the run stops (budget, deadline, cancellation) the
 * steps not yet started are skipped or cancelled. Resolves with a trace for every step.
 */
export async function executeGraph(steps: PlanStep[], options: GraphOptions): Promise<Map<string, StepTrace>> {
	const { control, done } = options;
	const traces = new Map<string, StepTrace>();
	for (const step of steps) if (done.has(step.id)) traces.set(step.id, done.get(step.id)!);
	const limit = options.maxParallel > 0 ? options.maxParallel : Infinity;
	let running = 0;

	return await new Promise((resolve) => {
		const settle = () => {
			if (running > 0) return;
			for (const step of steps) {
				if (traces.has(step.id)) continue;
				const failedDep = step.dependsOn.find((d) => traces.has(d) && !passed(traces.get(d)));
				const status = control.signal.aborted ? 'cancelled' : 'skipped';
				traces.set(step.id, options.notRun(step, status, failedDep ? `dependency "${failedDep}" did not pass` : (control.stoppedBy ?? 'not started')));
			}
			resolve(traces);
		};
		const pump = () => {
			let progressed = true;
			while (progressed) {
				progressed = false;
				for (const step of steps) {
					if (traces.has(step.id) || starting.has(step.id)) continue;
					const deps = step.dependsOn.map((d) => traces.get(d));
					if (deps.some((d) => d !== undefined && !passed(d))) {
						const failedDep = step.dependsOn.find((d) => traces.has(d) && !passed(traces.get(d)))!;
						traces.set(step.id, options.notRun(step, control.signal.aborted ? 'cancelled' : 'skipped', `dependency "${failedDep}" did not pass`));
						progressed = true;
						continue;
					}
					if (control.stopped || running >= limit || !deps.every(passed)) continue;
					starting.add(step.id);
					running++;
					void options
						.runStep(step, deps as StepTrace[])
						.catch((error: unknown) => options.notRun(step, 'skipped', (error as Error).message))
						.then((trace) => {
							running--;
							starting.delete(step.id);
							traces.set(step.id, trace);
							if (options.shouldStop?.(traces)) control.stop('failures');
							pump();
						});
				}
			}
			if (running === 0) settle();
		};
		const starting = new Set<string>();
		pump();
	});
}
