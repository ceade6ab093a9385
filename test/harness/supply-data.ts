/**
 * Runs a sub-node's `supplyData` the way n8n does for a root node that asks for its connection
 * (getInputConnectionData), with a minimal ISupplyDataFunctions: credentials and parameters from
 * the test, and the run data and AI events the sub-node (and n8n's tracing inside it) records.
 */
import type { INode, INodeType, ISupplyDataFunctions, NodeConnectionType } from 'n8n-workflow';

export interface SubNodeRecord {
	inputs: Array<{ type: NodeConnectionType; data: unknown }>;
	outputs: Array<{ type: NodeConnectionType; index: number; data: unknown }>;
	events: string[];
}

export interface SupplyOptions {
	credentials: Record<string, Record<string, unknown>>;
	parameters: Record<string, unknown>;
	cancelSignal?: AbortSignal;
	nodeName?: string;
}

function valueAt(root: Record<string, unknown>, path: string): unknown {
	let value: unknown = root;
	for (const key of path.split('.')) {
		if (value === null || typeof value !== 'object') return undefined;
		value = (value as Record<string, unknown>)[key];
	}
	return value;
}

export async function supplyFrom<T>(nodeType: INodeType, options: SupplyOptions): Promise<{ response: T; record: SubNodeRecord; node: INode }> {
	const record: SubNodeRecord = { inputs: [], outputs: [], events: [] };
	const node: INode = {
		id: 'sub-node',
		name: options.nodeName ?? nodeType.description.defaults.name ?? nodeType.description.displayName,
		type: `n8n-nodes-agent-team.${nodeType.description.name}`,
		typeVersion: 1,
		position: [0, 0],
		parameters: options.parameters as INode['parameters'],
		credentials: Object.fromEntries(Object.keys(options.credentials).map((type) => [type, { id: type, name: type }])),
	};
	const noop = () => undefined;
	const context = {
		getCredentials: async (type: string) => {
			const data = options.credentials[type];
			if (!data) throw new Error(`no ${type} credential`);
			return { ...data };
		},
		getNode: () => node,
		getWorkflow: () => ({ id: 'wf-supply', name: 'supply test', active: false }),
		getNodeParameter: (name: string, _item: number, fallback?: unknown) => {
			const value = valueAt(options.parameters, name);
			return value === undefined ? fallback : value;
		},
		getExecutionCancelSignal: () => options.cancelSignal,
		getExecutionId: () => 'exec-supply',
		getMode: () => 'manual',
		getNextRunIndex: () => 0,
		getInputData: () => [{ json: {} }],
		logger: { debug: noop, info: noop, warn: noop, error: noop },
		logAiEvent: (event: string) => record.events.push(event),
		addInputData: (type: NodeConnectionType, data: unknown) => {
			record.inputs.push({ type, data });
			return { index: record.inputs.length - 1 };
		},
		addOutputData: (type: NodeConnectionType, index: number, data: unknown) => {
			record.outputs.push({ type, index, data });
		},
		helpers: {},
	} as unknown as ISupplyDataFunctions;
	if (!nodeType.supplyData) throw new Error(`${nodeType.description.name} has no supplyData`);
	const { response } = await nodeType.supplyData.call(context, 0);
	return { response: response as T, record, node };
}
