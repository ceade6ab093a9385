#!/usr/bin/env node
// Asserts on what the Orchestrator node produced in a real n8n run.
//
//   node assert-orchestrator.js execute FILE NODE STRATEGY MIN_STEPS BACKEND [MEMBER,MEMBER...]
//     FILE: stdout of `n8n execute --id X --rawOutput` (the IRun JSON). NODE's first output item must
//     have status "completed", the strategy, a non-empty `output`, at least MIN_STEPS steps, every
//     step "ok" with a non-empty output, tokens > 0 and backend BACKEND; with MEMBERS, the steps ran
//     on exactly those members (order-insensitive set).
//
//   node assert-orchestrator.js subworkflow FILE NODE MEMBER PREFIX BACKEND
//     FILE: as for execute, for a sequential team whose last member MEMBER is a Call Workflow tool
//     (a whole sub-workflow). Status "completed"; the model member before it ran on BACKEND; MEMBER's
//     step is "ok" and its output is the sub-workflow's last node: PREFIX, then the prompt it was
//     given, which holds the previous member's output; that output is the final answer.
//
//   node assert-orchestrator.js stream FILE NODE MIN_STEPS
//     FILE: the output of stream-client.js for a streaming webhook. HTTP 200; NODE sent `begin`, then
//     item chunks with a start and an end line for at least MIN_STEPS steps, then the answer, then
//     `end`; no `error` chunk.
// Prints a one-line summary on stdout.
'use strict';

const fs = require('fs');
const { extractJson } = require('./json-doc');

const [mode, file, nodeName, ...rest] = process.argv.slice(2);
function fail(message) {
	process.stderr.write(`assert-orchestrator: ${message}\n`);
	process.exit(1);
}
if (!file || !nodeName) fail('usage: assert-orchestrator.js execute FILE NODE STRATEGY MIN_STEPS BACKEND [MEMBERS] | stream FILE NODE MIN_STEPS');
let doc;
try {
	doc = extractJson(fs.readFileSync(file, 'utf8'), file);
} catch (error) {
	fail(error.message);
}
const problems = [];

/** The JSON of the node's first output item in its last run, from an `n8n execute --rawOutput` document. */
function firstItemJson() {
	const resultData = doc && doc.data && doc.data.resultData;
	if (!resultData || !resultData.runData) fail(`${file} holds no data.resultData.runData`);
	if (resultData.error) fail(`the execution failed: ${JSON.stringify(resultData.error).slice(0, 2000)}`);
	const runs = resultData.runData[nodeName];
	if (!Array.isArray(runs) || runs.length === 0) fail(`node "${nodeName}" did not run (ran: ${Object.keys(resultData.runData).join(', ')})`);
	const task = runs[runs.length - 1];
	if (task.error) fail(`node "${nodeName}" failed: ${task.error.message}`);
	const item = task.data && task.data.main && task.data.main[0] && task.data.main[0][0];
	if (!item) fail(`node "${nodeName}" output no item`);
	return item.json;
}

if (mode === 'execute') {
	const [strategy, minStepsArg, backend, membersArg] = rest;
	const json = firstItemJson();
	if (json.status !== 'completed') problems.push(`status is ${JSON.stringify(json.status)} (reason: ${json.reason})`);
	if (json.strategy !== strategy) problems.push(`strategy is ${JSON.stringify(json.strategy)}, expected ${strategy}`);
	if (typeof json.output !== 'string' || !json.output.trim()) problems.push('"output" is empty');
	const steps = Array.isArray(json.steps) ? json.steps : [];
	if (steps.length < Number(minStepsArg)) problems.push(`${steps.length} steps, expected at least ${minStepsArg}`);
	for (const step of steps) {
		const where = `step ${step.id} (${step.member})`;
		if (step.status !== 'ok') problems.push(`${where} is ${step.status}: ${step.error}`);
		if (!String(step.output || '').trim()) problems.push(`${where} has an empty output`);
		if (!(step.tokens && step.tokens.totalTokens > 0)) problems.push(`${where} has no tokens`);
		if (step.backend !== backend) problems.push(`${where} ran on ${JSON.stringify(step.backend)}, expected ${backend}`);
	}
	if (membersArg) {
		const want = [...new Set(membersArg.split(','))].sort().join(',');
		const got = [...new Set(steps.map((s) => s.member))].sort().join(',');
		if (want !== got) problems.push(`steps ran on members ${got}, expected ${want}`);
	}
	if (!problems.length) {
		process.stdout.write(`${JSON.stringify({ node: nodeName, status: json.status, strategy: json.strategy, steps: steps.length, members: [...new Set(steps.map((s) => s.member))], tokens: json.totals.tokens.totalTokens, backendCalls: json.totals.backendCalls, attempts: json.attempts })}\n`);
	}
} else if (mode === 'subworkflow') {
	const [member, prefix, backend] = rest;
	const json = firstItemJson();
	if (json.status !== 'completed') problems.push(`status is ${JSON.stringify(json.status)} (reason: ${json.reason})`);
	const steps = Array.isArray(json.steps) ? json.steps : [];
	const sub = steps.find((s) => s.member === member);
	const before = steps[steps.indexOf(sub) - 1];
	if (!sub) problems.push(`no step ran on ${member} (members: ${steps.map((s) => s.member).join(', ')})`);
	else if (!before) problems.push(`${member} ran first: no member output fed it`);
	else {
		if (sub.status !== 'ok') problems.push(`the ${member} step is ${sub.status}: ${sub.error}`);
		if (!String(sub.output).startsWith(prefix)) problems.push(`the ${member} step's output does not start with ${JSON.stringify(prefix)}: ${JSON.stringify(String(sub.output).slice(0, 300))}`);
		if (!before.output || !String(sub.output).includes(before.output)) problems.push(`the ${member} step's output does not hold the output of ${before.member}`);
		if (before.status !== 'ok' || before.backend !== backend || !(before.tokens && before.tokens.totalTokens > 0)) problems.push(`the ${before.member} step: ${before.status} on ${before.backend}, ${JSON.stringify(before.tokens)}`);
		if (json.output !== sub.output) problems.push(`the final answer is not the ${member} step's output`);
	}
	if (!problems.length) process.stdout.write(`${JSON.stringify({ node: nodeName, status: json.status, strategy: json.strategy, members: steps.map((s) => s.member), subWorkflowOutputChars: sub.output.length })}\n`);
} else if (mode === 'stream') {
	const [minStepsArg] = rest;
	if (doc.status !== 200) fail(`HTTP ${doc.status}`);
	const chunks = doc.lines.filter((l) => l.json && l.json.metadata && l.json.metadata.nodeName === nodeName).map((l) => ({ ms: l.ms, ...l.json }));
	const types = chunks.map((c) => c.type);
	if (types.includes('error')) problems.push(`an error chunk: ${chunks.find((c) => c.type === 'error').content}`);
	if (types[0] !== 'begin') problems.push(`the first chunk of ${nodeName} is ${types[0]}, not begin`);
	if (types[types.length - 1] !== 'end') problems.push(`the last chunk of ${nodeName} is ${types[types.length - 1]}, not end`);
	const text = chunks.filter((c) => c.type === 'item').map((c) => c.content).join('');
	const started = new Set([...text.matchAll(/^\[(\S+)\] \S+ started/gm)].map((m) => m[1]));
	const ended = new Set([...text.matchAll(/^\[(\S+)\] \S+ ok in/gm)].map((m) => m[1]));
	if (started.size < Number(minStepsArg) || ended.size < Number(minStepsArg)) problems.push(`progress for ${started.size} started / ${ended.size} finished steps, expected ${minStepsArg}: ${JSON.stringify(text.slice(0, 500))}`);
	const lastProgress = text.lastIndexOf('\n[');
	const answer = text.slice(text.indexOf('\n', lastProgress + 1) + 1);
	if (!answer.trim()) problems.push('no answer after the progress lines');
	if (!problems.length) process.stdout.write(`${JSON.stringify({ node: nodeName, chunks: chunks.length, steps: started.size, answerChars: answer.length, firstItemMs: chunks.find((c) => c.type === 'item').ms, endMs: doc.endMs })}\n`);
} else {
	fail(`unknown mode ${mode}`);
}

if (problems.length) {
	for (const p of problems) process.stderr.write(`  FAIL ${p}\n`);
	fail(`${problems.length} problem(s) in ${file}`);
}
