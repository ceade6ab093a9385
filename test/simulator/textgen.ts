/**
 * Deterministic "model output": plausible English-ish text, JSON for `format: "json"`, values that
 * satisfy a JSON schema for structured outputs, and tool-call arguments from a tool's parameters.
 * Everything is a pure function of the PRNG it is given.
 */
import { countSimTokens, simTokenize } from './tokenizer';
import { Rng, intBetween, pick } from './rng';

const DET = ['the', 'a', 'this', 'each', 'every', 'our', 'that', 'the', 'the', 'a'];
const ADJ = [
	'important', 'simple', 'clear', 'useful', 'careful', 'recent', 'different', 'specific', 'general',
	'stable', 'quick', 'reliable', 'typical', 'available', 'relevant', 'distributed', 'deterministic',
	'efficient', 'small', 'large', 'shared', 'remote', 'local', 'final', 'initial', 'complex',
];
const NOUN = [
	'model', 'system', 'team', 'agent', 'task', 'result', 'answer', 'request', 'value', 'process', 'report',
	'source', 'signal', 'change', 'context', 'output', 'input', 'network', 'cluster', 'server', 'memory',
	'cache', 'queue', 'batch', 'worker', 'review', 'summary', 'question', 'detail', 'information',
	'performance', 'configuration', 'architecture', 'implementation', 'throughput', 'latency', 'evaluation',
	'documentation', 'coordination', 'sky', 'light', 'data', 'plan', 'approach', 'pipeline', 'response',
];
const VERB = [
	'explains', 'suggests', 'shows', 'improves', 'reduces', 'requires', 'provides', 'returns', 'handles',
	'supports', 'describes', 'includes', 'compares', 'measures', 'follows', 'affects', 'changes', 'uses',
	'combines', 'produces', 'limits', 'balances', 'tracks', 'updates',
];
const PREP = ['of', 'for', 'in', 'with', 'across', 'within', 'between', 'after', 'before', 'under', 'through'];
const ADV = ['usually', 'often', 'generally', 'carefully', 'quickly', 'consistently', 'particularly', 'approximately'];
const CONJ = ['and', 'because', 'while', 'although', 'so', 'but', 'since'];
const OPENERS = ['In short', 'Overall', 'Generally', 'To summarize', 'In practice', 'Put simply', 'Notably', 'However', 'Therefore', 'First', 'Finally'];
const WORDS = [...ADJ, ...NOUN];
const KEYS = ['answer', 'summary', 'status', 'reason', 'confidence', 'items', 'topic', 'score', 'notes', 'result'];

function nounPhrase(rng: Rng): string {
	const parts = [pick(rng, DET)];
	if (rng() < 0.5) parts.push(pick(rng, ADJ));
	parts.push(rng() < 0.06 ? `${intBetween(rng, 2, 2048)} ${pick(rng, NOUN)}s` : pick(rng, NOUN));
	return parts.join(' ');
}

function clause(rng: Rng): string {
	const parts = [nounPhrase(rng)];
	if (rng() < 0.3) parts.push(pick(rng, ADV));
	parts.push(pick(rng, VERB), nounPhrase(rng));
	if (rng() < 0.6) parts.push(pick(rng, PREP), nounPhrase(rng));
	return parts.join(' ');
}

function sentence(rng: Rng, words: number): string {
	let s = clause(rng);
	if (words > 9 && rng() < 0.6) s += `, ${pick(rng, CONJ)} ${clause(rng)}`;
	if (rng() < 0.25) s = `${pick(rng, OPENERS)}, ${s}`;
	return s.charAt(0).toUpperCase() + s.slice(1) + (rng() < 0.08 ? '!' : '.');
}

/**
 * English-ish prose of min..max simulator tokens (a target is drawn in that range; the text ends at the
 * sentence boundary closest to it, or is cut and closed with a period when one sentence is too long).
 */
export function generateProse(rng: Rng, minTokens = 20, maxTokens = 80): string {
	const lo = Math.max(1, Math.floor(Math.min(minTokens, maxTokens)));
	const hi = Math.max(lo, Math.floor(maxTokens));
	const target = intBetween(rng, lo, hi);
	const sentences: string[] = [];
	const ends: number[] = [];
	let total = 0;
	while (total < target && sentences.length < 10000) {
		const s = sentence(rng, intBetween(rng, 5, 13));
		sentences.push(s);
		total += countSimTokens(s); // a sentence starts with a letter, so the joining space is free
		ends.push(total);
	}
	let best = -1;
	for (let i = 0; i < ends.length; i++) {
		if (ends[i] < lo || ends[i] > hi) continue;
		if (best < 0 || Math.abs(ends[i] - target) < Math.abs(ends[best] - target)) best = i;
	}
	if (best >= 0) return sentences.slice(0, best + 1).join(' ');
	const pieces = simTokenize(sentences.join(' ')).slice(0, Math.max(1, hi - 1));
	while (pieces.length > 1 && !/[\p{L}\p{N}]$/u.test(pieces[pieces.length - 1])) pieces.pop();
	return pieces.join('') + '.';
}

function phrase(rng: Rng, lo: number, hi: number): string {
	const n = intBetween(rng, lo, hi);
	const w: string[] = [];
	for (let i = 0; i < n; i++) w.push(pick(rng, WORDS));
	return w.join(' ');
}

/** A small JSON object for `format: "json"`. */
export function generateJsonObject(rng: Rng): Record<string, unknown> {
	const keys = [...KEYS];
	const n = intBetween(rng, 2, 4);
	const out: Record<string, unknown> = {};
	for (let i = 0; i < n; i++) {
		const k = keys.splice(Math.floor(rng() * keys.length), 1)[0];
		const kind = rng();
		if (kind < 0.45) out[k] = phrase(rng, 2, 8);
		else if (kind < 0.65) out[k] = Math.round(rng() * 10000) / 100;
		else if (kind < 0.8) out[k] = rng() < 0.5;
		else out[k] = [phrase(rng, 1, 3), phrase(rng, 1, 3)];
	}
	return out;
}

// ---------------- JSON schema values ----------------

type Schema = Record<string, unknown>;

function isObj(v: unknown): v is Schema {
	return !!v && typeof v === 'object' && !Array.isArray(v);
}

function resolveRef(ref: string, root: Schema): Schema | undefined {
	if (!ref.startsWith('#/')) return undefined;
	let cur: unknown = root;
	for (const part of ref.slice(2).split('/')) {
		const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
		if (!isObj(cur)) return undefined;
		cur = cur[key];
	}
	return isObj(cur) ? cur : undefined;
}

function num(v: unknown): number | undefined {
	return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function stringFor(rng: Rng, s: Schema, hint?: string): string {
	const fmt = typeof s.format === 'string' ? s.format : '';
	let out: string;
	const year = 2020 + intBetween(rng, 0, 5);
	const mm = String(intBetween(rng, 1, 12)).padStart(2, '0');
	const dd = String(intBetween(rng, 1, 28)).padStart(2, '0');
	const hh = String(intBetween(rng, 0, 23)).padStart(2, '0');
	const mi = String(intBetween(rng, 0, 59)).padStart(2, '0');
	switch (fmt) {
		case 'date':
			out = `${year}-${mm}-${dd}`;
			break;
		case 'date-time':
			out = `${year}-${mm}-${dd}T${hh}:${mi}:00Z`;
			break;
		case 'time':
			out = `${hh}:${mi}:00`;
			break;
		case 'email':
			out = `${pick(rng, WORDS.filter((w) => w.length > 3))}@example.com`;
			break;
		case 'uri':
		case 'url':
			out = `https://example.com/${pick(rng, WORDS.filter((w) => w.length > 3))}`;
			break;
		case 'uuid': {
			const hex = () => Math.floor(rng() * 16).toString(16);
			const part = (n: number) => Array.from({ length: n }, hex).join('');
			out = `${part(8)}-${part(4)}-4${part(3)}-a${part(3)}-${part(12)}`;
			break;
		}
		default:
			out = hint ?? phrase(rng, 2, 6);
	}
	const minLen = num(s.minLength);
	const maxLen = num(s.maxLength);
	while (minLen !== undefined && out.length < minLen) out += ` ${pick(rng, WORDS)}`;
	if (maxLen !== undefined && out.length > maxLen) out = out.slice(0, Math.max(0, maxLen));
	return out;
}

function numberFor(rng: Rng, s: Schema, integer: boolean): number {
	let lo = num(s.minimum) ?? (num(s.exclusiveMinimum) !== undefined ? (num(s.exclusiveMinimum) as number) + (integer ? 1 : 0.01) : undefined);
	let hi = num(s.maximum) ?? (num(s.exclusiveMaximum) !== undefined ? (num(s.exclusiveMaximum) as number) - (integer ? 1 : 0.01) : undefined);
	if (lo === undefined && hi === undefined) {
		lo = 0;
		hi = 100;
	} else if (lo === undefined) lo = (hi as number) - 100;
	else if (hi === undefined) hi = lo + 100;
	if ((hi as number) < (lo as number)) hi = lo;
	if (integer) return intBetween(rng, Math.ceil(lo as number), Math.max(Math.ceil(lo as number), Math.floor(hi as number)));
	const v = (lo as number) + rng() * ((hi as number) - (lo as number));
	const r = Math.round(v * 100) / 100;
	return Math.min(hi as number, Math.max(lo as number, r));
}

/**
 * A value satisfying `schema` (object/properties/required/string/number/integer/boolean/null/
 * array+items/enum/const/anyOf/oneOf/allOf/$ref/type arrays/min/max/minItems/maxItems/format).
 * `strings` optionally supplies string values by property name (used for tool arguments).
 */
export function valueForSchema(
	rng: Rng,
	schema: unknown,
	root?: Schema,
	depth = 0,
	strings?: (name: string, s: Schema) => string | undefined,
	propName = '',
): unknown {
	if (!isObj(schema)) return depth === 0 ? {} : phrase(rng, 1, 3);
	const rootS = root ?? schema;
	if (depth > 8) return null;
	if (typeof schema.$ref === 'string') {
		const target = resolveRef(schema.$ref, rootS);
		return target ? valueForSchema(rng, target, rootS, depth + 1, strings, propName) : {};
	}
	if ('const' in schema) return schema.const;
	if (Array.isArray(schema.enum) && schema.enum.length > 0) {
		const hinted = strings?.(propName, schema);
		if (hinted !== undefined) {
			const hit = schema.enum.find((e) => typeof e === 'string' && e.toLowerCase() === hinted.toLowerCase());
			if (hit !== undefined) return hit;
		}
		return pick(rng, schema.enum);
	}
	for (const k of ['anyOf', 'oneOf'] as const) {
		const alts = schema[k];
		if (Array.isArray(alts) && alts.length > 0) {
			const nonNull = alts.find((a) => !(isObj(a) && a.type === 'null')) ?? alts[0];
			return valueForSchema(rng, nonNull, rootS, depth + 1, strings, propName);
		}
	}
	if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
		const merged: Schema = { type: 'object', properties: {}, required: [] };
		for (const part of schema.allOf) {
			const p = isObj(part) && typeof part.$ref === 'string' ? resolveRef(part.$ref, rootS) : part;
			if (!isObj(p)) continue;
			Object.assign(merged.properties as Schema, isObj(p.properties) ? p.properties : {});
			if (Array.isArray(p.required)) (merged.required as unknown[]).push(...p.required);
		}
		return valueForSchema(rng, merged, rootS, depth + 1, strings, propName);
	}
	let type = schema.type;
	if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0];
	if (type === undefined) {
		if (isObj(schema.properties)) type = 'object';
		else if (schema.items !== undefined) type = 'array';
	}
	switch (type) {
		case 'object': {
			const out: Record<string, unknown> = {};
			const props = isObj(schema.properties) ? schema.properties : {};
			for (const [k, sub] of Object.entries(props)) {
				out[k] = valueForSchema(rng, sub, rootS, depth + 1, strings, k);
			}
			if (Array.isArray(schema.required)) {
				for (const r of schema.required) {
					if (typeof r === 'string' && !(r in out)) out[r] = phrase(rng, 1, 3);
				}
			}
			return out;
		}
		case 'array': {
			const minI = num(schema.minItems) ?? 1;
			const maxI = Math.max(minI, num(schema.maxItems) ?? Math.max(minI, 3));
			const n = intBetween(rng, minI, Math.min(maxI, minI + 3));
			const items = Array.isArray(schema.prefixItems) ? schema.prefixItems : undefined;
			const arr: unknown[] = [];
			for (let i = 0; i < n; i++) {
				const sub = items && i < items.length ? items[i] : schema.items ?? { type: 'string' };
				arr.push(valueForSchema(rng, sub, rootS, depth + 1, strings, propName));
			}
			return arr;
		}
		case 'string':
			return stringFor(rng, schema, strings?.(propName, schema));
		case 'integer':
			return numberFor(rng, schema, true);
		case 'number':
			return numberFor(rng, schema, false);
		case 'boolean':
			return rng() < 0.5;
		case 'null':
			return null;
		default:
			// unsupported schema: still valid JSON
			return depth === 0 ? {} : phrase(rng, 1, 3);
	}
}

// ---------------- tool arguments ----------------

const LEADING_FILLER = /^(?:[\s,:;.\-–—!?"'`()]+|(?:with|for|about|on|in|to|of|using|the|a|an|and|please|tool|function|call|use|run)\b)+/i;

/**
 * Argument strings for a tool call, taken from the user's prompt:
 *  1. `name=value`, `name: value` or `"name": "value"` in the prompt,
 *  2. otherwise the quoted strings of the prompt, one per string parameter in order,
 *  3. otherwise the prompt text after the tool's name (leading filler words stripped),
 *     or the whole prompt.
 * Numbers/booleans use the same `name=value` pattern, then numbers found in the prompt.
 */
export function toolArguments(rng: Rng, toolName: string, parameters: unknown, prompt: string): Record<string, unknown> {
	const quoted: string[] = [];
	for (const m of prompt.matchAll(/"([^"]+)"|'([^']{2,})'|`([^`]+)`/g)) quoted.push(m[1] ?? m[2] ?? m[3]);
	const numbers = Array.from(prompt.matchAll(/-?\d+(?:\.\d+)?/g)).map((m) => Number(m[0]));
	let qi = 0;
	let ni = 0;
	const idx = prompt.toLowerCase().indexOf(toolName.toLowerCase());
	let after = idx >= 0 ? prompt.slice(idx + toolName.length) : prompt;
	after = after.replace(LEADING_FILLER, '').replace(/[\s.?!]+$/, '').trim();
	let rest = after;
	if (!rest) {
		// "What is the weather in Tokyo? Use get_weather." -> the last prepositional phrase before the name
		const before = idx >= 0 ? prompt.slice(0, idx) : prompt;
		const pp = Array.from(before.matchAll(/\b(?:in|for|about|of|on|at|to|from)\s+([^.?!,;:]+)/gi)).pop();
		rest = pp ? pp[1].replace(/\s+(?:use|call|run|using|with)\b.*$/i, '').trim() : '';
	}
	if (!rest) rest = prompt.trim();

	const explicit = (name: string): string | undefined => {
		const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
		const re = new RegExp(`["']?\\b${esc}\\b["']?\\s*[:=]\\s*(?:"([^"]*)"|'([^']*)'|([^,;\\n}]+))`, 'i');
		const m = prompt.match(re);
		if (!m) return undefined;
		return (m[1] ?? m[2] ?? m[3] ?? '').trim().replace(/[.?!]+$/, '');
	};

	const strings = (name: string, s: Schema): string | undefined => {
		const ex = name ? explicit(name) : undefined;
		if (ex !== undefined) return ex;
		if (Array.isArray(s.enum)) {
			const hit = s.enum.find((e) => typeof e === 'string' && prompt.toLowerCase().includes(e.toLowerCase()));
			return typeof hit === 'string' ? hit : undefined;
		}
		if (qi < quoted.length) return quoted[qi++];
		return rest;
	};

	const params = isObj(parameters) ? parameters : { type: 'object', properties: {} };
	const props = isObj(params.properties) ? params.properties : {};
	const out: Record<string, unknown> = {};
	for (const [k, sub] of Object.entries(props)) {
		const s = isObj(sub) ? sub : {};
		let t = s.type;
		if (Array.isArray(t)) t = t.find((x) => x !== 'null') ?? t[0];
		if (t === 'number' || t === 'integer') {
			const ex = explicit(k);
			const exNum = ex !== undefined ? Number(ex) : NaN;
			if (Number.isFinite(exNum)) out[k] = t === 'integer' ? Math.round(exNum) : exNum;
			else if (ni < numbers.length) {
				const v = numbers[ni++];
				out[k] = t === 'integer' ? Math.round(v) : v;
			} else out[k] = valueForSchema(rng, s, params, 1, strings, k);
		} else if (t === 'boolean') {
			const ex = explicit(k)?.toLowerCase();
			out[k] = ex === 'true' || ex === 'yes' ? true : ex === 'false' || ex === 'no' ? false : rng() < 0.5;
		} else {
			out[k] = valueForSchema(rng, s, params, 1, strings, k);
		}
	}
	return out;
}
