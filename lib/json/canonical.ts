/**
 * JSON with object keys sorted, so `{a, b}` and `{b, a}` give the same text; `undefined` fields are
 * dropped as JSON does. One definition for every place that turns a value into an identity: cache
 * keys, the gateway registry's cluster key, compiled-schema reuse and the tool loop's repeat guard.
 */
export function canonicalJson(value: unknown): string {
	return JSON.stringify(value, (_key, v: unknown) => {
		if (v && typeof v === 'object' && !Array.isArray(v)) {
			const sorted: Record<string, unknown> = {};
			for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
			return sorted;
		}
		return v;
	});
}
