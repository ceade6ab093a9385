import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import type { BatcherOptions } from '../../../lib/batching';
import { fieldError } from '../../shared/node-error';
import type { GatewayCallOptions } from '../../../lib/gateway';
import { parseKeepAlive } from '../../../lib/ollama/keep-alive';

interface RawOptions {
	maxBatchDelayMs?: number;
	batchSizeTarget?: number;
	batchSizeLimit?: number;
	priority?: number;
	queueTimeout?: number;
	keepAlive?: string;
	dimensions?: number;
	truncate?: boolean;
	numPredict?: number;
	temperature?: number;
}

export interface BatchingSettings {
	batcher: BatcherOptions;
	/** Per call: priority and queue timeout in the gateway queue. */
	call: Pick<GatewayCallOptions, 'priority' | 'queueTimeoutMs'>;
	keepAlive?: string | number;
	raw: RawOptions;
}

/** The node's options; batch knobs are one per node run (item 0), errors name the field. */
export function readBatchingSettings(ctx: IExecuteFunctions, itemIndex = 0): BatchingSettings {
	const raw = ctx.getNodeParameter('options', itemIndex, {}) as RawOptions;
	const fail = (field: string, message: string) => new NodeOperationError(ctx.getNode(), `The "${field}" option ${message}`, { itemIndex });
	const whole = (value: number | undefined, field: string, min: number) => {
		if (value === undefined) return undefined;
		if (!Number.isInteger(value) || value < min) throw fail(field, `must be a whole number of at least ${min}, got ${value}`);
		return value;
	};
	const delay = raw.maxBatchDelayMs;
	if (delay !== undefined && !(Number.isFinite(delay) && delay >= 0)) throw fail('Max Batch Delay (Ms)', `must be 0 or more, got ${delay}`);
	const limit = whole(raw.batchSizeLimit, 'Batch Size Limit', 1);
	const target = whole(raw.batchSizeTarget, 'Batch Size Target', 1);
	if (limit !== undefined && target !== undefined && target > limit) throw fail('Batch Size Target', `(${target}) cannot be above the Batch Size Limit (${limit})`);
	const queueTimeout = raw.queueTimeout;
	if (queueTimeout !== undefined && !(Number.isFinite(queueTimeout) && queueTimeout >= 0)) throw fail('Queue Wait Timeout (Seconds)', `must be 0 or more, got ${queueTimeout}`);
	return {
		batcher: { maxDelayMs: delay, targetSize: target, limit },
		call: { priority: raw.priority ?? 0, queueTimeoutMs: queueTimeout ? queueTimeout * 1000 : undefined },
		keepAlive: parseKeepAlive(raw.keepAlive),
		raw,
	};
}

/** A string parameter that must not be empty; the error names the item and the field. */
export function requiredText(ctx: IExecuteFunctions, name: string, field: string, itemIndex: number): string {
	const value = ctx.getNodeParameter(name, itemIndex, '');
	const text = typeof value === 'string' ? value : value == null ? '' : JSON.stringify(value);
	if (!text.trim()) throw fieldError(ctx.getNode(), itemIndex, field, 'is empty');
	return text;
}
