/**
 * The goals a benchmark states, checked where it measures them. `npm run bench -- <name>` prints
 * every check at the end, writes them into bench/results/<name>.json and exits 1 when one is
 * missed, so a regression shows as a failed command, not only as a number in a log.
 */
export type Comparison = '>=' | '<=' | '<' | '>' | '==';

export interface GoalCheck {
	/** What was measured, in the bench's words. */
	name: string;
	value: number;
	comparison: Comparison;
	target: number;
	unit: string;
	met: boolean;
}

const checks: GoalCheck[] = [];

const holds: Record<Comparison, (value: number, target: number) => boolean> = {
	'>=': (v, t) => v >= t,
	'<=': (v, t) => v <= t,
	'<': (v, t) => v < t,
	'>': (v, t) => v > t,
	'==': (v, t) => v === t,
};

/** Records one goal; returns whether it was met (a NaN value, nothing measured, is a miss). */
export function goal(name: string, value: number, comparison: Comparison, target: number, unit = ''): boolean {
	const met = Number.isFinite(value) && holds[comparison](value, target);
	checks.push({ name, value, comparison, target, unit, met });
	return met;
}

/** Every goal recorded so far in this process, in order. */
export function goalChecks(): readonly GoalCheck[] {
	return checks;
}

export function formatGoal(check: GoalCheck): string {
	const value = Number.isInteger(check.value) ? String(check.value) : check.value.toPrecision(4);
	return `${check.met ? 'met   ' : 'MISSED'} ${check.name}: ${value}${check.unit} (goal ${check.comparison} ${check.target}${check.unit})`;
}
