import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import { getGateway } from '../../lib/registry';
import { clusterConfigFromCredential } from '../../lib/gateway';

/** Models available on the cluster, for the Model dropdown (union over all backends). */
export async function getModels(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const credential = await this.getCredentials('ollamaClusterApi');
	const gateway = getGateway(clusterConfigFromCredential(credential));
	const perBackend = await gateway.listModels();
	const names = [...new Set(perBackend.flatMap((b) => b.models))].sort();
	return names.map((name) => ({ name, value: name }));
}
