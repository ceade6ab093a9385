import Ajv, { type ValidateFunction } from 'ajv';
import { LRUCache } from 'lru-cache';
import { canonicalJson } from '../json';
import { AgentTeamError } from '../errors';

export type OutputFormat = { type: 'text' } | { type: 'json' } | { type: 'jsonSchema'; schema: Record<string, unknown> };

/** The schema the user gave is not a valid JSON Schema. */
export class InvalidSchemaError extends AgentTeamError {
	constructor(detail: string) {
		super('INVALID_SCHEMA', `The JSON schema is not valid: ${detail}`);
	}
}

/** The model's reply did not parse or validate, even after one retry. */
export class OutputValidationError extends AgentTeamError {
	constructor(
		detail: string,
		readonly reply: string,
	) {
		super('OUTPUT_VALIDATION', `The model's reply is not valid for the output format: ${detail}`);
	}
}

// addUsedSchema: false, and every schema removed from Ajv once compiled: a workflow that parses
// its schema per item (an expression) would otherwise leave one schema per item in Ajv for ever,
// and a schema with `$id` would fail on the second item ("already exists").
const ajv = new Ajv({ allErrors: true, strict: false, addUsedSchema: false });
const MAX_VALIDATORS = 256;
// By canonical JSON, not object identity: each item brings its own copy of the schema.
const compiled = new LRUCache<string, ValidateFunction>({ max: MAX_VALIDATORS });

/** Compiles (once per distinct schema, in a bounded LRU) or throws InvalidSchemaError. */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
	const key = canonicalJson(schema);
	let validate = compiled.get(key);
	if (!validate) {
		try {
			validate = ajv.compile(schema);
		} catch (error) {
			throw new InvalidSchemaError((error as Error).message);
		} finally {
			ajv.removeSchema(schema); // the compiled function keeps what it needs
		}
		compiled.set(key, validate);
	}
	return validate;
}

/** For tests and diagnostics: how many validators are cached and how many schemas Ajv holds. */
export function validatorCacheStats(): { validators: number; maxValidators: number; schemasHeldByAjv: number } {
	const held = (ajv as unknown as { _cache: Map<unknown, unknown> })._cache.size;
	return { validators: compiled.size, maxValidators: MAX_VALIDATORS, schemasHeldByAjv: held };
}

/** What Ollama's `format` field gets for this output format. */
export function ollamaFormat(format: OutputFormat): string | Record<string, unknown> | undefined {
	if (format.type === 'json') return 'json';
	if (format.type === 'jsonSchema') return format.schema;
	return undefined;
}

/** Parses and validates a reply; returns the value or a message explaining what is wrong. */
export function checkReply(format: OutputFormat, reply: string): { ok: true; value: unknown } | { ok: false; problem: string } {
	if (format.type === 'text') return { ok: true, value: reply };
	let value: unknown;
	try {
		value = JSON.parse(reply);
	} catch (error) {
		return { ok: false, problem: `it is not valid JSON (${(error as Error).message})` };
	}
	if (format.type === 'jsonSchema') {
		const validate = compileSchema(format.schema);
		if (!validate(value)) {
			return { ok: false, problem: `it does not match the schema: ${ajv.errorsText(validate.errors, { dataVar: 'reply' })}` };
		}
	}
	return { ok: true, value };
}

/** The user message that asks the model to fix its reply (the one retry). */
export function retryInstruction(problem: string): string {
	return `Your previous reply was rejected because ${problem}. Reply again with only the corrected JSON, nothing else.`;
}
