#!/usr/bin/env node
// The credential and workflows test/queue/run.sh imports into n8n (queue mode).
// Usage: node fixtures.js --repo ROOT --out DIR --sim NAME=URL:SLOTS [--sim ...]
// - one Ollama Cluster credential with every simulator as a backend (its defaults from the built
//   credential class, as make-fixtures.js does), and NO Agent Team Redis credential: in queue mode
//   the nodes must share through n8n's own queue Redis by default;
// - one workflow (one publish: each n8n CLI command costs ~15 s here) with two webhooks:
//   /queue-agent: Webhook (lastNode) → Team Agent (session from body.session, cache when body.cache)
//   → Edit Fields adding the execution id (to tell which worker ran it from the worker logs);
//   /queue-orchestrator: Webhook (lastNode) → Orchestrator (sequential: two members) → Edit Fields.
'use strict';

const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
const opts = { sims: [] };
for (let i = 0; i < args.length; i++) {
	if (args[i] === '--repo') opts.repo = args[++i];
	else if (args[i] === '--out') opts.out = args[++i];
	else if (args[i] === '--sim') opts.sims.push(args[++i]);
	else throw new Error(`unknown argument ${args[i]}`);
}
const repo = path.resolve(opts.repo);
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
let clusterClass;
for (const file of pkg.n8n.credentials) {
	for (const Cls of Object.values(require(path.join(repo, file)))) {
		if (typeof Cls === 'function' && new Cls().name === 'ollamaClusterApi') clusterClass = Cls;
	}
}
if (!clusterClass) throw new Error('dist has no ollamaClusterApi credential: run npm run build');
const data = {};
for (const p of new clusterClass().properties) if (p.type !== 'notice' && p.default !== undefined) data[p.name] = JSON.parse(JSON.stringify(p.default));
data.backends = {
	backend: opts.sims.map((spec) => {
		const [, name, url, slots] = spec.match(/^([^=]+)=(.+):(\d+)$/);
		return { name, baseUrl: url, weight: 1, parallel: Number(slots) };
	}),
};
const credential = { id: 'queueOllama00001', name: 'Queue Ollama Cluster', type: 'ollamaClusterApi', data };
const credRef = { ollamaClusterApi: { id: credential.id, name: credential.name } };

const webhook = (id, hookPath, name, y) => ({
	parameters: { httpMethod: 'POST', path: hookPath, responseMode: 'lastNode', options: {} },
	id: `${id}-hook`,
	name,
	type: 'n8n-nodes-base.webhook',
	typeVersion: 2,
	position: [0, y],
	webhookId: `${id}-webhook-0000-0000-000000000000`.slice(0, 36),
});
const stamp = (id, name, y) => ({
	parameters: {
		mode: 'manual',
		assignments: { assignments: [{ id: `${id}-a1`, name: 'executionId', value: '={{ $execution.id }}', type: 'string' }] },
		includeOtherFields: true,
		options: {},
	},
	id: `${id}-stamp`,
	name,
	type: 'n8n-nodes-base.set',
	typeVersion: 3.4,
	position: [520, y],
});
const chain = (a, b) => ({ [a]: { main: [[{ node: b, type: 'main', index: 0 }]] } });

const workflow = {
	id: 'queueWorkflow001',
	name: 'Queue: Team Agent and Orchestrator',
	nodes: [
		webhook('q1', 'queue-agent', 'Agent Webhook', 0),
		{
			parameters: {
				model: 'llama3.2:3b',
				role: 'writer',
				prompt: '={{ $json.body.text }}',
				sessionKey: '={{ $json.body.session || "" }}',
				options: {
					numPredict: 64,
					cache: { settings: { mode: '={{ $json.body.cache ? "exact" : "off" }}', nonDeterministic: true } },
				},
			},
			id: 'q1-agent',
			name: 'Team Agent',
			type: 'n8n-nodes-agent-team.teamAgent',
			typeVersion: 1,
			position: [260, 0],
			credentials: credRef,
		},
		stamp('q1', 'Stamp Agent', 0),
		webhook('q2', 'queue-orchestrator', 'Team Webhook', 300),
		{
			parameters: {
				strategy: 'sequential',
				task: '={{ $json.body.text }}',
				leadModel: 'llama3.2:3b',
				members: {
					member: [
						{ name: 'researcher', role: 'researcher', skills: 'finding facts', model: 'llama3.2:3b' },
						{ name: 'writer', role: 'writer', skills: 'clear prose', model: 'llama3.2:3b' },
					],
				},
			},
			id: 'q2-orch',
			name: 'Team',
			type: 'n8n-nodes-agent-team.orchestrator',
			typeVersion: 1,
			position: [260, 300],
			credentials: credRef,
		},
		stamp('q2', 'Stamp Team', 300),
	],
	connections: { ...chain('Agent Webhook', 'Team Agent'), ...chain('Team Agent', 'Stamp Agent'), ...chain('Team Webhook', 'Team'), ...chain('Team', 'Stamp Team') },
	settings: { executionOrder: 'v1' },
	pinData: {},
	active: false,
};
fs.mkdirSync(opts.out, { recursive: true });
fs.writeFileSync(path.join(opts.out, 'credentials.json'), JSON.stringify([credential], null, 2));
fs.writeFileSync(path.join(opts.out, 'workflows.json'), JSON.stringify([workflow], null, 2));
process.stdout.write(JSON.stringify({ id: workflow.id, paths: ['queue-agent', 'queue-orchestrator'] }));
