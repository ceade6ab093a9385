import { readFileSync } from 'node:fs';

import { ExecutionLifecycleHooks, WorkflowExecute } from 'n8n-core';
import {
	Workflow,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type INodeExecutionData,
	type IRun,
	type IRunExecutionData,
	type IWorkflowBase,
	type IWorkflowExecuteAdditionalData,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

import { HarnessCredentialsHelper } from './credentials-helper';
import { harnessNodeTypes } from './node-types';

export interface RunOptions {
	/** Decrypted credential data by credential type (e.g. `ollamaClusterApi`). */
	credentials: Record<string, ICredentialDataDecryptedObject>;
	/** Items the start node (trigger) emits; by default the items pinned to it in the workflow (as the editor runs it), else one empty item. */
	input?: IDataObject[];
	mode?: WorkflowExecuteMode;
	signal?: AbortSignal;
	/** Receives streamed chunks, as a Webhook/Chat trigger with a streaming response mode would. */
	onChunk?: (chunk: StreamedChunk) => void;
}

export interface StreamedChunk {
	type: string;
	content?: string;
	metadata: { nodeName: string; itemIndex: number };
}

export interface AiEventRecord {
	event: string;
	payload: unknown;
}

export interface WorkflowRunResult {
	run: IRun;
	/** Output items (main output 0, last run) of a node by name. */
	output(nodeName: string): INodeExecutionData[];
	/** The node's error, if it failed. */
	error(nodeName: string): Error | undefined;
	aiEvents: AiEventRecord[];
}

export function readWorkflow(path: string): IWorkflowBase {
	return JSON.parse(readFileSync(path, 'utf8')) as IWorkflowBase;
}

let executionCounter = 0;

/**
 * Runs a workflow JSON (the same files as examples/) in-process through n8n-core's
 * WorkflowExecute, with this package's node and credential types.
 */
export async function runWorkflow(workflowData: IWorkflowBase, options: RunOptions): Promise<WorkflowRunResult> {
	const nodeTypes = harnessNodeTypes();
	const workflow = new Workflow({
		id: workflowData.id ?? 'harness',
		name: workflowData.name,
		nodes: workflowData.nodes,
		connections: workflowData.connections,
		active: false,
		nodeTypes,
		settings: workflowData.settings ?? { executionOrder: 'v1' },
	});
	// The start node is the one nothing feeds (n8n's getStartNode only knows real trigger types).
	const fed = new Set(
		Object.values(workflowData.connections).flatMap((byType) =>
			Object.values(byType).flatMap((outputs) => outputs.flatMap((targets) => (targets ?? []).map((t) => t.node))),
		),
	);
	const startNode = workflowData.nodes.find((node) => !node.disabled && !fed.has(node.name) && node.type !== 'n8n-nodes-base.stickyNote');
	if (!startNode) throw new Error('The workflow has no start node');

	const mode = options.mode ?? 'manual';
	const executionId = String(++executionCounter);
	const hooks = new ExecutionLifecycleHooks(mode, executionId, { ...workflowData, id: workflowData.id ?? 'harness' } as IWorkflowBase);
	const aiEvents: AiEventRecord[] = [];
	if (options.onChunk) hooks.addHandler('sendChunk', async (chunk) => options.onChunk!(chunk as unknown as StreamedChunk));

	const additionalData = {
		credentialsHelper: new HarnessCredentialsHelper(options.credentials),
		hooks,
		executionId,
		streamingEnabled: options.onChunk !== undefined,
		currentNodeExecutionIndex: 0,
		restApiUrl: 'http://127.0.0.1:5678/rest',
		instanceBaseUrl: 'http://127.0.0.1:5678/',
		formBaseUrl: '',
		formWaitingBaseUrl: '',
		formTestBaseUrl: '',
		webhookBaseUrl: '',
		webhookWaitingBaseUrl: '',
		webhookTestBaseUrl: '',
		mcpBaseUrl: '',
		mcpTestBaseUrl: '',
		variables: {},
		logAiEvent: (event: string, payload: unknown) => aiEvents.push({ event, payload }),
		executeWorkflow: async () => {
			throw new Error('Sub-workflows are not supported by the test harness');
		},
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		startRunnerTask: async () => {
			throw new Error('Task runners are not available in the test harness');
		},
	} as unknown as IWorkflowExecuteAdditionalData;

	const pinned = (workflowData as { pinData?: Record<string, Array<{ json: IDataObject }>> }).pinData?.[startNode.name]?.map((item) => item.json);
	const input: INodeExecutionData[] = (options.input ?? pinned ?? [{}]).map((json) => ({ json }));
	const runExecutionData: IRunExecutionData = {
		startData: {},
		resultData: { runData: {} },
		executionData: {
			contextData: {},
			metadata: {},
			nodeExecutionStack: [{ node: startNode, data: { main: [input] }, source: null }],
			waitingExecution: {},
			waitingExecutionSource: {},
		},
	} as unknown as IRunExecutionData;

	const execution = new WorkflowExecute(additionalData, mode, runExecutionData);
	const promise = execution.processRunExecutionData(workflow);
	options.signal?.addEventListener('abort', () => promise.cancel(), { once: true });
	const run = await promise;

	const runData = run.data.resultData.runData;
	return {
		run,
		aiEvents,
		output(nodeName) {
			const runs = runData[nodeName];
			if (!runs?.length) throw new Error(`Node "${nodeName}" did not run`);
			return runs[runs.length - 1].data?.main?.[0] ?? [];
		},
		error(nodeName) {
			const runs = runData[nodeName];
			return (runs?.[runs.length - 1]?.error as Error | undefined) ?? undefined;
		},
	};
}
