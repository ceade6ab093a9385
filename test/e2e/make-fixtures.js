#!/usr/bin/env node
// Generates what the e2e test imports into n8n: a credentials file for `n8n import:credentials`
// and temp copies of the example workflows whose credential references point at it, each on its own
// and all of them in workflows.json (one `n8n import:workflow --input=workflows.json` imports them all).
//
// Usage: node make-fixtures.js --repo ROOT --sim-url URL --out DIR WORKFLOW.json...
//
// The credential data is not hard-coded: it starts from the defaults of every property of the
// built credential class (dist/credentials/<Name>.credentials.js, listed in package.json "n8n"),
// and only the backends are replaced by one backend named "sim" at the simulator's URL.
// The credential id and name are the ones the workflows reference (one credential per type),
// so the workflows are imported as they are; a reference without an id gets a generated one.
// Prints a JSON summary (workflow ids, webhook paths, agent node names, credentials) on stdout.
'use strict';

const fs = require('fs');
const path = require('path');

function fail(message) {
	process.stderr.write(`make-fixtures: ${message}\n`);
	process.exit(1);
}

const args = process.argv.slice(2);
const opts = { workflows: [] };
for (let i = 0; i < args.length; i++) {
	const a = args[i];
	if (a === '--repo') opts.repo = args[++i];
	else if (a === '--sim-url') opts.simUrl = args[++i];
	else if (a === '--out') opts.out = args[++i];
	else if (a === '--backend-name') opts.backendName = args[++i];
	else if (a.startsWith('--')) fail(`unknown option ${a}`);
	else opts.workflows.push(a);
}
if (!opts.repo || !opts.simUrl || !opts.out || opts.workflows.length === 0) {
	fail('usage: make-fixtures.js --repo ROOT --sim-url URL --out DIR WORKFLOW.json...');
}
const backendName = opts.backendName || 'sim';
const repo = path.resolve(opts.repo);
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
const nodePrefix = `${pkg.name}.`;

// credential type name -> { file, properties }
const credentialTypes = {};
for (const file of (pkg.n8n && pkg.n8n.credentials) || []) {
	const full = path.join(repo, file);
	if (!fs.existsSync(full)) fail(`${file} (package.json "n8n.credentials") does not exist: run npm run build`);
	for (const Cls of Object.values(require(full))) {
		if (typeof Cls !== 'function') continue;
		const instance = new Cls();
		if (instance.name && Array.isArray(instance.properties)) credentialTypes[instance.name] = { file, instance };
	}
}

function defaultsOf(properties) {
	const data = {};
	for (const p of properties) {
		if (p.type === 'notice' || p.default === undefined) continue;
		data[p.name] = JSON.parse(JSON.stringify(p.default));
	}
	return data;
}

// How to fill each credential type of this package for the simulator.
const fillers = {
	ollamaClusterApi(data, properties) {
		const backends = properties.find((p) => p.name === 'backends');
		if (!backends || backends.type !== 'fixedCollection') {
			fail('ollamaClusterApi has no fixedCollection property "backends": update make-fixtures.js to the new shape');
		}
		const option = backends.options[0];
		const entry = defaultsOf(option.values);
		const keys = option.values.map((v) => v.name);
		for (const [key, value] of Object.entries({ name: backendName, baseUrl: opts.simUrl, weight: 1, parallel: 4 })) {
			if (!keys.includes(key)) fail(`ollamaClusterApi backend has no field "${key}" (fields: ${keys.join(', ')})`);
			entry[key] = value;
		}
		data.backends = { [option.name]: [entry] };
		return data;
	},
};

fs.mkdirSync(opts.out, { recursive: true });
const credentials = {}; // type -> { id, name, type, data }
const summary = { workflows: [], credentials: [] };
const allWorkflows = [];

for (const file of opts.workflows) {
	const workflow = JSON.parse(fs.readFileSync(file, 'utf8'));
	if (!workflow.id) fail(`${file} has no "id": n8n execute/publish need a known workflow id`);
	if (!Array.isArray(workflow.nodes) || !workflow.connections) fail(`${file} has no nodes/connections`);
	const info = { file, key: path.basename(file, '.json'), output: path.join(opts.out, path.basename(file)), id: workflow.id, name: workflow.name, agentNodes: [], webhooks: [], toolNodes: [] };

	for (const node of workflow.nodes) {
		if (node.type.startsWith(nodePrefix)) info.agentNodes.push({ name: node.name, type: node.type });
		// n8n's LangChain tool sub-nodes (toolCalculator, toolCode, ...) offer themselves to the model
		// under the node's name, made tool-safe by n8n-workflow's nodeNameToToolName (2.41).
		if (/^@n8n\/n8n-nodes-langchain\.tool/.test(node.type)) {
			let toolName = node.name.replace(/[^a-zA-Z0-9_-]+/g, '_');
			if (toolName.length > 64) toolName = toolName.slice(0, 64).replace(/[_-]+$/, '');
			info.toolNodes.push({ name: node.name, type: node.type, toolName });
		}
		if (node.type === 'n8n-nodes-base.webhook') {
			info.webhooks.push({
				node: node.name,
				path: node.parameters.path,
				method: node.parameters.httpMethod || 'GET',
				responseMode: node.parameters.responseMode,
			});
		}
		for (const [type, ref] of Object.entries(node.credentials || {})) {
			if (!credentialTypes[type]) {
				fail(`${file}: node "${node.name}" uses credential type ${type}, which this package does not define`);
			}
			if (!fillers[type]) fail(`${file}: make-fixtures.js does not know how to fill a ${type} credential for the simulator`);
			if (!credentials[type]) {
				const { instance } = credentialTypes[type];
				credentials[type] = {
					id: (ref && ref.id) || `e2e${type}`.slice(0, 16),
					name: (ref && ref.name) || instance.displayName || type,
					type,
					data: fillers[type](defaultsOf(instance.properties), instance.properties),
				};
			}
			node.credentials[type] = { id: credentials[type].id, name: credentials[type].name };
		}
	}
	if (info.agentNodes.length === 0) fail(`${file} has no ${nodePrefix}* node`);
	fs.writeFileSync(info.output, `${JSON.stringify(workflow, null, '\t')}\n`);
	summary.workflows.push(info);
	allWorkflows.push(workflow);
}
if (new Set(allWorkflows.map((w) => w.id)).size !== allWorkflows.length) fail('two workflows have the same id');
fs.writeFileSync(path.join(opts.out, 'workflows.json'), `${JSON.stringify(allWorkflows, null, '\t')}\n`);
summary.workflowsFile = path.join(opts.out, 'workflows.json');

const credentialList = Object.values(credentials);
fs.writeFileSync(path.join(opts.out, 'credentials.json'), `${JSON.stringify(credentialList, null, '\t')}\n`);
summary.credentialsFile = path.join(opts.out, 'credentials.json');
summary.credentials = credentialList.map(({ id, name, type }) => ({ id, name, type }));
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
