import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

/** What the parameter readers of a node need from n8n's execute context. */
export type ParameterReader = Pick<IExecuteFunctions, 'getNode' | 'getWorkflow'> & {
	getNodeParameter(name: string, itemIndex: number, fallback?: unknown): unknown;
};

/** Whether a stored parameter value holds an n8n expression anywhere (a string starting with "="). */
export function holdsExpression(value: unknown): boolean {
	if (typeof value === 'string') return value.startsWith('=');
	if (Array.isArray(value)) return value.some(holdsExpression);
	if (value !== null && typeof value === 'object') return Object.values(value).some(holdsExpression);
	return false;
}

function valueAt(root: unknown, path: string[]): unknown {
	let value = root;
	for (const key of path) {
		if (value === null || typeof value !== 'object') return undefined;
		value = (value as Record<string, unknown>)[key];
	}
	return value;
}

/**
 * The node's parameters, read for many items: a parameter whose value holds no expression is the
 * same for every item, so n8n resolves it once per execution (each getNodeParameter call copies,
 * resolves and checks the value: most of a 2,000-item run's parameter time went to the
 * parameters that never change). Parameters with an expression, and those left at a default that
 * is one (the Prompt's), are read for each item as before.
 */
export function constantParameterReader(ctx: IExecuteFunctions, properties: readonly INodeProperties[]): ParameterReader {
	const stored = ctx.getNode().parameters;
	const constant = new Map<string, unknown>();
	const isConstant = (name: string): boolean => {
		const path = name.split('.');
		const value = valueAt(stored, path);
		if (value !== undefined) return !holdsExpression(value);
		// not stored: n8n fills in the default (of the top-level parameter, or inside a stored collection)
		const top = valueAt(stored, path.slice(0, 1));
		if (top !== undefined) return !holdsExpression(top);
		const defaults = properties.filter((p) => p.name === path[0]).map((p) => p.default);
		return defaults.length > 0 && !defaults.some(holdsExpression);
	};
	/** Names known to hold an expression: read per item without looking at the stored value again. */
	const perItem = new Set<string>();
	return {
		getNode: () => ctx.getNode(),
		getWorkflow: () => ctx.getWorkflow(),
		getNodeParameter(name, itemIndex, fallback) {
			if (constant.has(name)) return constant.get(name);
			const value = ctx.getNodeParameter(name, itemIndex, fallback);
			if (perItem.has(name)) return value;
			if (isConstant(name)) constant.set(name, value);
			else perItem.add(name);
			return value;
		},
	};
}
