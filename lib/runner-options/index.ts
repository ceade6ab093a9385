import { normalizeModel } from '../ollama/model-tag';
import type { Stage } from '../pipeline';

/** Options that decide how Ollama loads a model: a change makes it reload the model. */
const RUNNER_KEYS = ['num_ctx', 'num_batch', 'num_gpu', 'main_gpu', 'num_thread', 'use_mmap'] as const;
type RunnerKey = (typeof RUNNER_KEYS)[number];
type RunnerOptions = Partial<Record<RunnerKey, unknown>>;


/**
 * Keeps runner options stable per model and backend. Ollama reloads a model (seconds to
 * minutes) whenever a request's runner options differ from the loaded copy's, so a workflow
 * that alternates num_ctx thrashes the GPU. This stage remembers what each backend's copy was
 * loaded with and:
 * - fills in the loaded values when a request sets none (no reload to the server default);
 * - serves a smaller num_ctx with the loaded larger one (more context never hurts the answer);
 * - lets a real change through, but records a warning that the call forces a reload.
 * It runs after the balancer, because the loaded copy is per backend.
 */
export function createRunnerOptionsStage(): Stage {
	const loaded = new Map<string, RunnerOptions>();
	return {
		name: 'runner-options',
		handle(call, next) {
			const backend = call.target?.name ?? '?';
			const model = normalizeModel(call.request.model);
			const key = `${backend}\u0000${model}`;
			const requested = call.request.options as Record<string, unknown> | undefined;
			const pinned = loaded.get(key);
			if (!pinned) {
				loaded.set(key, Object.fromEntries(RUNNER_KEYS.filter((k) => requested?.[k] !== undefined).map((k) => [k, requested?.[k]])));
				return next(call);
			}
			// Copied only when something is filled in: most calls change nothing (hot path).
			let changed: Record<string, unknown> | undefined;
			for (const k of RUNNER_KEYS) {
				const want = requested?.[k];
				const have = pinned[k];
				if (want === undefined) {
					if (have !== undefined) (changed ??= { ...requested })[k] = have;
				} else if (k === 'num_ctx' && typeof have === 'number' && typeof want === 'number' && want < have) {
					(changed ??= { ...requested })[k] = have;
				} else if (want !== have) {
					call.trace.warnings.push(
						`${k} ${have === undefined ? '(server default)' : String(have)} → ${String(want)} makes backend "${backend}" reload model "${call.request.model}"; keep ${k} the same for this model to avoid reloads`,
					);
					pinned[k] = want;
				}
			}
			if (changed) call.request = { ...call.request, options: changed } as typeof call.request;
			return next(call);
		},
	};
}
