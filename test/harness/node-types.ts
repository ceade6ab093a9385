import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { IDataObject, INodeProperties, INodeType, INodeTypes, IVersionedNodeType, ICredentialType } from 'n8n-workflow';

import { baseNodeStandIns } from './base-nodes';
import { toolNodeStandIns } from './tool-nodes';

const ROOT = join(__dirname, '..', '..');
const PACKAGE = 'n8n-nodes-agent-team';

/** `dist/nodes/Agent/Agent.node.js` → the TypeScript source, so tests need no build. */
function sourceOf(distPath: string): string {
	return join(ROOT, distPath.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
}

function loadExports<T>(distPaths: string[]): T[] {
	return distPaths.flatMap((p) =>
		Object.entries(require(sourceOf(p)) as Record<string, unknown>)
			// tsx adds a `default` namespace export; n8n itself instantiates the named classes.
			.filter(([name, value]) => name !== 'default' && typeof value === 'function')
			.map(([, C]) => new (C as new () => T)()),
	);
}

function packageN8nField(): { nodes: string[]; credentials: string[] } {
	return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).n8n;
}

/** Every node and credential type this package declares in package.json, as n8n would load them. */
export function loadPackageTypes(): { nodes: Record<string, INodeType>; credentials: Record<string, ICredentialType> } {
	const field = packageN8nField();
	const nodes: Record<string, INodeType> = {};
	for (const node of loadExports<INodeType>(field.nodes)) nodes[`${PACKAGE}.${node.description.name}`] = node;
	const credentials: Record<string, ICredentialType> = {};
	for (const credential of loadExports<ICredentialType>(field.credentials)) credentials[credential.name] = credential;
	return { nodes, credentials };
}

export class HarnessNodeTypes implements INodeTypes {
	constructor(private readonly types: Record<string, INodeType>) {}

	getByName(nodeType: string): INodeType | IVersionedNodeType {
		const type = this.types[nodeType];
		if (!type) throw new Error(`Unknown node type "${nodeType}" in the test harness`);
		return type;
	}

	getByNameAndVersion(nodeType: string): INodeType {
		return this.getByName(nodeType) as INodeType;
	}

	getKnownTypes(): IDataObject {
		return Object.fromEntries(Object.keys(this.types).map((name) => [name, {}]));
	}
}

/**
 * The "<node>Tool" variant n8n's loader derives from every `usableAsTool` node (convertNodeToAiTool):
 * no inputs, one ai_tool output, the same execute. n8n-core then wraps it with createNodeAsTool.
 */
function toolVariants(nodes: Record<string, INodeType>): Record<string, INodeType> {
	const variants: Record<string, INodeType> = {};
	for (const [type, node] of Object.entries(nodes)) {
		if (!node.description.usableAsTool) continue;
		const toolProperties: INodeProperties[] = [
			{ displayName: 'Tool Description', name: 'descriptionType', type: 'options', options: [{ name: 'Set Automatically', value: 'auto' }, { name: 'Set Manually', value: 'manual' }], default: 'auto' },
			{ displayName: 'Description', name: 'toolDescription', type: 'string', default: node.description.description, displayOptions: { show: { descriptionType: ['manual'] } } },
		];
		const description = {
			...node.description,
			name: `${node.description.name}Tool`,
			displayName: `${node.description.displayName} Tool`,
			inputs: [],
			outputs: ['ai_tool'],
			properties: [...toolProperties, ...node.description.properties],
		};
		delete description.usableAsTool;
		variants[`${type}Tool`] = Object.assign(Object.create(Object.getPrototypeOf(node) as object) as INodeType, node, { description });
	}
	return variants;
}

export function harnessNodeTypes(): HarnessNodeTypes {
	const packageNodes = loadPackageTypes().nodes;
	return new HarnessNodeTypes({ ...baseNodeStandIns, ...toolNodeStandIns, ...packageNodes, ...toolVariants(packageNodes) });
}
