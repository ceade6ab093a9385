import Ajv, { type ValidateFunction } from 'ajv';

export type OutputFormat = { type: 'text' } | { type: 'json' } | { type: 'jsonSchema'; schema: Record<string, unknown> };

/** The schema the user gave is not a valid JSON Schema. */
export class InvalidSchemaError extends Error {
	constructor(detail: string) {
		super(`The JSON schema is not valid: ${detail}`);
		this.name = 'InvalidSchemaError';
	}
}

/** The model's reply did not parse or validate, even after one retry. */
export class OutputValidationError extends Error {
	constructor(
		detail: string,
		readonly reply: string,
	) {
		super(`The model's reply is not valid for the output format: ${detail}`);
		this.name = 'OutputValidationError';
	}
}

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new WeakMap<object, ValidateFunction>();

/** Compiles (once per schema object) or throws InvalidSchemaError. */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
	let validate = compiled.get(schema);
	if (!validate) {
		try {
			validate = ajv.compile(schema);
		} catch (error) {
			throw new InvalidSchemaError((error as Error).message);
		}
		compiled.set(schema, validate);
	}
	return validate;
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
