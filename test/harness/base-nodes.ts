import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

/**
 * In-process stand-ins for the n8n-nodes-base start nodes our example workflows use
 * (Manual Trigger, Webhook, Schedule Trigger, No Op). The engine hands the run's input items to the start node;
 * these pass them on, which is what the real triggers' output looks like to the next node.
 * The real nodes run these same workflow files in `npm run test:e2e`.
 */
function passThroughNode(name: string, displayName: string, inputs: INodeTypeDescription['inputs']): INodeType {
	return {
		description: {
			displayName,
			name,
			group: ['trigger'],
			version: [1, 1.1, 2, 2.1],
			description: `${displayName} (test harness stand-in)`,
			defaults: { name: displayName },
			inputs,
			outputs: ['main'],
			properties: [],
		},
		async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
			return [this.getInputData().map((item, index) => ({ json: item.json, pairedItem: { item: index } }))];
		},
	} as INodeType;
}

/** A sticky note: a comment on the canvas; n8n never runs it. */
const stickyNote = {
	description: { displayName: 'Sticky Note', name: 'stickyNote', group: ['input'], version: [1, 2], description: 'A note on the canvas (test harness stand-in)', defaults: { name: 'Sticky Note' }, inputs: [], outputs: [], properties: [] },
} as unknown as INodeType;

export const baseNodeStandIns: Record<string, INodeType> = {
	'n8n-nodes-base.stickyNote': stickyNote,
	'n8n-nodes-base.manualTrigger': passThroughNode('manualTrigger', 'Manual Trigger', []),
	'n8n-nodes-base.webhook': passThroughNode('webhook', 'Webhook', []),
	'n8n-nodes-base.scheduleTrigger': passThroughNode('scheduleTrigger', 'Schedule Trigger', []),
	'n8n-nodes-base.noOp': passThroughNode('noOp', 'No Operation', ['main']),
	// outside a webhook run the real node passes its input on as well; test:e2e runs the real one
	'n8n-nodes-base.respondToWebhook': passThroughNode('respondToWebhook', 'Respond to Webhook', ['main']),
};
