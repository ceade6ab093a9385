import type { IExecuteFunctions } from 'n8n-workflow';

import { DEFAULT_BUDGETS, type ModelMemberConfig, type OrchestratorInput, type Strategy } from '../../../lib/orchestrator';
import type { CachePolicy } from '../../../lib/pipeline';
import { ROLE_PROMPTS, type Role } from '../../Agent/roles';
import { fieldError } from '../../shared/node-error';

interface OrchestratorOptions {
	debateRounds?: number;
	stepItems?: boolean;
	maxAttempts?: number;
	maxParallel?: number;
	maxSteps?: number;
	useMembers?: string;
	planRetries?: number;
	review?: boolean;
	runTimeout?: number;
	stepTimeout?: number;
	temperature?: number;
	maxTokens?: number;
	seed?: number;
}

interface MemberParameter {
	name?: string;
	role?: Role;
	systemPrompt?: string;
	skills?: string;
	model?: string;
	fallback?: string;
}

export function readOptions(ctx: IExecuteFunctions, itemIndex: number): OrchestratorOptions {
	return ctx.getNodeParameter('options', itemIndex, {}) as OrchestratorOptions;
}

/** Reads and checks the node's parameters for one item; errors name the item and the field. */
export function readOrchestratorInput(ctx: IExecuteFunctions, itemIndex: number, cache?: CachePolicy): { input: OrchestratorInput; members: ModelMemberConfig[] } {
	const fail = (field: string, message: string) => fieldError(ctx.getNode(), itemIndex, field, message);
	const text = (value: unknown) => (typeof value === 'string' ? value : value == null ? '' : JSON.stringify(value));

	const task = text(ctx.getNodeParameter('task', itemIndex, ''));
	if (!task.trim()) throw fail('Task', 'is empty');
	const leadModel = text(ctx.getNodeParameter('leadModel', itemIndex, '')).trim();
	if (!leadModel) throw fail('Orchestrator Model', 'is empty');
	const options = readOptions(ctx, itemIndex);
	const whole = (field: string, value: number | undefined, fallback: number, min: number) => {
		const n = value ?? fallback;
		if (!Number.isInteger(n) || n < min) throw fail(field, `must be a whole number of at least ${min}`);
		return n;
	};
	const seconds = (field: string, value: number | undefined, fallbackMs: number) => {
		const s = value ?? fallbackMs / 1000;
		if (!(typeof s === 'number' && s > 0)) throw fail(field, 'must be more than 0 seconds');
		return s * 1000;
	};

	const seed = options.seed ?? -1;
	if (!Number.isInteger(seed) || seed < -1) throw fail('Seed', `must be -1 (random) or a whole number of 0 or more, got ${seed}`);
	const seeded = seed >= 0 ? { seed } : {};
	const raw = (ctx.getNodeParameter('members.member', itemIndex, []) ?? []) as MemberParameter[];
	const members = raw.map((m, i): ModelMemberConfig => {
		const name = text(m.name).trim();
		if (!name) throw fail('Members', `has a member (${i + 1}) without a name`);
		const model = text(m.model).trim();
		if (!model) throw fail('Members', `has a member "${name}" without a model`);
		const role = m.role ?? 'custom';
		if (!(role in ROLE_PROMPTS)) throw fail('Members', `has a member "${name}" with an unknown role "${String(role)}"`);
		return {
			name,
			model,
			system: text(m.systemPrompt).trim() || ROLE_PROMPTS[role],
			description: text(m.skills).trim() || `${role === 'custom' ? 'general' : role} (${model})`,
			fallback: text(m.fallback).trim() || undefined,
			options: { ...seeded },
			cache,
		};
	});

	const input: OrchestratorInput = {
		task,
		strategy: ctx.getNodeParameter('strategy', itemIndex, 'supervisor') as Strategy,
		leadModel,
		leadOptions: { temperature: options.temperature ?? 0.2, ...seeded },
		budgets: {
			maxAttempts: whole('Max Attempts', options.maxAttempts, DEFAULT_BUDGETS.maxAttempts, 1),
			maxSteps: whole('Max Steps', options.maxSteps, DEFAULT_BUDGETS.maxSteps, 1),
			maxTokens: whole('Tokens per Run', options.maxTokens, DEFAULT_BUDGETS.maxTokens, 0),
			stepTimeoutMs: seconds('Step Timeout', options.stepTimeout, DEFAULT_BUDGETS.stepTimeoutMs),
			runTimeoutMs: seconds('Run Timeout', options.runTimeout, DEFAULT_BUDGETS.runTimeoutMs),
		},
		review: options.review !== false,
		debateRounds: whole('Debate Rounds', options.debateRounds, 1, 1),
		useMembers: (options.useMembers ?? '').split(',').map((s) => s.trim()).filter(Boolean),
		maxParallel: whole('Max Parallel Steps', options.maxParallel, 0, 0),
		planRetries: whole('Plan Retries', options.planRetries, 2, 0),
		cache,
	};
	return { input, members };
}
