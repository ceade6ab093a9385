import type { INodeProperties } from 'n8n-workflow';

import { agentProperties } from '../Agent/description';
import { ROLES } from '../Agent/roles';

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The Team Agent's Cache option as it is: the same policy for the lead's and the members' calls. */
const cacheOption = (agentProperties.find((p) => p.name === 'options')?.options as INodeProperties[] | undefined)?.find((o) => o.name === 'cache');

const memberFields: INodeProperties[] = [
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		default: '',
		placeholder: 'researcher',
		description: 'Unique name; the planner assigns steps to members by this name',
	},
	{
		displayName: 'Role',
		name: 'role',
		type: 'options',
		options: ROLES.map((role) => ({ name: capitalise(role), value: role })),
		default: 'custom',
		description: "Preset system prompt (the Team Agent's roles); the System Prompt below replaces it when set",
	},
	{
		displayName: 'System Prompt',
		name: 'systemPrompt',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		description: "Instructions for this member; empty uses the role's preset",
	},
	{
		displayName: 'Good At',
		name: 'skills',
		type: 'string',
		default: '',
		placeholder: 'finding facts and sources',
		description: 'What the member is good at: the planner and router read this to assign work',
	},
	{
		displayName: 'Model Name or ID',
		name: 'model',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getModels' },
		default: 'llama3.2:3b',
		description:
			'The Ollama model this member runs on (typically smaller than the orchestrator model). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	},
	{
		displayName: 'Fallback Member',
		name: 'fallback',
		type: 'string',
		default: '',
		description: "Name of the member that retries this member's failed or empty steps; empty for none",
	},
];

export const orchestratorProperties: INodeProperties[] = [
	{
		displayName: 'Strategy',
		name: 'strategy',
		type: 'options',
		options: [
			{ name: 'Debate', value: 'debate', description: 'Members answer (and revise over rounds); a judge picks or merges' },
			{ name: 'Parallel', value: 'parallel', description: 'Every member works on the task at once; a synthesiser merges the answers' },
			{ name: 'Router', value: 'router', description: 'The orchestrator model picks the one best member for each item' },
			{ name: 'Sequential', value: 'sequential', description: "Members in order, each output feeding the next" },
			{ name: 'Supervisor', value: 'supervisor', description: 'Plan → run steps as a dependency graph in parallel → review the results → replan' },
		],
		default: 'supervisor',
	},
	{
		displayName: 'Task',
		name: 'task',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '={{ $json.chatInput ?? $json.text ?? $json.prompt }}',
		required: true,
		description: "What the team must do. By default the item's chatInput, text or prompt field.",
	},
	{
		displayName: 'Orchestrator Model Name or ID',
		name: 'leadModel',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getModels' },
		default: 'llama3.1:8b',
		description:
			'The model that plans, reviews, routes, synthesises and judges (never executes steps). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	},
	{
		displayName: 'Members',
		name: 'members',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		default: {},
		placeholder: 'Add Member',
		description: 'Members defined here; nodes connected to the Team input are members too (named after their node)',
		options: [{ name: 'member', displayName: 'Member', values: memberFields }],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			...(cacheOption ? [cacheOption] : []),
			{
				displayName: 'Debate Rounds',
				name: 'debateRounds',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 1,
				description: 'Debate: rounds of answers; from round 2 each member sees the others\' answers and revises',
			},
			{
				displayName: 'Emit Step Items',
				name: 'stepItems',
				type: 'boolean',
				default: false,
				description: 'Whether to output one item per step (member, task, output, tokens, timings, verdict) on the Steps output',
			},
			{
				displayName: 'Max Attempts',
				name: 'maxAttempts',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 3,
				description: 'Supervisor: most plan → execute → review rounds',
			},
			{
				displayName: 'Max Parallel Steps',
				name: 'maxParallel',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description: "Most steps running at once; 0 = no limit (the gateway still bounds calls to the cluster's slots)",
			},
			{
				displayName: 'Max Steps',
				name: 'maxSteps',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 20,
				description: 'Most member executions in a run (fallback retries included); also the longest plan allowed',
			},
			{
				displayName: 'Members to Use',
				name: 'useMembers',
				type: 'string',
				default: '',
				placeholder: 'researcher, analyst',
				description: 'Sequential, Parallel and Debate: comma-separated member names, in order; empty uses every member',
			},
			{
				displayName: 'Orchestrator Model Temperature',
				name: 'temperature',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 2, numberPrecision: 2 },
				default: 0.2,
				description: 'Temperature of the orchestrator model only (planner, reviewer, router, synthesiser, judge): low keeps plans and verdicts focused. Members use their model\'s default.',
			},
			{
				displayName: 'Plan Retries',
				name: 'planRetries',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 2,
				description: 'Times the planner (or router) is asked again when its reply is not a valid plan',
			},
			{
				displayName: 'Review Results',
				name: 'review',
				type: 'boolean',
				default: true,
				description: 'Whether the reviewer model judges step outputs (supervisor); off, only failed or empty steps count as not done',
			},
			{
				displayName: 'Run Timeout (Seconds)',
				name: 'runTimeout',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 300,
				description: 'Deadline for the whole run of one item; then it ends with the best result so far',
			},
			{
				displayName: 'Seed',
				name: 'seed',
				type: 'number',
				typeOptions: { minValue: -1 },
				default: -1,
				description: 'Fixed seed (0 or more) for the lead and every member, for reproducible runs (and cacheable calls); -1 leaves it random',
			},
			{
				displayName: 'Step Timeout (Seconds)',
				name: 'stepTimeout',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 180,
				description: 'Deadline for one step; a step past it fails (and goes to its fallback member)',
			},
			{
				displayName: 'Tokens per Run',
				name: 'maxTokens',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description: 'Most tokens (prompt + completion, every call of the lead and the members) one run may use; then it ends with the best result so far. 0 = no limit.',
			},
		],
	},
];
