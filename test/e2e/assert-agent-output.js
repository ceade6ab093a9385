#!/usr/bin/env node
// Asserts on what the Team Agent node produced in a real n8n run.
//
//   node assert-agent-output.js execute FILE BACKEND WORKFLOW.json
//     FILE: stdout of `n8n execute --id X --rawOutput` (the IRun JSON, possibly after log lines;
//     n8n 2.41's IRun carries no workflowData, so the workflow file names the nodes).
//     Every node of this package in WORKFLOW.json must have run and output items with a non-empty
//     `output`, tokenUsage.totalTokens > 0 and backend === BACKEND.
//
//   node assert-agent-output.js webhook FILE BACKEND
//     FILE: the HTTP body a webhook with responseMode "lastNode" answered (the agent item's json,
//     or an array of them).
'use strict';

const fs = require('fs');
const { extractJson: parseJsonDoc } = require('./json-doc');

const [mode, file, backend, workflowFile] = process.argv.slice(2);
const pkgName = require('../../package.json').name;

function fail(message) {
	process.stderr.write(`assert-agent-output: ${message}\n`);
	process.exit(1);
}

function checkItem(json, where) {
	const problems = [];
	if (!json || typeof json !== 'object') return [`${where}: item is not an object: ${JSON.stringify(json)}`];
	if (typeof json.output !== 'string' || json.output.trim() === '') problems.push(`${where}: "output" is empty or not a string`);
	if (!json.tokenUsage || !(Number(json.tokenUsage.totalTokens) > 0)) problems.push(`${where}: tokenUsage.totalTokens is not > 0 (tokenUsage: ${JSON.stringify(json.tokenUsage)})`);
	if (json.backend !== backend) problems.push(`${where}: backend is ${JSON.stringify(json.backend)}, expected ${JSON.stringify(backend)}`);
	return problems;
}

function summarize(json) {
	const text = String(json.output).replace(/\s+/g, ' ');
	return `backend=${json.backend} model=${json.model} tokens=${json.tokenUsage && json.tokenUsage.totalTokens} output="${text.length > 80 ? `${text.slice(0, 80)}...` : text}"`;
}

function extractJson(text) {
	try {
		return parseJsonDoc(text, file);
	} catch (error) {
		fail(error.message);
	}
}

const text = fs.readFileSync(file, 'utf8');
const problems = [];

if (mode === 'execute') {
	const run = extractJson(text);
	const resultData = run && run.data && run.data.resultData;
	if (!resultData || !resultData.runData) fail(`${file} holds no data.resultData.runData`);
	if (resultData.error) fail(`the execution failed: ${JSON.stringify(resultData.error).slice(0, 2000)}`);
	if (run.status && run.status !== 'success') problems.push(`execution status is ${run.status}`);
	if (!workflowFile) fail('execute mode needs the workflow file');
	const nodes = JSON.parse(fs.readFileSync(workflowFile, 'utf8')).nodes || [];
	const ours = nodes.filter((n) => n.type.startsWith(`${pkgName}.`));
	if (ours.length === 0) fail(`${workflowFile} has no ${pkgName}.* node`);
	for (const node of ours) {
		const runs = resultData.runData[node.name];
		if (!Array.isArray(runs) || runs.length === 0) {
			problems.push(`node "${node.name}" did not run (ran: ${Object.keys(resultData.runData).join(', ')})`);
			continue;
		}
		runs.forEach((taskData, r) => {
			if (taskData.error) problems.push(`node "${node.name}" run ${r} failed: ${taskData.error.message}`);
			const items = (taskData.data && taskData.data.main && taskData.data.main[0]) || [];
			if (items.length === 0) problems.push(`node "${node.name}" run ${r} output no items`);
			items.forEach((item, i) => {
				const where = `node "${node.name}" run ${r} item ${i}`;
				const p = checkItem(item.json, where);
				problems.push(...p);
				if (p.length === 0) console.error(`  ok ${where}: ${summarize(item.json)}`);
			});
		});
	}
} else if (mode === 'webhook') {
	const body = extractJson(text);
	const items = Array.isArray(body) ? body : [body];
	if (items.length === 0) problems.push('the webhook answered an empty array');
	items.forEach((json, i) => {
		const p = checkItem(json, `webhook answer item ${i}`);
		problems.push(...p);
		if (p.length === 0) console.error(`  ok webhook answer item ${i}: ${summarize(json)}`);
	});
} else {
	fail('usage: assert-agent-output.js execute FILE BACKEND WORKFLOW.json | webhook FILE BACKEND');
}

if (problems.length > 0) {
	for (const p of problems) process.stderr.write(`  FAIL ${p}\n`);
	fail(`${problems.length} problem(s) in ${file}`);
}
