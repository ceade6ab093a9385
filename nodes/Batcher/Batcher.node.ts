import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { ollamaClusterApiTest } from '../shared/credential-tests';
import { gatewayForNode } from '../shared/gateway-for-node';
import { getModels } from '../shared/load-options';
import { BATCHER_VERSIONS, batcherCredentials, batcherProperties, batcherSubtitle } from './description';
import { embedItems } from './helpers/embed';
import { generateItems } from './helpers/generate';
import { groupItems } from './helpers/group-items';

export class Batcher implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Batcher',
		name: 'batcher',
		icon: { light: 'file:batcher.svg', dark: 'file:batcher.dark.svg' },
		group: ['transform'],
		version: BATCHER_VERSIONS,
		defaultVersion: BATCHER_VERSIONS[BATCHER_VERSIONS.length - 1],
		subtitle: batcherSubtitle,
		description: 'Batch many small model calls into few: embeddings coalesced, generations queued for free slots, items grouped',
		defaults: { name: 'Batcher' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: batcherCredentials,
		properties: batcherProperties,
	};

	methods = {
		loadOptions: { getModels },
		credentialTest: { ollamaClusterApiTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as string;
		if (operation === 'groupItems') return [groupItems(this)];
		const gateway = await gatewayForNode(this);
		return [operation === 'embed' ? await embedItems(this, gateway) : await generateItems(this, gateway)];
	}
}
