import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { groupByCount, groupByPredictedLength, groupByTokenBudget, type ItemGroup } from '../../../lib/batching';
import { countTextTokens } from '../../../lib/tokens';
import { fieldError } from '../../shared/node-error';

type GroupBy = 'count' | 'tokens' | 'predictedLength';

/**
 * Group Items: one output item per batch, holding its members' JSON in `items`, paired with
 * every member. Needs no server.
 */
export function groupItems(ctx: IExecuteFunctions): INodeExecutionData[] {
	const items = ctx.getInputData();
	const groupBy = ctx.getNodeParameter('groupBy', 0, 'count') as GroupBy;
	const fail = (field: string, message: string, itemIndex = 0) => fieldError(ctx.getNode(), itemIndex, field, message);
	const batchSize = ctx.getNodeParameter('batchSize', 0, 10) as number;
	if (!Number.isInteger(batchSize) || batchSize < 1) throw fail('Batch Size', `must be a positive whole number, got ${batchSize}`);

	// Items whose value cannot be read become error items under continueOnFail; the rest are grouped.
	const errors: INodeExecutionData[] = [];
	const kept: number[] = [];
	const values: number[] = [];
	const read = (itemIndex: number, get: () => number) => {
		try {
			values.push(get());
			kept.push(itemIndex);
		} catch (error) {
			const nodeError = error instanceof NodeOperationError ? error : new NodeOperationError(ctx.getNode(), error as Error, { itemIndex });
			if (!ctx.continueOnFail()) throw nodeError;
			errors.push({ json: { error: nodeError.message }, pairedItem: { item: itemIndex } });
		}
	};

	let groups: ItemGroup[];
	if (groupBy === 'count') {
		items.forEach((_item, i) => read(i, () => 0));
		groups = groupByCount(kept.length, batchSize);
	} else if (groupBy === 'tokens') {
		const budget = ctx.getNodeParameter('tokenBudget', 0, 2000) as number;
		if (!Number.isInteger(budget) || budget < 1) throw fail('Tokens per Batch', `must be a positive whole number, got ${budget}`);
		items.forEach((_item, i) =>
			read(i, () => {
				const text = ctx.getNodeParameter('groupText', i, '');
				if (typeof text !== 'string') throw fail('Text to Count', `must be a text, got ${text === null ? 'null' : typeof text}`, i);
				return countTextTokens(text);
			}),
		);
		groups = groupByTokenBudget(values, budget, batchSize);
	} else if (groupBy === 'predictedLength') {
		const edgesText = String(ctx.getNodeParameter('binEdges', 0, '64, 256, 1024'));
		const edges = edgesText.split(',').map((s) => Number(s.trim()));
		if (edges.some((e) => !Number.isFinite(e) || e <= 0)) throw fail('Length Bins', `must be positive numbers separated by commas, got "${edgesText}"`);
		items.forEach((_item, i) =>
			read(i, () => {
				const predicted = Number(ctx.getNodeParameter('predictedTokens', i, 256));
				if (!Number.isFinite(predicted) || predicted < 0) throw fail('Predicted Output Tokens', 'must be a number of tokens', i);
				return predicted;
			}),
		);
		groups = groupByPredictedLength(values, edges, batchSize);
	} else {
		throw fail('Group By', `has an unknown value "${String(groupBy)}"`);
	}

	const batches = groups.map((group, batch): INodeExecutionData => {
		const members = group.members.map((k) => kept[k]);
		const json: IDataObject = { batch, size: members.length, items: members.map((i) => items[i].json) };
		if (groupBy === 'tokens') json.tokens = group.tokens;
		if (group.bin) json.bin = group.bin;
		return { json, pairedItem: members.map((item) => ({ item })) };
	});
	return [...batches, ...errors];
}
