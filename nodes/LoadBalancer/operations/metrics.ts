import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { Gateway } from '../../../lib/gateway';
import { collectGatewayMetrics, PROMETHEUS_CONTENT_TYPE, toPrometheusText } from '../../../lib/metrics';
import { sharedRedisFor } from '../../shared/redis-for-node';

export const metricsProperties: INodeProperties[] = [
	{
		displayName: 'Format',
		name: 'metricsFormat',
		type: 'options',
		options: [
			{ name: 'Prometheus Text', value: 'prometheus', description: 'One item: { contentType, metrics } for a Respond to Webhook node that Prometheus scrapes' },
			{ name: 'JSON', value: 'json', description: 'One item with the same figures as structured JSON' },
		],
		default: 'prometheus',
		displayOptions: { show: { operation: ['metrics'] } },
	},
];

/**
 * One item for the whole input: the figures belong to the gateway, not to an item. With the
 * node's Redis credential, call counts are every worker's (cluster-wide).
 */
export async function executeMetrics(ctx: IExecuteFunctions, gateway: Gateway): Promise<INodeExecutionData[]> {
	const redis = await sharedRedisFor(ctx);
	const metrics = await collectGatewayMetrics(gateway, redis);
	const pairedItem = ctx.getInputData().map((_item, item) => ({ item }));
	const format = ctx.getNodeParameter('metricsFormat', 0, 'prometheus') as string;
	const json: IDataObject =
		format === 'json' ? (metrics as unknown as IDataObject) : { contentType: PROMETHEUS_CONTENT_TYPE, scope: metrics.scope, metrics: toPrometheusText(metrics) };
	return [{ json, pairedItem }];
}
