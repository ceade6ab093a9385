import type { IDataObject } from 'n8n-workflow';

import type { GatewayChatResult } from '../../../lib/gateway';

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * The item a call produces: everything an operator needs in the execution log.
 * queueMs adds the wait inside the gateway to the wait inside Ollama (its total minus the
 * phases it reports), so it is the whole time the request spent not being computed.
 */
export function toOutputJson(result: GatewayChatResult, options: { parseJson?: boolean } = {}): IDataObject {
	const serverQueueMs = Math.max(0, result.totalMs - result.loadMs - result.promptEvalMs - result.evalMs);
	const json: IDataObject = {
		response: result.message.content,
		model: result.model,
		backend: result.backend,
		doneReason: result.doneReason,
		usage: {
			promptTokens: result.promptEvalCount,
			completionTokens: result.evalCount,
			totalTokens: result.promptEvalCount + result.evalCount,
		},
		timings: {
			totalMs: round(result.latencyMs),
			queueMs: round(result.queueMs + serverQueueMs),
			loadMs: round(result.loadMs),
			promptEvalMs: round(result.promptEvalMs),
			evalMs: round(result.evalMs),
		},
		cacheHit: result.cacheHit,
	};
	if (options.parseJson) {
		try {
			json.data = JSON.parse(result.message.content) as IDataObject;
		} catch {
			json.data = null;
			json.parseError = 'The model did not return valid JSON';
		}
	}
	return json;
}
