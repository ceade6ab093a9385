#!/usr/bin/env node
// The fault matrix's fixtures: one Ollama Cluster credential with two backends (gpu-ok, gpu-faulty)
// and a workflow Manual Trigger → Code (N items) → Team Agent (On Error: continue), for
// `n8n import:credentials` / `n8n import:workflow`. The credential starts from the built
// credential class's defaults (as test/e2e/make-fixtures.js does), with short first-output and
// idle timeouts so a hang case fails over within seconds, and 1 s health probes.
// Usage: node make-fixtures.js --repo ROOT --ok URL --faulty URL --items N --out DIR
'use strict';

const fs = require('fs');
const path = require('path');

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
const repo = path.resolve(args.repo);
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
const file = pkg.n8n.credentials.find((f) => /OllamaCluster/.test(f));
const Cls = Object.values(require(path.join(repo, file))).find((c) => typeof c === 'function');
const instance = new Cls();
const data = {};
for (const p of instance.properties) if (p.type !== 'notice' && p.default !== undefined) data[p.name] = JSON.parse(JSON.stringify(p.default));
data.backends = {
	backend: [
		{ name: 'gpu-ok', baseUrl: args.ok, weight: 1, parallel: 4 },
		{ name: 'gpu-faulty', baseUrl: args.faulty, weight: 1, parallel: 4 },
	],
};
Object.assign(data, { firstOutputTimeout: 4, idleTimeout: 4, healthInterval: 1, cooldown: 2 });
const credential = { id: 'faultsOllama01', name: 'Ollama Cluster (faults)', type: instance.name, data };

const items = Number(args.items || 100);
const workflow = {
	id: 'faultsAgent00001',
	name: 'Fault matrix: Team Agent',
	nodes: [
		{ parameters: {}, id: 'f0000000-0000-4000-8000-000000000001', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0] },
		{
			parameters: { jsCode: `return Array.from({ length: ${items} }, (_, i) => ({ json: { i, text: 'Question number ' + i + ': say something short.' } }));` },
			id: 'f0000000-0000-4000-8000-000000000002',
			name: 'Items',
			type: 'n8n-nodes-base.code',
			typeVersion: 2,
			position: [220, 0],
		},
		{
			parameters: { model: 'llama3.2:3b', role: 'researcher', prompt: '={{ $json.text }}', options: { temperature: 0, numPredict: 24 } },
			id: 'f0000000-0000-4000-8000-000000000003',
			name: 'Team Agent',
			type: `${pkg.name}.teamAgent`,
			typeVersion: 1,
			position: [440, 0],
			onError: 'continueRegularOutput',
			credentials: { ollamaClusterApi: { id: credential.id, name: credential.name } },
		},
	],
	connections: {
		Start: { main: [[{ node: 'Items', type: 'main', index: 0 }]] },
		Items: { main: [[{ node: 'Team Agent', type: 'main', index: 0 }]] },
	},
	settings: { executionOrder: 'v1' },
	pinData: {},
	active: false,
};
fs.mkdirSync(args.out, { recursive: true });
fs.writeFileSync(path.join(args.out, 'credentials.json'), JSON.stringify([credential], null, '\t'));
fs.writeFileSync(path.join(args.out, 'workflows.json'), JSON.stringify([workflow], null, '\t'));
process.stdout.write(JSON.stringify({ workflowId: workflow.id, items }) + '\n');
