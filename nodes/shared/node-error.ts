import { NodeOperationError, type INode } from 'n8n-workflow';

/** What an error's fix is, in the editor's words: the field to change (its label, as shown) and how. */
export interface ErrorHint {
	/** The label of the field (or input) the fix is in, exactly as the editor shows it. */
	field: string;
	/** One or two sentences: where the field is and what to do, in the field's units. */
	fix: string;
}

const seconds = (ms: unknown) => (typeof ms === 'number' ? `${Math.round(ms / 100) / 10} s` : 'its limit');
const TIMEOUT_FIELDS: Record<string, string> = {
	connect: 'Connect Timeout (Seconds)',
	firstToken: 'First Token Timeout (Seconds)',
	idle: 'Idle Timeout (Seconds)',
	total: 'Total Timeout (Seconds)',
};
const DOCKER = 'From Docker, 127.0.0.1 is the n8n container itself: use http://host.docker.internal:11434 or the compose service name (http://ollama:11434).';

/**
 * The fix for each library error, by class name (the library stays free of n8n's field labels).
 * test/docs/error-messages.test.ts walks every error class the library exports and checks that it
 * has a hint here naming a field the editor shows.
 */
export const ERROR_HINTS: Record<string, (error: Record<string, unknown>) => ErrorHint> = {
	ContextOverflowError: () => ({ field: 'Context Window', fix: 'Raise "Context Window" in the node\'s Options (tokens; the model reloads once), lower "Max Tokens", or shorten the "Prompt" or "System Prompt".' }),
	InvalidSchemaError: () => ({ field: 'JSON Schema', fix: 'Fix the "JSON Schema" parameter: it must be a valid JSON Schema object.' }),
	OutputValidationError: () => ({ field: 'Output Format', fix: 'The model did not answer in the "Output Format" twice: simplify the "JSON Schema", describe the format in the system prompt, or pick a larger model.' }),
	MalformedToolOutputError: () => ({ field: 'Tools', fix: 'Check the tool sub-node connected to the "Tools" input: its output must be text or JSON.' }),
	MaxIterationsError: () => ({ field: 'Max Tool Iterations', fix: 'Raise "Max Tool Iterations" in the node\'s Options, or tell the model in the system prompt when to stop calling tools.' }),
	ModelNotFoundError: (e) => ({ field: 'Model Name or ID', fix: `Pick a model the server lists in "Model Name or ID", or pull it there (ollama pull ${String(e.model ?? '<model>')}); with several backends "Pull Missing Models" in the Ollama Cluster API credential pulls it.` }),
	BackendUnreachableError: () => ({ field: 'Base URL', fix: `Check the backend's "Base URL" in the Ollama Cluster API credential and that Ollama runs there (ollama serve, listening on OLLAMA_HOST=0.0.0.0 for other machines). ${DOCKER}` }),
	BackendBusyError: () => ({ field: 'Warm Up Model', fix: 'Ollama\'s own queue was full while it loaded the model (HTTP 503): raise OLLAMA_MAX_QUEUE on that server, or load the model before the run ("Warm Up Model", or the Load Balancer\'s Warm Up).' }),
	OllamaTimeoutError: (e) => {
		const field = TIMEOUT_FIELDS[String(e.kind)] ?? 'Total Timeout (Seconds)';
		return { field, fix: `Raise "${field}" in the Ollama Cluster API credential (it fired after ${seconds(e.timeoutMs)}; 0 turns it off), or keep the model loaded (OLLAMA_KEEP_ALIVE) so it does not load per call.` };
	},
	MalformedResponseError: () => ({ field: 'Base URL', fix: 'Check that the backend\'s "Base URL" points at Ollama itself (not a web page or a proxy that rewrites replies), and the server log for a crash.' }),
	OllamaHttpError: (e) => ({ field: e.status === 401 || e.status === 403 ? 'API Key' : 'Base URL', fix: e.status === 401 || e.status === 403 ? 'Check "API Key" and "Extra Headers" in the Ollama Cluster API credential: the server (or its proxy) refused them.' : 'Check the backend\'s "Base URL" and the Ollama server\'s log.' }),
	BackendConfigError: () => ({ field: 'Base URL', fix: 'Check the backend\'s "Base URL" in the Ollama Cluster API credential (http:// or https://, host and port).' }),
	BackendRequestError: () => ({ field: 'Base URL', fix: 'Check the backend\'s "Base URL" in the Ollama Cluster API credential and that Ollama runs there.' }),
	RequestAbortedError: () => ({ field: 'Total Timeout (Seconds)', fix: 'The call was cancelled: the execution was stopped, a sibling item failed, or "Total Timeout (Seconds)" ended it.' }),
	QueueTimeoutError: (e) => ({ field: 'Queue Wait Timeout (Seconds)', fix: `Every backend slot stayed busy for ${seconds(e.timeoutMs)}: raise "Queue Wait Timeout (Seconds)" in the Ollama Cluster API credential (or the Batcher's option; 0 = no limit), or add capacity ("Parallel Slots" with OLLAMA_NUM_PARALLEL, or more backends).` }),
	QueuedCallCancelledError: (e) => ERROR_HINTS.RequestAbortedError(e),
	QueueFullError: () => ({ field: 'Parallel Slots', fix: 'No field raises this limit (10,000 waiting calls per n8n process): send fewer items per execution (Loop Over Items, the Batcher\'s Group Items) or add capacity ("Parallel Slots" with OLLAMA_NUM_PARALLEL, or more backends).' }),
	ClusterConfigError: () => ({ field: 'Backends', fix: 'Open the Ollama Cluster API credential and correct the field the message names ("Backends": each needs a unique Name and a Base URL).' }),
	AttemptMovedError: () => ({ field: 'Failover Retries', fix: 'The backend stopped answering (its health probe got no reply, or its circuit opened) after part of the answer was sent, so the call could not move without repeating text: run the item again. Calls that had sent nothing yet moved to another backend on their own; "Failover Retries" in the Ollama Cluster API credential bounds how often.' }),
	// The sub-nodes' errors (lib/ai-sdk) carry the names above (error.name), so n8n shows the same fix.
	ClusterModelNotFoundError: (e) => ERROR_HINTS.ModelNotFoundError(e),
	InvalidJsonSchemaOptionError: (e) => ERROR_HINTS.InvalidSchemaError(e),
	TeamError: (e) => ({ field: String(e.field), fix: `Check the "${String(e.field)}" parameter.` }),
};

/**
 * The error for a parameter a user set wrongly: names the item and the field as the editor labels
 * it (`Item 3: the "Max Tokens" parameter must be …`). Every node builds these through here, so the
 * wording is the same everywhere.
 */
export function fieldError(node: INode, itemIndex: number, field: string, problem: string, description?: string): NodeOperationError {
	return new NodeOperationError(node, `Item ${itemIndex}: the "${field}" parameter ${problem}`, { itemIndex, description });
}

/** A NodeOperationError naming the item (and the field, when one is to blame). */
export function toItemError(node: INode, error: unknown, itemIndex: number): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	const name = (error as Error)?.name ?? '';
	const message = (error as Error)?.message ?? String(error);
	const hint = ERROR_HINTS[name]?.(error as unknown as Record<string, unknown>);
	const text = `Item ${itemIndex}: ${message}`;
	const itemError = new NodeOperationError(node, text, { itemIndex, description: hint?.fix });
	// n8n swaps a message that mentions ECONNREFUSED, ENOTFOUND … for a generic sentence, losing the
	// item and the backend's name: keep ours, and its sentence as the description.
	if (itemError.message !== text) {
		itemError.description = [itemError.description, itemError.message].filter(Boolean).join(' ');
		itemError.message = text;
	}
	return itemError;
}
