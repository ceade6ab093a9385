import type { INodeProperties } from 'n8n-workflow';

import { agentProperties, agentSubtitle } from './description';
import { ollamaOptions } from './helpers/read-parameters';
import { TeamAgent } from './TeamAgent.node';

const options = (agentProperties.find((p) => p.name === 'options')!.options ?? []) as INodeProperties[];
const fail = (field: string, message: string) => new Error(`${field} ${message}`);

describe('Team Agent description (what a workflow builder sees)', () => {
	it('describes every parameter and option', () => {
		const undescribed = [...agentProperties, ...options].filter((p) => p.type !== 'notice' && p.type !== 'collection' && !p.description?.trim()).map((p) => p.displayName);
		expect(undescribed).toEqual([]);
	});

	it('names options in words, not as code identifiers', () => {
		const names = [...agentProperties, ...options].flatMap((p) => (p.type === 'options' ? ((p.options ?? []) as Array<{ name: string }>) : [])).map((o) => o.name);
		expect(names.filter((n) => /_|^[a-z]/.test(n))).toEqual([]);
	});

	it('lets a user pick seed 0 (-1 is random)', () => {
		const seed = options.find((o) => o.name === 'seed')!;
		expect(seed.default).toBe(-1);
		expect(seed.typeOptions?.minValue).toBeLessThanOrEqual(0);
		expect(ollamaOptions({ seed: 0 }, fail).seed).toBe(0);
		expect(ollamaOptions({ seed: -1 }, fail)).not.toHaveProperty('seed');
	});

	it('has one System Prompt that stays visible whatever the role (an edit is never hidden by a role change)', () => {
		const prompts = agentProperties.filter((p) => p.displayName === 'System Prompt');
		expect(prompts).toHaveLength(1);
		expect(prompts[0].displayOptions).toBeUndefined();
	});

	it('shows the role by its label in the subtitle', () => {
		const expression = agentSubtitle.replace(/^=\{\{|\}\}$/g, '');
		const subtitle = new Function('$parameter', `return ${expression}`) as (p: Record<string, string>) => string;
		expect(subtitle({ role: 'researcher', model: 'llama3.2:3b' })).toBe('Researcher: llama3.2:3b');
	});

	it('labels each credential field for what it does, the optional one as optional', () => {
		const credentials = new TeamAgent().description.credentials!;
		const labels = credentials.map((c) => c.displayName);
		expect(new Set(labels).size).toBe(credentials.length);
		for (const c of credentials) if (!c.required) expect(c.displayName).toMatch(/optional/i);
	});
});
