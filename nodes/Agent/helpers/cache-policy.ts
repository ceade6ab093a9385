
import type { LayerChoice } from '../../../lib/cache';
import type { CachePolicy } from '../../../lib/pipeline';
import type { ParameterReader } from '../../shared/constant-parameters';
import { fieldError } from '../../shared/node-error';

interface CacheSettings {
	mode?: 'off' | 'exact' | 'semantic';
	ttl?: number;
	namespace?: string;
	threshold?: number;
	embedModel?: string;
	shadow?: boolean;
	nonDeterministic?: boolean;
	toolCalls?: boolean;
	skip?: boolean;
}

/** The item's cache policy from Options → Cache (undefined: off, or skipped for this item). */
export function readCachePolicy(ctx: ParameterReader, itemIndex: number, layers: LayerChoice): CachePolicy | undefined {
	const settings = (ctx.getNodeParameter('options.cache.settings', itemIndex, {}) ?? {}) as CacheSettings;
	const mode = settings.mode ?? 'off';
	if (mode === 'off' || settings.skip) return undefined;
	const fail = (field: string, message: string) => fieldError(ctx.getNode(), itemIndex, field, message);
	const namespace = String(settings.namespace ?? '').trim() || String(ctx.getWorkflow().id ?? 'workflow');
	if (settings.threshold !== undefined && !(settings.threshold > 0 && settings.threshold <= 1)) throw fail('Similarity Threshold', `must be above 0 and at most 1, got ${settings.threshold}`);
	return {
		mode,
		namespace,
		ttlSeconds: settings.ttl,
		threshold: settings.threshold,
		embedModel: settings.embedModel?.trim() || undefined,
		shadow: settings.shadow === true,
		nonDeterministic: settings.nonDeterministic === true,
		toolCalls: settings.toolCalls === true,
		...layers,
	};
}
