import type { PlanStep } from './types';

/** The JSON Schema the planner's reply must match (also sent to Ollama as `format`). */
export function planSchema(memberNames: string[], maxSteps: number): Record<string, unknown> {
	return {
		type: 'object',
		properties: {
			steps: {
				type: 'array',
				minItems: 1,
				maxItems: Math.max(1, maxSteps),
				items: {
					type: 'object',
					properties: {
						id: { type: 'string' },
						task: { type: 'string' },
						member: { type: 'string', enum: memberNames },
						dependsOn: { type: 'array', items: { type: 'string' } },
						expectedOutput: { type: 'string' },
					},
					required: ['id', 'task', 'member', 'dependsOn', 'expectedOutput'],
				},
			},
		},
		required: ['steps'],
	};
}

export type PlanCheck = { ok: true; steps: PlanStep[]; repairs: string[] } | { ok: false; problems: string[]; repairs: string[] };

/** The first JSON object in a model reply (bare, or in a ```json fence, or with prose around it). */
export function extractJson(text: string): unknown {
	const trimmed = text.trim();
	const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(trimmed)?.[1];
	for (const candidate of [trimmed, fenced, sliceObject(trimmed)]) {
		if (!candidate) continue;
		try {
			return JSON.parse(candidate);
		} catch {
			// try the next shape
		}
	}
	throw new SyntaxError('the reply is not JSON');
}

function sliceObject(text: string): string | undefined {
	const start = text.indexOf('{');
	const end = text.lastIndexOf('}');
	return start >= 0 && end > start ? text.slice(start, end + 1) : undefined;
}

const asText = (value: unknown) => (typeof value === 'string' ? value.trim() : value == null ? '' : JSON.stringify(value));

/**
 * Checks a plan and repairs what is unambiguous (a dependsOn given as a string, missing or
 * duplicate ids, member names in another case, self-dependencies, a bare array of steps).
 * Unknown members or steps, empty tasks and cycles are problems: the planner is asked again.
 */
export function checkPlan(raw: unknown, memberNames: string[], maxSteps: number): PlanCheck {
	const repairs: string[] = [];
	const problems: string[] = [];
	let list: unknown = raw;
	if (raw && typeof raw === 'object' && !Array.isArray(raw)) list = (raw as { steps?: unknown }).steps;
	else if (Array.isArray(raw)) repairs.push('the plan was a bare array of steps');
	if (!Array.isArray(list) || list.length === 0) return { ok: false, problems: ['the plan has no "steps" array with at least one step'], repairs };
	if (list.length > maxSteps) problems.push(`the plan has ${list.length} steps; at most ${maxSteps} are allowed`);

	const ids = new Set<string>();
	const steps: PlanStep[] = list.map((entry, index) => {
		const s = (entry && typeof entry === 'object' ? entry : { task: entry }) as Record<string, unknown>;
		let id = asText(s.id);
		if (!id || ids.has(id)) {
			const fresh = uniqueId(`s${index + 1}`, ids);
			repairs.push(id ? `step id "${id}" was used twice; the second is now "${fresh}"` : `step ${index + 1} had no id; it is now "${fresh}"`);
			id = fresh;
		}
		ids.add(id);
		const wanted = asText(s.member);
		const member = memberNames.find((m) => m.toLowerCase() === wanted.toLowerCase());
		if (!wanted) problems.push(`step "${id}" names no member`);
		else if (!member) problems.push(`step "${id}" names an unknown member "${wanted}" (members: ${memberNames.join(', ')})`);
		else if (member !== wanted) repairs.push(`step "${id}": member "${wanted}" read as "${member}"`);
		const task = asText(s.task);
		if (!task) problems.push(`step "${id}" has an empty task`);
		let deps: unknown = s.dependsOn ?? [];
		if (typeof deps === 'string') {
			deps = deps.split(',').map((d) => d.trim()).filter(Boolean);
			repairs.push(`step "${id}": dependsOn was a string`);
		}
		if (!Array.isArray(deps)) {
			problems.push(`step "${id}": dependsOn must be an array of step ids`);
			deps = [];
		}
		const dependsOn = [...new Set((deps as unknown[]).map(asText).filter(Boolean))];
		return { id, task, member: member ?? wanted, dependsOn, expectedOutput: asText(s.expectedOutput) };
	});

	for (const step of steps) {
		if (step.dependsOn.includes(step.id)) {
			step.dependsOn = step.dependsOn.filter((d) => d !== step.id);
			repairs.push(`step "${step.id}" depended on itself`);
		}
		for (const dep of step.dependsOn) if (!ids.has(dep)) problems.push(`step "${step.id}" depends on an unknown step "${dep}"`);
	}
	const cycle = findCycle(steps);
	if (cycle) problems.push(`the steps form a cycle: ${cycle.join(' → ')}`);
	return problems.length ? { ok: false, problems, repairs } : { ok: true, steps, repairs };
}

function uniqueId(base: string, taken: Set<string>): string {
	let id = base;
	for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
	return id;
}

/** A dependency cycle as a list of ids (first = last), or undefined. */
export function findCycle(steps: PlanStep[]): string[] | undefined {
	const byId = new Map(steps.map((s) => [s.id, s]));
	const state = new Map<string, 'visiting' | 'done'>();
	const path: string[] = [];
	const visit = (id: string): string[] | undefined => {
		if (state.get(id) === 'done' || !byId.has(id)) return undefined;
		if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
		state.set(id, 'visiting');
		path.push(id);
		for (const dep of byId.get(id)!.dependsOn) {
			const cycle = visit(dep);
			if (cycle) return cycle;
		}
		path.pop();
		state.set(id, 'done');
		return undefined;
	};
	for (const step of steps) {
		const cycle = visit(step.id);
		if (cycle) return cycle.reverse();
	}
	return undefined;
}

/** Steps no other step depends on: the plan's results. */
export function sinkSteps<T extends { id: string; dependsOn: string[] }>(steps: T[]): T[] {
	const needed = new Set(steps.flatMap((s) => s.dependsOn));
	return steps.filter((s) => !needed.has(s.id));
}
