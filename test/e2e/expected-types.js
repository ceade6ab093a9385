#!/usr/bin/env node
// Prints the node types and credential types a built package declares, as JSON:
//   { "package": "n8n-nodes-agent-team", "nodes": ["n8n-nodes-agent-team.teamAgent", ...],
//     "credentials": ["ollamaClusterApi", ...] }
// Read from package.json's "n8n" field: each file is required and instantiated, exactly what n8n does.
// Usage: node test/e2e/expected-types.js [PACKAGE_ROOT]   (default: the repository root)
'use strict';

const path = require('path');
const fs = require('fs');

const root = path.resolve(process.argv[2] || path.join(__dirname, '..', '..'));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

function fail(message) {
	process.stderr.write(`expected-types: ${message}\n`);
	process.exit(1);
}

if (!pkg.n8n || !Array.isArray(pkg.n8n.nodes) || pkg.n8n.nodes.length === 0) {
	fail(`${root}/package.json has no "n8n.nodes" list`);
}

function instances(files, kind) {
	return files.map((file) => {
		const full = path.join(root, file);
		if (!fs.existsSync(full)) fail(`${kind} file ${file} (listed in package.json "n8n.${kind}") does not exist: run npm run build, or fix the list`);
		const exported = require(full);
		const classes = Object.values(exported).filter((value) => typeof value === 'function');
		if (classes.length === 0) fail(`${file} exports no class`);
		// n8n uses the export named like the file (Foo.node.js -> Foo); fall back to the only class.
		const base = path.basename(file).replace(/\.(node|credentials)\.js$/, '');
		const Cls = exported[base] || (classes.length === 1 ? classes[0] : undefined);
		if (!Cls) fail(`${file} does not export a class named ${base} (exports: ${Object.keys(exported).join(', ')})`);
		return { file, className: Cls.name, instance: new Cls() };
	});
}

const nodes = instances(pkg.n8n.nodes, 'nodes').map(({ file, instance }) => {
	const description = instance.description || (instance.nodeVersions && Object.values(instance.nodeVersions)[0].description);
	if (!description || !description.name) fail(`${file}: no description.name`);
	return `${pkg.name}.${description.name}`;
});
const credentials = instances(pkg.n8n.credentials || [], 'credentials').map(({ file, instance }) => {
	if (!instance.name) fail(`${file}: credential has no name`);
	return instance.name;
});

process.stdout.write(`${JSON.stringify({ package: pkg.name, version: pkg.version, nodes, credentials }, null, 2)}\n`);
