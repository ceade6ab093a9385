import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { IDataObject, INodeType, INodeTypes, IVersionedNodeType, ICredentialType } from 'n8n-workflow';

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

export function harnessNodeTypes(): HarnessNodeTypes {
	return new HarnessNodeTypes({ ...baseNodeStandIns, ...toolNodeStandIns, ...loadPackageTypes().nodes });
}
