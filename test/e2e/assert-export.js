#!/usr/bin/env node
// Asserts that `n8n export:nodes` saw every node type the package declares.
// Usage: node assert-export.js EXPORTED_NODES_JSON EXPECTED_TYPES_JSON
'use strict';

const fs = require('fs');

const [exportFile, expectedFile] = process.argv.slice(2);
const exported = JSON.parse(fs.readFileSync(exportFile, 'utf8'));
const expected = JSON.parse(fs.readFileSync(expectedFile, 'utf8'));

if (!Array.isArray(exported)) {
	console.error(`assert-export: ${exportFile} is not an array of node descriptions`);
	process.exit(1);
}

const ours = exported.filter((node) => typeof node.name === 'string' && node.name.startsWith(`${expected.package}.`));
const names = new Set(ours.map((node) => node.name));
const missing = expected.nodes.filter((name) => !names.has(name));

console.error(`assert-export: n8n exported ${exported.length} node types, ${ours.length} from ${expected.package}:`);
for (const node of ours) {
	const versions = Array.isArray(node.version) ? node.version.join(',') : node.version;
	const creds = (node.credentials || []).map((c) => c.name).join(', ');
	console.error(`  ${node.name} v${versions} "${node.displayName}"${creds ? ` credentials: ${creds}` : ''}`);
}

if (missing.length > 0) {
	console.error(`assert-export: MISSING from n8n's node list: ${missing.join(', ')}`);
	process.exit(1);
}
if (!names.has(`${expected.package}.teamAgent`)) {
	console.error(`assert-export: ${expected.package}.teamAgent is not among the exported node types`);
	process.exit(1);
}
