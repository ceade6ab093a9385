/**
 * Errors that say what to do: every error class the library declares (found in lib/ by its source,
 * so a new class is covered without editing this test) reaches the editor through toItemError with
 * a fix that names a field the editor shows — by its label, as the user reads it — and gives
 * durations in seconds, the unit of the fields.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

import type { INode, INodeProperties, INodePropertyCollection } from 'n8n-workflow';

import { AgentTeamError } from '../../lib/errors';
import { ERROR_HINTS, toItemError } from '../../nodes/shared/node-error';
import { loadPackageTypes } from '../harness/node-types';

const ROOT = join(__dirname, '..', '..');
const node = { name: 'Team Agent', type: 'n8n-nodes-agent-team.teamAgent', typeVersion: 1, parameters: {}, id: '1', position: [0, 0] } as INode;

function sourceFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) return sourceFiles(path);
		return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
	});
}

/** `export class XError extends …Error` anywhere in lib/. */
const errorClasses = sourceFiles(join(ROOT, 'lib')).flatMap((file) =>
	[...readFileSync(file, 'utf8').matchAll(/^export class (\w+) extends (\w*Error)\b/gm)].map((m) => ({ name: m[1], file })),
);

/** The shared bases (the library's, the transport's): never thrown themselves, their subclasses are. */
const BASE_CLASSES = new Set(['OllamaError', 'AgentTeamError']);

/** One instance of each class, as the library throws it. */
const SAMPLES: Record<string, (C: new (...args: any[]) => Error) => Error[]> = {
	BackendUnreachableError: (C) => [new C('gpu-1', 'ECONNREFUSED')],
	ClusterModelNotFoundError: (C) => [new C('llama3.1:8b', ['gpu-1', 'gpu-2'])],
	InvalidJsonSchemaOptionError: (C) => [new C('Unexpected token n in JSON')],
	QueuedCallCancelledError: (C) => [new C()],
	AttemptMovedError: (C) => [new C('gpu-1', 'stopped answering its health probe')],
	BackendBusyError: (C) => [new C('gpu-1', 'server busy')],
	OllamaTimeoutError: (C) => ['connect', 'firstToken', 'idle', 'total'].map((kind) => new C('gpu-1', kind, 600_000)),
	ModelNotFoundError: (C) => [new C('gpu-1', 'llama3.1:8b', "model 'llama3.1:8b' not found")],
	MalformedResponseError: (C) => [new C('gpu-1', 'Unexpected token < in JSON')],
	OllamaHttpError: (C) => [new C('gpu-1', 401, 'unauthorized'), new C('gpu-1', 500, 'boom')],
	BackendConfigError: (C) => [new C('gpu-1', 'bad URL')],
	RequestAbortedError: (C) => [new C('gpu-1')],
	QueueFullError: (C) => [new C(10_000)],
	QueueTimeoutError: (C) => [new C(30_000)],
	ContextOverflowError: (C) => [new C({ needed: 5000, available: 4096, systemTokens: 100, promptTokens: 4400, reserveOutput: 512 })],
	InvalidSchemaError: (C) => [new C('type must be string')],
	OutputValidationError: (C) => [new C('not JSON', 'hello')],
	MalformedToolOutputError: (C) => [new C('calculator', 'it returned nothing (undefined)')],
	MaxIterationsError: (C) => [new C(5)],
	TeamError: (C) => [new C('"Tokens per Run" must be 0 (no limit) or more', 'Tokens per Run')],
	ClusterConfigError: (C) => [new C('Backends: a backend needs a Base URL')],
	BackendRequestError: (C) => [new C('gpu-1', undefined, 'ECONNREFUSED')],
};

/** Every label the editor shows: fields of every node and credential (nested ones too) and node inputs. */
function editorLabels(): Set<string> {
	const labels = new Set<string>();
	const walk = (properties: INodeProperties[]) => {
		for (const p of properties) {
			labels.add(p.displayName);
			if (p.type === 'collection') walk((p.options ?? []) as INodeProperties[]);
			if (p.type === 'fixedCollection') for (const group of (p.options ?? []) as INodePropertyCollection[]) walk(group.values);
		}
	};
	const { nodes, credentials } = loadPackageTypes();
	for (const n of Object.values(nodes)) {
		walk(n.description.properties);
		for (const input of n.description.inputs as Array<string | { displayName?: string }>) if (typeof input === 'object' && input.displayName) labels.add(input.displayName);
	}
	for (const c of Object.values(credentials)) walk(c.properties);
	return labels;
}
const labels = editorLabels();

describe('error messages name what failed and the field that fixes it', () => {
	it('finds the library\'s error classes', () => {
		expect(errorClasses.map((c) => c.name)).toEqual(expect.arrayContaining(['BackendUnreachableError', 'OllamaTimeoutError', 'QueueTimeoutError', 'ContextOverflowError']));
	});

	it.each(errorClasses.filter((c) => !BASE_CLASSES.has(c.name)).map((c) => [c.name, relative(ROOT, c.file)]))('%s (%s): its fix names a field the editor shows, in its units', (name, file) => {
		const C = (require(join(ROOT, file)) as Record<string, new (...args: any[]) => Error>)[name];
		const sample = SAMPLES[name];
		if (!sample) throw new Error(`${file}: ${name} has no sample in test/docs/error-messages.test.ts: add one, and its fix to ERROR_HINTS in nodes/shared/node-error.ts`);
		if (!ERROR_HINTS[name]) throw new Error(`${name} has no entry in ERROR_HINTS (nodes/shared/node-error.ts): say which field fixes it`);
		for (const error of sample(C)) {
			// one base class with a stable code (lib/errors): callers match instanceof and code, never text
			expect(error).toBeInstanceOf(AgentTeamError);
			expect((error as AgentTeamError).code).toMatch(/^[A-Z_]+$/);
			const hint = ERROR_HINTS[name](error as unknown as Record<string, unknown>);
			if (!labels.has(hint.field)) throw new Error(`${name}: the fix names "${hint.field}", which no node or credential shows (a renamed field?)`);
			const itemError = toItemError(node, error, 3);
			expect(itemError.message.startsWith('Item 3: ')).toBe(true);
			expect(itemError.description).toContain(`"${hint.field}"`);
			// durations in the unit of the fields (seconds), never raw milliseconds
			expect(`${itemError.description}`).not.toMatch(/\d ms\b/);
		}
	});

	it('says which timeout fired, in seconds, under the label of its field', () => {
		const { OllamaTimeoutError } = require('../../lib/ollama') as typeof import('../../lib/ollama');
		const error = toItemError(node, new OllamaTimeoutError('gpu-1', 'firstToken', 600_000), 0);
		expect(error.message).toBe('Item 0: Ollama backend "gpu-1" timed out waiting for the first token after 600 s (the credential\'s First Token Timeout)');
		expect(error.description).toMatch(/^Raise "First Token Timeout \(Seconds\)" in the Ollama Cluster API credential \(it fired after 600 s/);
	});

	it('tells an unreachable backend what to check, Docker networking included', () => {
		const { BackendUnreachableError } = require('../../lib/ollama') as typeof import('../../lib/ollama');
		const error = toItemError(node, new BackendUnreachableError('gpu-1', 'ECONNREFUSED'), 0);
		expect(error.message).toBe('Item 0: Ollama backend "gpu-1" is unreachable: ECONNREFUSED');
		expect(error.description).toMatch(/"Base URL".*ollama serve.*host\.docker\.internal/);
	});
});
